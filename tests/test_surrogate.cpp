// The surrogate learning process against its documented formula, worked by hand.
#include "simulator/learning/surrogate.hpp"
#include "simulator/scenario/scenario.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace edgetrain;

namespace {
struct Fixture {
  Scenario scenario;
  ModelDescriptor model;
  std::vector<NodeData> data;
  std::map<std::string, Value> params;

  Fixture() {
    scenario.seed = 1;
    find_model("lenet5", model);
    data = {{0, std::vector<double>(10, 0.1)},
            {1000, std::vector<double>(10, 0.1)},
            {1000, std::vector<double>(10, 0.1)}};
    for (const KeySpec& k : surrogate_learning_info().params)
      params[k.path] = k.def;
    params["noise"] = 0.0;
  }
  std::unique_ptr<LearningProcess> make() {
    return surrogate_learning_info().make({scenario, model, data}, Params(params));
  }
};

RoundOutcome outcome(std::vector<std::pair<std::int64_t, double>> trained) { // (samples processed, keep)
  RoundOutcome o;
  o.round = 1;
  NodeId id = 1;
  for (auto [w, keep] : trained) {
    NodeOutcome n;
    n.node = id++;
    n.trained = n.finished = true;
    n.samples_processed = w;
    n.keep_mean = keep;
    o.nodes.push_back(n);
  }
  return o;
}
} // namespace

TEST_CASE("surrogate: one round by hand, full model, IID, no noise") {
  Fixture f;
  auto p = f.make();
  CHECK(p->initial().loss == doctest::Approx(std::log(10.0)));
  // Two nodes of 1,000 samples each process 500: distinct = 1000 (1 - e^-0.5) each; IID, the
  // trainer count's exponent is 0: the rate is their mean, C / 2.
  const double c = 2 * 1000 * (1 - std::exp(-0.5));
  const double expected = 0.25 + (std::log(10.0) - 0.25) * std::exp(-c / 2 / 30000);
  const LearningSnapshot s = p->advance({}, outcome({{500, 1.0}, {500, 1.0}}));
  CHECK(s.loss == doctest::Approx(expected).epsilon(1e-12));
  // accuracy: linear from chance (0.1) at ln 10 to 0.91 at the floor.
  const double t = (std::log(10.0) - expected) / (std::log(10.0) - 0.25);
  CHECK(s.accuracy == doctest::Approx(0.1 + 0.81 * t).epsilon(1e-12));
}

TEST_CASE("surrogate: compression slows progress and raises the floor") {
  Fixture f;
  auto full = f.make();
  auto half = f.make();
  LearningSnapshot a, b;
  for (int r = 0; r < 600; ++r) { // IID, the rate is the two trainers' mean: the floor takes a while
    a = full->advance({}, outcome({{2000, 1.0}, {2000, 1.0}}));
    b = half->advance({}, outcome({{2000, 0.5}, {2000, 0.5}}));
  }
  CHECK(a.loss == doctest::Approx(0.25).epsilon(1e-3));             // the full model's floor
  CHECK(b.loss == doctest::Approx(0.25 + 0.6 * 0.5).epsilon(1e-3)); // floor + compression_floor x (1 - keep)
}

TEST_CASE("surrogate: no finished trainer means no progress and little data means less") {
  Fixture f;
  auto p = f.make();
  RoundOutcome none = outcome({{500, 1.0}});
  none.nodes[0].finished = false;
  CHECK(p->advance({}, none).loss == doctest::Approx(std::log(10.0)));
  // Same samples processed, but on a node holding 100 samples instead of 1,000: fewer distinct ones.
  Fixture g;
  g.data[1].samples = 100;
  auto small = g.make();
  auto big = f.make();
  CHECK(small->advance({}, outcome({{500, 1.0}})).loss > big->advance({}, outcome({{500, 1.0}})).loss);
}

TEST_CASE("surrogate: label skew slows progress and a skewed round's union raises its floor") {
  // The trainer holds one class only: label skew (total variation from uniform) 0.9.
  Fixture f, g, h;
  for (Fixture* x : {&g, &h}) {
    for (std::size_t i = 1; i < 3; ++i)
      x->data[i].label_mix = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    x->params["skew_exponent"] = 0.5;
  }
  h.params["skew_floor"] = 0.2;
  auto iid = f.make();
  auto skew = g.make();
  auto lifted = h.make();
  const double gap_iid = iid->advance({}, outcome({{500, 1.0}})).loss - 0.25;
  const double gap_skew = skew->advance({}, outcome({{500, 1.0}})).loss - 0.25;
  // rate x (1 - 0.9)^0.5: the exponent shrinks to 31.6%.
  const double gap0 = std::log(10.0) - 0.25, c = 1000 * (1 - std::exp(-0.5));
  CHECK(gap_iid == doctest::Approx(gap0 * std::exp(-c / 30000)));
  CHECK(gap_skew == doctest::Approx(gap0 * std::exp(-std::sqrt(0.1) * c / 30000)));
  // The round's union mix is the trainer's own, skew 0.9: floor 0.25 + 0.2 x 0.9.
  const double floor = 0.25 + 0.2 * 0.9;
  CHECK(lifted->advance({}, outcome({{500, 1.0}})).loss ==
        doctest::Approx(floor + (std::log(10.0) - floor) * std::exp(-std::sqrt(0.1) * c / 30000)));
}

TEST_CASE("surrogate: rounds swing about the trend, which goes on unswung") {
  // The same rounds with swing 0 and 0.1 (noise 0): the reported gap above the floor differs from
  // the trend's by exp(0.1 z - 0.005), z standard normal per round, and the trend does not drift.
  Fixture calm, swung;
  swung.params["swing"] = 0.1;
  auto a = calm.make(), b = swung.make();
  std::vector<double> d;
  for (int r = 1; r <= 200; ++r) {
    RoundOutcome o = outcome({{500, 1.0}, {500, 1.0}});
    o.round = r;
    const double trend = a->advance({}, o).loss, reported = b->advance({}, o).loss;
    d.push_back(std::log((reported - 0.25) / (trend - 0.25)));
  }
  double mean = 0, sq = 0;
  for (double x : d)
    mean += x / static_cast<double>(d.size());
  for (double x : d)
    sq += (x - mean) * (x - mean) / static_cast<double>(d.size() - 1);
  // 200 draws: the sample sigma is within 0.1 +- 0.015 (3 standard errors 3 x 0.1 / sqrt(400)),
  // the mean within -0.005 +- 0.021 (3 x 0.1 / sqrt(200)).
  CHECK(std::abs(std::sqrt(sq) - 0.1) < 0.015);
  CHECK(std::abs(mean + 0.005) < 0.021);
}
