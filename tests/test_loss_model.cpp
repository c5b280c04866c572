// The loss model: a round's step by hand, and the least-squares fit recovering known parameters
// from noisy curves.
#include "simulator/common/rng.hpp"
#include "simulator/learning/loss_model.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace edgetrain;

TEST_CASE("loss model: one round's step, by hand") {
  LossModel m;
  m.floor_loss = 0.3, m.compression_floor = 0.4, m.compression_rate = 1.0, m.samples_scale = 1000;
  m.heterogeneity_penalty = 0.5;
  // Two trainers, each 100 samples processed over 100 held: distinct = 100 (1 - e^-1) = 63.2121.
  // Keeps 1 and 0.5: c = 63.2121 and 31.6060; C = 94.8181; k = (63.2121 + 15.8030) / C = 0.8333;
  // skews 0 and 0.4: H = 0.4 x 31.6060 / C = 0.13333. F = 0.3 + 0.4 x 0.16667 = 0.36667;
  // rate = 0.0948181 x (1 - 0.5 x 0.13333) = 0.0884969; L' = F + (2 - F) e^-rate.
  const double distinct = 100 * (1 - std::exp(-1.0));
  const double C = 1.5 * distinct, k = (distinct + 0.25 * distinct) / C, H = 0.4 * 0.5 * distinct / C;
  const double F = 0.3 + 0.4 * (1 - k), rate = C / 1000 * (1 - 0.5 * H);
  const double expected = F + (2.0 - F) * std::exp(-rate);
  CHECK(next_loss(m, 2.0, {{100, 100, 1.0, 0.0}, {100, 100, 0.5, 0.4}}) ==
        doctest::Approx(expected).epsilon(1e-12));
  CHECK(next_loss(m, 2.0, {}) == 2.0); // nobody delivered
  // At the floor, a pruned half-model pulls the loss up towards its higher floor; a half-model of
  // dropped units does not (the model stays whole).
  using Mode = Compression::Mode;
  CHECK(next_loss(m, 0.3, {{100, 100, 0.5, 0.0, Mode::Prune}}) > 0.3);
  for (Mode mode : {Mode::Dropout, Mode::Nested, Mode::Submodel})
    CHECK(next_loss(m, 0.3, {{100, 100, 0.5, 0.0, mode}}) == doctest::Approx(0.3));
  // Each mode discounts keep by its own exponent: with nested_rate 2 a half model's value is a
  // quarter, rate 0.25 x 63.2121 / 1000, and the floor stays (the global model is whole).
  m.nested_rate = 2.0;
  CHECK(next_loss(m, 2.0, {{100, 100, 0.5, 0.0, Mode::Nested}}) ==
        doctest::Approx(0.3 + 1.7 * std::exp(-0.25 * distinct / 1000)).epsilon(1e-12));
  // Plateau 0.8 and tail 1, from 2.0 with floor 0.3 (initial loss 2.0): g = 1, so the rate is cut
  // to 1 x (1 - 0.8) of itself; halfway down, g = 0.5: 0.5 x (1 - 0.4) = 0.3 of it.
  {
    LossModel q = m;
    q.initial_loss = 2.0, q.plateau = 0.8, q.tail_exponent = 1.0;
    CHECK(loss_step(q, 2.0, 0.5, 1.0) == doctest::Approx(0.3 + 1.7 * std::exp(-0.5 * 0.2)).epsilon(1e-12));
    CHECK(loss_step(q, 1.15, 0.5, 1.0) == doctest::Approx(0.3 + 0.85 * std::exp(-0.5 * 0.3)).epsilon(1e-12));
  }
  // Participation exponent 0.5: four trainers progress twice as fast as one, not four times.
  m.participation_exponent = 0.5;
  const double one = std::log((2.0 - 0.3) / (next_loss(m, 2.0, {{100, 100, 1, 0}}) - 0.3));
  const double four =
      std::log((2.0 - 0.3) / (next_loss(m, 2.0, std::vector<Contribution>(4, {100, 100, 1, 0})) - 0.3));
  CHECK(four / one == doctest::Approx(2.0));
  m.initial_loss = 2.0, m.max_accuracy = 0.9;
  CHECK(accuracy_of(m, 2.0, 10) == doctest::Approx(0.1));
  CHECK(accuracy_of(m, 0.3, 10) == doctest::Approx(0.9));
  CHECK(accuracy_of(m, 1.15, 10) == doctest::Approx(0.5));
}

TEST_CASE("loss model: the fit recovers known parameters from noisy curves") {
  LossModel truth;
  truth.initial_loss = 2.3, truth.floor_loss = 0.35, truth.compression_floor = 0.5,
  truth.compression_rate = 0.7;
  truth.samples_scale = 10000, truth.heterogeneity_penalty = 0.6, truth.max_accuracy = 0.88;
  truth.participation_exponent = 0.6, truth.tail_exponent = 0.8;
  truth.dropout_rate = 1.2, truth.nested_rate = 0.3, truth.submodel_rate = 0.9, truth.plateau = 0.4;
  Rng rng(11, "fit");
  std::vector<LossTrace> traces;
  // A design over compression, participation and label skew, 60 rounds each (with a slow tail,
  // the floor shows only late).
  using Mode = Compression::Mode;
  for (double keep : {1.0, 0.75, 0.5, 0.3})
    for (Mode mode : {Mode::Prune, Mode::Dropout, Mode::Nested, Mode::Submodel})
    for (int participants : {10, 4})
      for (double skew : {0.0, 0.5}) {
        if (keep == 1.0 && mode != Mode::Prune) continue;
        LossTrace t;
        t.initial_loss = truth.initial_loss + 0.01 * rng.normal();
        double loss = t.initial_loss;
        for (int r = 0; r < 60; ++r) {
          std::vector<Contribution> round(static_cast<std::size_t>(participants), {320, 600, keep, skew, mode});
          loss = next_loss(truth, loss, round, std::exp(0.05 * rng.normal() - 0.00125)); // noisy rate
          t.rounds.push_back(round);
          const double observed = loss + 0.005 * rng.normal(); // noisy measurement
          t.loss.push_back(observed);
          t.accuracy.push_back(accuracy_of(truth, loss, 10) + 0.003 * rng.normal());
        }
        traces.push_back(t);
      }
  LossModel start;           // the defaults, off from the truth by up to a factor of 1.7
  start.tail_exponent = 1.0; // as edgetrain calibrate starts
  const LossFit fit = fit_loss_model(traces, start, 10);
  CHECK(fit.rmse < 0.01);
  CHECK(fit.model.floor_loss == doctest::Approx(truth.floor_loss).epsilon(0.05));
  CHECK(fit.model.compression_floor == doctest::Approx(truth.compression_floor).epsilon(0.1));
  CHECK(fit.model.compression_rate == doctest::Approx(truth.compression_rate).epsilon(0.1));
  CHECK(fit.model.dropout_rate == doctest::Approx(truth.dropout_rate).epsilon(0.1));
  CHECK(fit.model.nested_rate == doctest::Approx(truth.nested_rate).epsilon(0.15));
  CHECK(fit.model.submodel_rate == doctest::Approx(truth.submodel_rate).epsilon(0.1));
  CHECK(fit.model.plateau == doctest::Approx(truth.plateau).epsilon(0.15));
  CHECK(fit.model.samples_scale == doctest::Approx(truth.samples_scale).epsilon(0.05));
  CHECK(fit.model.heterogeneity_penalty == doctest::Approx(truth.heterogeneity_penalty).epsilon(0.1));
  CHECK(fit.model.participation_exponent == doctest::Approx(truth.participation_exponent).epsilon(0.1));
  CHECK(fit.model.tail_exponent == doctest::Approx(truth.tail_exponent).epsilon(0.15));
  CAPTURE(fit.model.floor_loss);
  CAPTURE(fit.model.initial_loss);
  CAPTURE(fit.rmse);
  CAPTURE(fit.model.compression_floor);
  CAPTURE(fit.model.tail_exponent);
  CAPTURE(fit.model.samples_scale);
  CAPTURE(fit.model.plateau);
  CHECK(fit.model.max_accuracy == doctest::Approx(truth.max_accuracy).epsilon(0.01));
  CHECK(fit.model.initial_loss == doctest::Approx(truth.initial_loss).epsilon(0.01));
}
