// DISTREAL's design-space exploration: the front it returns against brute force over the whole
// grid (with speeds computed by a second route), bad options, and the trained source's cache.
#include "simulator/common/error.hpp"
#include "simulator/learning/calibrate.hpp"
#include "simulator/learning/cost_model.hpp"
#include "simulator/learning/loss_model.hpp"
#include "simulator/learning/dse.hpp"
#include "simulator/learning/surrogate.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

using namespace edgetrain;

namespace {
Scenario quickstart() {
  return load_scenario(testutil::source_dir() / "configs/quickstart.toml");
}
double resolved_number(const Scenario& s, const std::string& key) {
  for (const auto& [k, v] : s.resolved)
    if (k == key) return std::get<double>(v);
  return 0;
}
} // namespace

TEST_CASE("dse: the predictor-driven front is the brute-force front of the grid") {
  const Scenario s = quickstart();
  ModelDescriptor m;
  REQUIRE(find_model("lenet5", m));
  DseOptions o;
  o.population = 48, o.generations = 200;
  LossModel predictor = calibrated_loss_model(s, m.classes);
  resolve_layer_weights(predictor, m, "layer_weights");
  const DseResult r = explore(dse_run_of(s, predictor), m, o);
  // Every vector of the grid (4 layers x 4 fractions): FLOPs from the cost model, speed as the
  // loss model's rate ratio, which for one trainer dropping units is, with the layer weights w_l
  // (summing to 1), (sum w_l k_l)^dropout_rate x sum w_l k_l: the discount by the weighted keep,
  // and each layer's units updated on a share k_l of the steps (whatever the trainer count's
  // exponent: there is one trainer).
  std::vector<DsePoint> all;
  const double r_drop = resolved_number(s, "learning.surrogate.dropout_rate");
  // the calibration's fitted weights (learning.surrogate.layer_weights), else the FLOP shares
  std::vector<double> w;
  for (const auto& [k, v] : s.resolved)
    if (k == "learning.surrogate.layer_weights") w = std::get<std::vector<double>>(v);
  if (w.empty()) w = layer_weights(m);
  REQUIRE(w.size() == 4);
  for (int i = 0; i < 256; ++i) {
    DsePoint p;
    for (int l = 0, code = i; l < 4; ++l, code /= 4)
      p.keep.push_back(o.grid[static_cast<std::size_t>(code % 4)]);
    Compression comp{p.keep, 32, Compression::Mode::Dropout};
    p.flops_per_batch = model_cost(m, comp).train_flops * 32;
    double kw = 0, covered = 0;
    for (std::size_t l = 0; l < 4; ++l)
      kw += w[l] * p.keep[l], covered += w[l] * p.keep[l];
    p.speed = std::pow(kw, r_drop) * covered;
    all.push_back(p);
  }
  const std::vector<DsePoint> truth = pareto_front(all);
  // Every vector it scored has the speed and FLOPs worked out here...
  for (const DsePoint& p : r.evaluated) {
    std::size_t code = 0;
    for (std::size_t l = 4; l-- > 0;)
      code = code * 4 + static_cast<std::size_t>(std::find(o.grid.begin(), o.grid.end(), p.keep[l]) - o.grid.begin());
    REQUIRE(code < all.size());
    CHECK(p.speed == doctest::Approx(all[code].speed).epsilon(1e-9));
    CHECK(p.flops_per_batch == doctest::Approx(all[code].flops_per_batch).epsilon(1e-12));
  }
  // ...what it returns is non-dominated among all of them and lies on the true front...
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

TEST_CASE("dse error: a population whose sorting cannot fit in memory is refused before NSGA-II starts") {
  // 4,000 parents and 4,000 offspring: 8000 * 7999 / 2 dominance entries of 8 bytes, and each
  // individual's 4 + 2 doubles and 3 vector headers: 255,968,000 + 960,000 bytes.
  CHECK(nsga2_bytes(4000, 4) == doctest::Approx(256'928'000.0).epsilon(1e-12));
  CHECK_NOTHROW(check_population_fits(4000, 4, 4, 1'000'000'000)); // 0.26 GB of 0.8 GB
  CHECK_THROWS_WITH(check_population_fits(8000, 4, 4, 1'000'000'000), // 1.02 GB
                    "--population: NSGA-II's sorting of 16000 individuals (parents and offspring) may hold 1.0 GB, "
                    "and 1.0 GB is available: a smaller population (the design space has 256 vectors)");
  // What the command says, before it allocates anything: exit 2, the key and the estimate,
  // 4 * 2e6 * (2e6 - 1) + 2e6 * 120 = 16,000,232,000,000 bytes.
  testutil::TempDir d;
  const testutil::Proc p = testutil::run_edgetrain(
      fmt::format("dse {} --population 1000000 --out {}", (testutil::source_dir() / "configs/quickstart.toml").string(),
                  (d.path() / "pareto.csv").string()),
      d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("error: --population: NSGA-II's sorting of 2000000 individuals (parents and offspring) may hold "
                   "16000.2 GB, and ") == 0);
  CHECK(std::filesystem::is_empty(d.path()));
}

TEST_CASE("dse: the trained source measures each vector once, and a rerun takes them from the cache") {
  testutil::TempDir d;
  const Scenario s = load_scenario(testutil::source_dir() / "configs/synthetic.toml");
  ModelDescriptor m;
  REQUIRE(find_model(s.model, m)); // one prunable layer: the grid is the whole design space
  DseOptions o;
  o.source = "trained", o.grid = {0.5, 1.0}, o.population = 8, o.generations = 2, o.rounds = 1, o.nodes = 2;
  o.seeds = 2;
  o.cache = (d.path() / "cache.csv").string();
  const DseResult first = explore(dse_run_of(s, calibrated_loss_model(s, m.classes)), m, o);
  CHECK(first.measured == 4); // the full model (the reference) and the half one, two seeds each
  REQUIRE(std::filesystem::exists(o.cache));
  const DseResult again = explore(dse_run_of(s, calibrated_loss_model(s, m.classes)), m, o);
  CHECK(again.measured == 0);
  REQUIRE(first.evaluated.size() == again.evaluated.size());
  for (std::size_t i = 0; i < first.evaluated.size(); ++i)
    CHECK(first.evaluated[i].speed == again.evaluated[i].speed);
  // The full model's speed is 1 by definition, with no spread; the half one's is the mean of its
  // per-seed loss-drop ratios, measured here again by hand, with the 95% t interval of two
  // values: mean -/+ 12.706 x |r1 - r2| / 2.
  const auto drop = [&](double keep, std::uint64_t seed) {
    Scenario t = s;
    t.seed = seed;
    const LossTrace tr = trained_trace(t, m, 2, 1, 1.0, {Compression{{keep}, 32, Compression::Mode::Dropout}}, 1000);
    return tr.initial_loss - tr.loss.back();
  };
  const double r1 = drop(0.5, s.seed) / drop(1.0, s.seed), r2 = drop(0.5, s.seed + 1) / drop(1.0, s.seed + 1);
  for (const DsePoint& p : first.evaluated) {
    CHECK(p.seeds == 2);
    if (p.keep[0] == 1.0) {
      CHECK(p.speed == doctest::Approx(1.0));
      CHECK(p.speed_low == doctest::Approx(1.0));
      CHECK(p.speed_high == doctest::Approx(1.0));
    } else {
      CHECK(p.speed == doctest::Approx((r1 + r2) / 2).epsilon(1e-12));
      CHECK(p.speed_high - p.speed == doctest::Approx(12.7062 * std::abs(r1 - r2) / 2).epsilon(1e-4));
      CHECK(p.speed - p.speed_low == doctest::Approx(p.speed_high - p.speed).epsilon(1e-12));
    }
  }
}

TEST_CASE("dse error: a corrupt cache file is named with its line") {
  testutil::TempDir d;
  const Scenario s = load_scenario(testutil::source_dir() / "configs/synthetic.toml");
  ModelDescriptor m;
  REQUIRE(find_model(s.model, m));
  d.write("cache.csv", "keep,seed,rounds,nodes,loss_drop\n1,1,1,2,0.5\n1,0.5\n");
  DseOptions o;
  o.source = "trained", o.grid = {0.5, 1.0}, o.population = 8, o.generations = 1, o.rounds = 1, o.nodes = 2;
  o.cache = (d.path() / "cache.csv").string();
  CHECK_THROWS_WITH_AS(explore(dse_run_of(s, calibrated_loss_model(s, m.classes)), m, o),
                       doctest::Contains("cache.csv:3: malformed DSE cache line"), InputError);
  // A cache of one seed per vector (an older edgetrain) is refused, not misread.
  d.write("cache.csv", "keep,loss_drop\n1,0.5\n");
  CHECK_THROWS_WITH_AS(explore(dse_run_of(s, calibrated_loss_model(s, m.classes)), m, o),
                       doctest::Contains("cache.csv:1: a DSE cache of an older edgetrain"), InputError);
}
