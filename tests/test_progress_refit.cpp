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
