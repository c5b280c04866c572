// A planner's online refit of its predictor's progress (policies/pact/feedback.hpp): rounds played
// under a "true" model with another rate scale and trainer-count exponent than the predictor's,
// worked out with the loss model's own step.
#include "policies/pact/feedback.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace edgetrain;

namespace {
LossModel prior() {
  LossModel m;
  m.initial_loss = 2.3, m.floor_loss = 0.3, m.compression_floor = 0.5, m.samples_scale = 1000;
  m.participation_exponent = 0.8, m.tail_exponent = 1.0;
  return m;
}
// Rounds of 1, 3 and 6 trainers in turn (value 300 each) played under `truth`, from its initial loss.
std::vector<ProgressObservation> played(const LossModel& truth, int rounds, double keep = 1.0) {
  std::vector<ProgressObservation> obs;
  double loss = truth.initial_loss;
  const int counts[] = {1, 3, 6};
  for (int r = 0; r < rounds; ++r) {
    const int n = counts[r % 3];
    const double after = loss_step(truth, loss, round_rate(truth, 300.0 * n, n), keep);
    obs.push_back({300.0 * n, n, keep, loss, after});
    loss = after;
  }
  return obs;
}
} // namespace

TEST_CASE("planner refit: rounds of several trainer counts recover the rate scale and the exponent") {
  LossModel truth = prior();
  truth.samples_scale = 500, truth.participation_exponent = 0.3; // twice as fast, much less per trainer
  Corrections c;
  c.progress = played(truth, 30);
  refit_progress(c, prior());
  // Thirty rounds outweigh the prior's pull (worth about two swinging rounds) but for a little.
  CHECK(c.rate == doctest::Approx(2.0).epsilon(0.07));
  CHECK(std::abs(c.exponent - 0.3) < 0.06);
  // Six rounds learn most of the way.
  Corrections six;
  six.progress = played(truth, 6);
  refit_progress(six, prior());
  CHECK(six.rate > 1.4);
  CHECK(six.exponent < 0.6);
  // The planner's next problem plans with them: the scale divided by the factor, the exponent as fitted.
  ModelDescriptor model;
  REQUIRE(find_model("lenet5", model));
  const RoundState s{1, 0, 10, 0.5, 0, 1.0, model};
  PlanningSettings settings;
  settings.keep = {1.0}, settings.steps = {10};
  const Problem p = make_problem(s, settings, prior(), c, 0, 12);
  CHECK(p.model.samples_scale == doctest::Approx(1000 / c.rate).epsilon(1e-12));
  CHECK(p.model.participation_exponent == c.exponent);
  CHECK(p.prior.samples_scale == 1000);
}

TEST_CASE("planner refit: one trainer a round says nothing of the exponent, and the prior holds") {
  LossModel truth = prior();
  truth.samples_scale = 500;
  Corrections c;
  double loss = truth.initial_loss;
  for (int r = 0; r < 6; ++r) { // always one trainer: n^(b - 1) = 1 whatever b
    const double after = loss_step(truth, loss, round_rate(truth, 300.0, 1), 1.0);
    c.progress.push_back({300.0, 1, 1.0, loss, after});
    loss = after;
  }
  refit_progress(c, prior());
  CHECK(c.exponent == doctest::Approx(0.8).epsilon(1e-3));
  CHECK(c.rate > 1.5);
  CHECK(c.rate < 2.0);
  // A single round moves the rate less than all of the way: the prior is worth about two rounds.
  Corrections one;
  one.progress = {c.progress.front()};
  refit_progress(one, prior());
  CHECK(one.rate > 1.1);
  CHECK(one.rate < 2.0);
  // Nothing observed, nothing changes.
  Corrections none;
  refit_progress(none, prior());
  CHECK(none.rate == 1.0);
  CHECK(none.exponent == -1.0);
}

TEST_CASE("planner problem: the trainer count's exponent is the predictor's at the fleet's sample-weighted skew") {
  ModelDescriptor model;
  REQUIRE(find_model("lenet5", model));
  // Two trainers: 100 samples at skew 0.2, 300 at skew 0.6: mean skew (20 + 180) / 400 = 0.5; an
  // offline node and the aggregator do not count.
  std::vector<NodeView> nodes(4);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    NodeView& v = nodes[i];
    v.id = static_cast<NodeId>(i), v.flops_now = v.flops_peak = 1e10, v.flops_per_pstate = {1e10};
    v.up_bps = v.down_bps = 1e7, v.has_power = true, v.watts_idle = {1}, v.watts_busy = {5};
  }
  nodes[0].role = Role::Aggregator, nodes[0].samples = 1000, nodes[0].label_skew = 0.9;
  nodes[1].samples = 100, nodes[1].label_skew = 0.2;
  nodes[2].samples = 300, nodes[2].label_skew = 0.6;
  nodes[3].samples = 500, nodes[3].label_skew = 0.9, nodes[3].online = false;
  RoundState s{1, 0, 10, 0.5, 0, 1.0, model};
  s.nodes = nodes;
  PlanningSettings settings;
  settings.keep = {1.0}, settings.steps = {10};
  Corrections c;
  c.compute.assign(4, 1.0), c.comm.assign(4, 1.0), c.joules.assign(4, 1.0);
  const Problem p = make_problem(s, settings, prior(), c, 0, 0);
  REQUIRE(p.nodes.size() == 2);
  CHECK(p.prior.participation_exponent == doctest::Approx(0.8 * 0.5).epsilon(1e-12));
  CHECK(p.model.participation_exponent == p.prior.participation_exponent); // nothing refitted yet
}
