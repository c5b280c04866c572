// edgetrain calibrate's cross-validation: run i falls in fold i mod K, and each run's held-out
// curve is the prediction of a fit made here again on the other folds' runs alone.
#include "simulator/common/rng.hpp"
#include "simulator/learning/calibrate.hpp"
#include "simulator/learning/loss_model.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace edgetrain;

namespace {
// Seven runs of a known model (IID and skewed, whole and dropped), 20 noisy rounds each.
Calibration design() {
  LossModel truth;
  truth.initial_loss = std::log(10.0), truth.floor_loss = 0.3, truth.samples_scale = 2000;
  truth.participation_exponent = 0.6, truth.skew_exponent = 1.0, truth.dropout_rate = 1.5;
  Rng rng(5, "folds");
  Calibration c;
  for (int i = 0; i < 7; ++i) {
    const double keep = i % 3 == 2 ? 0.5 : 1.0, skew = i % 2 ? 0.5 : 0.0;
    const auto trainers = static_cast<std::size_t>(2 + 3 * (i % 3));
    CalibrationRun r;
    r.trace.initial_loss = truth.initial_loss;
    double loss = truth.initial_loss;
    for (int k = 0; k < 20; ++k) {
      const std::vector<Contribution> round(trainers, {200.0 + 50 * i, 600, keep, skew, Compression::Mode::Dropout});
      loss = next_loss(truth, loss, round, std::exp(0.05 * rng.normal()));
      r.trace.rounds.push_back(round), r.trace.loss.push_back(loss), r.trace.accuracy.push_back(0.5);
    }
    c.runs.push_back(r);
  }
  return c;
}
LossModel start() { // what edgetrain calibrate starts every fit from (calibrate.cpp's fit_start)
  LossModel m;
  m.initial_loss = std::log(10.0), m.participation_exponent = 0.5, m.tail_exponent = 1.0, m.skew_floor = 0.3;
  return m;
}
} // namespace

TEST_CASE("calibrate: 3-fold cross-validation, each run predicted by a fit that never saw it") {
  Calibration c = design();
  fit_calibration(c, 10, 3, 2);
  std::vector<LossTrace> all;
  for (const CalibrationRun& r : c.runs)
    all.push_back(r.trace);
  // The shipped fit is on every run.
  const LossFit every = fit_loss_model(all, start(), 10);
  CHECK(c.fit.model.samples_scale == every.model.samples_scale);
  CHECK(c.fit.rmse == every.rmse);
  double abs_sum = 0;
  int n = 0;
  for (int f = 0; f < 3; ++f) {
    std::vector<LossTrace> others;
    for (std::size_t i = 0; i < c.runs.size(); ++i)
      if (static_cast<int>(i % 3) != f) others.push_back(c.runs[i].trace);
    const LossModel without = fit_loss_model(others, start(), 10).model;
    for (std::size_t i = 0; i < c.runs.size(); ++i) {
      if (static_cast<int>(i % 3) != f) continue;
      CAPTURE(i);
      CHECK(c.runs[i].fold == f);
      const std::vector<double> expected = predict(without, c.runs[i].trace);
      REQUIRE(c.runs[i].heldout.size() == expected.size());
      for (std::size_t k = 0; k < expected.size(); ++k) {
        CHECK(c.runs[i].heldout[k] == doctest::Approx(expected[k]).epsilon(1e-12));
        abs_sum += std::abs(expected[k] - c.runs[i].trace.loss[k]), ++n;
      }
      // and its in-sample curve is the shipped fit's.
      CHECK(c.runs[i].predicted == predict(c.fit.model, c.runs[i].trace));
    }
  }
  CHECK(c.heldout_mae == doctest::Approx(abs_sum / n).epsilon(1e-12));
  // One fit at a time gives the same: the folds' fits do not depend on the job count.
  Calibration serial = design();
  fit_calibration(serial, 10, 3, 1);
  for (std::size_t i = 0; i < c.runs.size(); ++i)
    CHECK(serial.runs[i].heldout == c.runs[i].heldout);
}
