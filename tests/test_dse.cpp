// DISTREAL's design-space exploration: the front it returns against brute force over the whole
// grid (with speeds computed by a second route), bad options, and the trained source's cache.
#include "simulator/common/error.hpp"
#include "simulator/learning/cost_model.hpp"
#include "simulator/learning/dse.hpp"
#include "simulator/learning/surrogate.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

using namespace edgetrain;

namespace {
Scenario quickstart() {
  return load_scenario(testutil::source_dir() / "configs/quickstart.toml");
}
double compression_rate(const Scenario& s) {
  for (const auto& [k, v] : s.resolved)
    if (k == "learning.surrogate.compression_rate") return std::get<double>(v);
  return 0;
}
} // namespace

TEST_CASE("dse: the predictor-driven front is the brute-force front of the grid") {
  const Scenario s = quickstart();
  ModelDescriptor m;
  REQUIRE(find_model("lenet5", m));
  DseOptions o;
  o.generations = 60;
  const DseResult r = explore(dse_run_of(s, calibrated_loss_model(s, m.classes)), m, o);
  // Every vector of the grid (4 layers x 4 fractions): FLOPs from the cost model, speed as the
  // loss model's value ratio, which for dropout is (mean keep)^compression_rate.
  std::vector<DsePoint> all;
  const double c = compression_rate(s);
  for (int i = 0; i < 256; ++i) {
    DsePoint p;
    for (int l = 0, code = i; l < 4; ++l, code /= 4)
      p.keep.push_back(o.grid[static_cast<std::size_t>(code % 4)]);
    Compression comp{p.keep, 32, Compression::Mode::Dropout};
    p.flops_per_batch = model_cost(m, comp).train_flops * 32;
    p.speed = std::pow(comp.mean_keep(), c);
    all.push_back(p);
  }
  const std::vector<DsePoint> truth = pareto_front(all);
  // What it returns is non-dominated among its own points and lies on the true front...
  for (const DsePoint& p : r.pareto) {
    CAPTURE(p.flops_per_batch);
    for (const DsePoint& q : all)
      CHECK_FALSE((q.flops_per_batch <= p.flops_per_batch && q.speed >= p.speed * (1 + 1e-12) &&
                   q.flops_per_batch < p.flops_per_batch));
    bool on_truth = false;
    for (const DsePoint& t : truth)
      on_truth = on_truth || (t.flops_per_batch == doctest::Approx(p.flops_per_batch) &&
                              t.speed == doctest::Approx(p.speed));
    CHECK(on_truth);
  }
  for (std::size_t i = 1; i < r.pareto.size(); ++i) { // sorted by FLOPs, speed rising with them
    CHECK(r.pareto[i].flops_per_batch > r.pareto[i - 1].flops_per_batch);
    CHECK(r.pareto[i].speed > r.pareto[i - 1].speed);
  }
  // ...holds both extremes, and most of it.
  CHECK(r.pareto.front().keep == std::vector<double>(4, 0.25));
  CHECK(r.pareto.back().keep == std::vector<double>(4, 1.0));
  CHECK(r.pareto.size() * 10 >= truth.size() * 8);
}

TEST_CASE("dse error: a grid value outside 0 to 1, an unknown source, a population NSGA-II refuses") {
  const Scenario s = quickstart();
  ModelDescriptor m;
  REQUIRE(find_model("lenet5", m));
  DseOptions o;
  o.grid = {0.5, 1.5};
  CHECK_THROWS_AS(explore(dse_run_of(s, calibrated_loss_model(s, m.classes)), m, o), InputError);
  o.grid = {0.5, 1};
  o.source = "oracle";
  CHECK_THROWS_WITH(explore(dse_run_of(s, calibrated_loss_model(s, m.classes)), m, o), doctest::Contains("not one of: predictor, trained"));
  o.source = "predictor";
  o.population = 10;
  CHECK_THROWS_WITH(explore(dse_run_of(s, calibrated_loss_model(s, m.classes)), m, o), doctest::Contains("multiple of 4"));
}

TEST_CASE("dse: the trained source measures each vector once, and a rerun takes them from the cache") {
  testutil::TempDir d;
  const Scenario s = load_scenario(testutil::source_dir() / "configs/synthetic.toml");
  ModelDescriptor m;
  REQUIRE(find_model(s.model, m)); // one prunable layer: the grid is the whole design space
  DseOptions o;
  o.source = "trained", o.grid = {0.5, 1.0}, o.population = 8, o.generations = 2, o.rounds = 1, o.nodes = 2;
  o.cache = (d.path() / "cache.csv").string();
  const DseResult first = explore(dse_run_of(s, calibrated_loss_model(s, m.classes)), m, o);
  CHECK(first.measured == 2); // the full model (the reference) and the half one
  REQUIRE(std::filesystem::exists(o.cache));
  const DseResult again = explore(dse_run_of(s, calibrated_loss_model(s, m.classes)), m, o);
  CHECK(again.measured == 0);
  REQUIRE(first.evaluated.size() == again.evaluated.size());
  for (std::size_t i = 0; i < first.evaluated.size(); ++i)
    CHECK(first.evaluated[i].speed == again.evaluated[i].speed);
  // The full model's speed is 1 by definition; half the layer costs less.
  for (const DsePoint& p : first.evaluated)
    if (p.keep[0] == 1.0) CHECK(p.speed == doctest::Approx(1.0));
}

TEST_CASE("dse error: a corrupt cache file is named with its line") {
  testutil::TempDir d;
  const Scenario s = load_scenario(testutil::source_dir() / "configs/synthetic.toml");
  ModelDescriptor m;
  REQUIRE(find_model(s.model, m));
  d.write("cache.csv", "keep,loss_drop\n1,0.5\nnot a line\n");
  DseOptions o;
  o.source = "trained", o.grid = {0.5, 1.0}, o.population = 8, o.generations = 1, o.rounds = 1, o.nodes = 2;
  o.cache = (d.path() / "cache.csv").string();
  CHECK_THROWS_WITH_AS(explore(dse_run_of(s, calibrated_loss_model(s, m.classes)), m, o), doctest::Contains("cache.csv:3"), InputError);
}
