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
  m.skew_exponent = 2.0;
  // Two trainers, each 100 samples processed over 100 held: distinct = 100 (1 - e^-1) = 63.2121.
  // Keeps 1 and 0.5: c = 63.2121 and 31.6060; C = 94.8181; k = (63.2121 + 15.8030) / C = 0.8333;
  // F = 0.3 + 0.4 x 0.16667 = 0.36667; skews 0 and 0.4, skew_exponent 2: the values are 63.2121
  // and 31.6060 x 0.6^2; the mean skew H = 31.6060 x 0.4 / C = 0.13333 makes the trainer count's
  // exponent b = 1 x H; rate = (63.2121 + 11.3782) x 2^(b - 1) / 1000; L' = F + (2 - F) e^-rate.
  const double distinct = 100 * (1 - std::exp(-1.0));
  const double C = 1.5 * distinct, k = (distinct + 0.25 * distinct) / C, H = 0.5 * distinct * 0.4 / C;
  const double F = 0.3 + 0.4 * (1 - k),
               rate = (distinct + 0.5 * distinct * 0.36) * std::pow(2.0, H - 1) / 1000;
  const double expected = F + (2.0 - F) * std::exp(-rate);
  CHECK(next_loss(m, 2.0, {{100, 100, 1.0, 0.0}, {100, 100, 0.5, 0.4}}) ==
        doctest::Approx(expected).epsilon(1e-12));
  CHECK(next_loss(m, 2.0, {}) == 2.0); // nobody delivered
  // At the floor, a pruned half-model pulls the loss up towards its higher floor; a half-model of
  // units dropped at random does not (the model stays whole, every unit is trained in turn).
  using Mode = Compression::Mode;
  CHECK(next_loss(m, 0.3, {{100, 100, 0.5, 0.0, Mode::Prune}}) > 0.3);
  for (Mode mode : {Mode::Dropout, Mode::Submodel})
    CHECK(next_loss(m, 0.3, {{100, 100, 0.5, 0.0, mode}}) == doctest::Approx(0.3));
  // Nested half-models alone leave the upper half of every layer at its initial weights: the floor
  // rises as if pruned to the largest nested keep (0.5, then 1 with a whole model beside it).
  double floor = 0;
  next_loss(m, 0.3, {{100, 100, 0.5, 0.0, Mode::Nested}, {100, 100, 0.25, 0.0, Mode::Nested}}, 1.0, &floor);
  CHECK(floor == doctest::Approx(0.3 + 0.4 * 0.5).epsilon(1e-12));
  next_loss(m, 0.3, {{100, 100, 0.5, 0.0, Mode::Nested}, {100, 100, 1.0, 0.0, Mode::Nested}}, 1.0, &floor);
  CHECK(floor == doctest::Approx(0.3).epsilon(1e-12));
  // Each mode discounts keep by its own exponent: with nested_rate 2 a half model's value is a
  // quarter; a nested half covers half the layer's units, so the rate is 0.5 x 0.25 x 63.2121 /
  // 1000, towards the floor 0.3 + 0.4 x 0.5.
  m.nested_rate = 2.0;
  CHECK(next_loss(m, 2.0, {{100, 100, 0.5, 0.0, Mode::Nested, {}}}) ==
        doctest::Approx(0.5 + 1.5 * std::exp(-0.5 * 0.25 * distinct / 1000)).epsilon(1e-12));
  // Plateau 0.8 and tail 1, from 2.0 with floor 0.3 (initial loss 2.0): g = 1, so the rate is cut
  // to 1 x (1 - 0.8) of itself; halfway down, g = 0.5: 0.5 x (1 - 0.4) = 0.3 of it.
  {
    LossModel q = m;
    q.initial_loss = 2.0, q.plateau = 0.8, q.tail_exponent = 1.0;
    CHECK(loss_step(q, 2.0, 0.5, 1.0) == doctest::Approx(0.3 + 1.7 * std::exp(-0.5 * 0.2)).epsilon(1e-12));
    CHECK(loss_step(q, 1.15, 0.5, 1.0) == doctest::Approx(0.3 + 0.85 * std::exp(-0.5 * 0.3)).epsilon(1e-12));
  }
  // Trainers of skew 0.5 and participation exponent 1: b = 0.5, four trainers progress twice as
  // fast as one, not four times; IID (b = 0), four go as far as one (FedAvg averages them).
  const auto drop_of = [&](double skew, int n) {
    return std::log((2.0 - 0.3) /
                    (next_loss(m, 2.0, std::vector<Contribution>(static_cast<std::size_t>(n), {100, 100, 1, skew})) - 0.3));
  };
  CHECK(drop_of(0.5, 4) / drop_of(0.5, 1) == doctest::Approx(2.0).epsilon(1e-12));
  CHECK(drop_of(0.0, 4) / drop_of(0.0, 1) == doctest::Approx(1.0).epsilon(1e-12));
  m.participation_exponent = 0.5; // b = 0.25 at skew 0.5: 4^0.25
  CHECK(drop_of(0.5, 4) / drop_of(0.5, 1) == doctest::Approx(std::sqrt(2.0)).epsilon(1e-12));
  m.initial_loss = 2.0, m.max_accuracy = 0.9;
  CHECK(accuracy_of(m, 2.0, 10) == doctest::Approx(0.1));
  CHECK(accuracy_of(m, 0.3, 10) == doctest::Approx(0.9));
  CHECK(accuracy_of(m, 1.15, 10) == doctest::Approx(0.5));
  // A table wins over max_accuracy: knots at losses 0, 1, 2, interpolated, flat beyond.
  m.accuracy_table = {1.0, 0.6, 0.1};
  CHECK(accuracy_of(m, 0.5, 10) == doctest::Approx(0.8).epsilon(1e-12));
  CHECK(accuracy_of(m, 1.5, 10) == doctest::Approx(0.35).epsilon(1e-12));
  CHECK(accuracy_of(m, 3.0, 10) == doctest::Approx(0.1).epsilon(1e-12));
  CHECK(accuracy_of(m, -0.1, 10) == doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("loss model: the round's union label mix raises its floor, by hand") {
  using Mode = Compression::Mode;
  LossModel m;
  m.floor_loss = 0.3, m.initial_loss = 2.0, m.samples_scale = 1000, m.skew_exponent = 0, m.skew_floor = 0.5;
  const double d = 100 * (1 - std::exp(-1.0));
  const Contribution a{100, 100, 1.0, 0.5, Mode::Prune, {}, {1.0, 0.0}}, b{100, 100, 1.0, 0.5, Mode::Prune, {}, {0.0, 1.0}},
      uniform{100, 100, 1.0, 0.0, Mode::Prune, {}, {}};
  // Two one-class trainers of two classes together cover both evenly: U = 0, the floor stays (the
  // rate is 2 d x 2^(b - 1), b = 0.5 their mean skew).
  CHECK(union_skew({a, b}, {1, 1}) == 0.0);
  double floor = 0;
  CHECK(next_loss(m, 2.0, {a, b}, 1.0, &floor) ==
        doctest::Approx(0.3 + 1.7 * std::exp(-std::sqrt(2.0) * d / 1000)).epsilon(1e-12));
  CHECK(floor == doctest::Approx(0.3));
  // One alone: its mix (1, 0) is 0.5 from uniform: F = 0.3 + 0.5 x 0.5; and a loss under that floor
  // climbs towards it at the plain rate.
  CHECK(union_skew({a}, {1}) == doctest::Approx(0.5).epsilon(1e-12));
  CHECK(next_loss(m, 0.35, {a}, 1.0, &floor) == doctest::Approx(0.55 - 0.2 * std::exp(-d / 1000)).epsilon(1e-12));
  CHECK(floor == doctest::Approx(0.55).epsilon(1e-12));
  // With a trainer that has no mix (uniform), weighted 1 : 3: union (0.25 x 1 + 0.75 x 0.5, 0.75 x 0.5)
  // = (0.625, 0.375): U = 0.125.
  CHECK(union_skew({a, uniform}, {1, 3}) == doctest::Approx(0.125).epsilon(1e-12));
  CHECK(union_skew({a}, {0}) == 0.0);
}

TEST_CASE("loss model: coverage of a layer's units, by hand") {
  using Mode = Compression::Mode;
  LossModel m;
  m.floor_loss = 0.3, m.initial_loss = 2.0, m.samples_scale = 1000, m.skew_exponent = 0;
  // Every trainer of skew 0.5 (skew_exponent 0: no value lost to it): b = 1 x 0.5.
  m.nested_rate = 1.0, m.dropout_rate = 1.0, m.submodel_rate = 1.0, m.participation_exponent = 1.0;
  m.compression_floor = 0; // the rates alone (nested sub-models raise the floor: tested above)
  const double h = 0.5;
  const double d = 100 * (1 - std::exp(-1.0)); // each trainer's distinct samples
  const auto rate_of = [&](const LossModel& q, const std::vector<Contribution>& round) {
    return std::log((2.0 - 0.3) / (next_loss(q, 2.0, round) - 0.3)) * 1000 / d;
  };
  // HeteroFL: A trains the whole model, B the nested first half (value 0.5 d). Units [0.5, 1):
  // A alone, V = d, N = 1; units [0, 0.5): V = 1.5 d, N = 2: 0.5 d + 0.5 x 1.5 d / sqrt 2.
  CHECK(rate_of(m, {{100, 100, 1.0, h, Mode::Nested, {}}, {100, 100, 0.5, h, Mode::Nested, {}}}) ==
        doctest::Approx(0.5 + 0.75 / std::sqrt(2.0)).epsilon(1e-12));
  // The same keeps as random sub-models (Federated Dropout): B has half the units, each with a
  // value 0.5 d; the expected count of senders is 1.5, and each trainer's units are shared with the
  // other's expected count: A's d with 1 + 0.5, B's 0.5 x 0.5 d with 1 + 1.
  CHECK(rate_of(m, {{100, 100, 1.0, h, Mode::Submodel, {}}, {100, 100, 0.5, h, Mode::Submodel, {}}}) ==
        doctest::Approx(1 / std::sqrt(1.5) + 0.25 / std::sqrt(2.0)).epsilon(1e-12));
  // Dropped anew at every step: the same V, but both trainers send every unit, N = 2.
  CHECK(rate_of(m, {{100, 100, 1.0, h, Mode::Dropout, {}}, {100, 100, 0.5, h, Mode::Dropout, {}}}) ==
        doctest::Approx(1.25 / std::sqrt(2.0)).epsilon(1e-12));
  // B alone: a random half sub-model gets its full value 0.5 d on the half it has (averaged over
  // that one trainer, not 0.5 of one), and so does dropout on half the steps of every unit: 0.25.
  for (Mode mode : {Mode::Submodel, Mode::Dropout})
    CHECK(rate_of(m, {{100, 100, 0.5, h, mode, {}}}) == doctest::Approx(0.25).epsilon(1e-12));
  // IID (b = 0) every unit gets the mean of its trainers' updates: A and B as sub-models, d / 1.5
  // + 0.25 d / 2. Three trainers of a random 0.3 each: units nobody has get nothing, each one's
  // 0.3 x 0.3 d shared with 1 + 0.6 expected others: 3 x 0.09 / 1.6, where counting the 0.9
  // expected senders as one would give 0.27.
  CHECK(rate_of(m, {{100, 100, 1.0, 0, Mode::Submodel, {}}, {100, 100, 0.5, 0, Mode::Submodel, {}}}) ==
        doctest::Approx(1 / 1.5 + 0.25 / 2).epsilon(1e-12));
  CHECK(rate_of(m, std::vector<Contribution>(3, {100, 100, 0.3, 0, Mode::Submodel, {}})) ==
        doctest::Approx(0.27 / 1.6).epsilon(1e-12));
  // Per layer: weights 0.25 and 0.75, keeps 0.5 and 1 nested, nested_rate 0 (value d): the first
  // layer's rate is half, the second whole: 0.25 x 0.5 + 0.75.
  LossModel layered = m;
  layered.nested_rate = 0, layered.layer_weight = {0.25, 0.75};
  CHECK(rate_of(layered, {{100, 100, 0.75, h, Mode::Nested, {0.5, 1.0}}}) == doctest::Approx(0.875).epsilon(1e-12));
  // Swapped, the layer that weighs more loses the half: 0.25 + 0.75 x 0.5.
  CHECK(rate_of(layered, {{100, 100, 0.75, h, Mode::Nested, {1.0, 0.5}}}) == doctest::Approx(0.625).epsilon(1e-12));
  // The discount uses the weighted keep: nested_rate 1, keep (0.5, 1) weighs 0.875: 0.875 x 0.875.
  layered.nested_rate = 1;
  CHECK(rate_of(layered, {{100, 100, 0.75, 0, Mode::Nested, {0.5, 1.0}}}) ==
        doctest::Approx(0.875 * 0.875).epsilon(1e-12));
}

TEST_CASE("loss model: a round's swing, by hand") {
  LossModel m;
  m.floor_loss = 0.3, m.swing = 0.05, m.swing_skew = 0.5;
  // Skews 0 and 0.4 on equal distinct samples: H = 0.2, two trainers: s = 0.05 + 0.5 x 0.2 / sqrt 2.
  const double s = swing_sigma(m, {{100, 100, 1.0, 0.0, Compression::Mode::Prune, {}},
                                   {100, 100, 1.0, 0.4, Compression::Mode::Prune, {}}});
  CHECK(s == doctest::Approx(0.05 + 0.1 / std::sqrt(2.0)).epsilon(1e-12));
  CHECK(swing_sigma(m, {}) == 0);
  // The gap above the floor moves by exp(s z - s^2 / 2): from 1.3, s 0.2, z 1: 0.3 + e^0.18.
  CHECK(swung_loss(1.3, 0.2, 1.0, 0.3) == doctest::Approx(0.3 + std::exp(0.18)).epsilon(1e-12));
  CHECK(swung_loss(0.25, 0.2, 1.0, 0.3) == 0.25); // under the floor: left alone
}

TEST_CASE("loss model: layer weights are the FLOPs a layer's units take part in") {
  // conv 2 filters 3x3 on 1x4x4: 2x2 outputs, 72 MACs (144 FLOPs); flatten: 8 features; dense 4
  // units: 32 MACs (64 FLOPs); output 3: 12 MACs (24 FLOPs). conv: 144 + 64, dense: 64 + 24.
  ModelDescriptor model;
  model.in_channels = 1, model.in_h = 4, model.in_w = 4, model.classes = 3;
  model.layers = {{LayerKind::Conv2d, "c", 2, 3, 1, 0, true},
                  {LayerKind::Flatten, "f", 0, 1, 1, 0, false},
                  {LayerKind::Dense, "d", 4, 1, 1, 0, true},
                  {LayerKind::Dense, "o", 3, 1, 1, 0, false}};
  const std::vector<double> w = layer_weights(model);
  REQUIRE(w.size() == 2);
  CHECK(w[0] == doctest::Approx(208.0 / 296).epsilon(1e-12));
  CHECK(w[1] == doctest::Approx(88.0 / 296).epsilon(1e-12));
}

TEST_CASE("loss model: the fit recovers known parameters from noisy curves") {
  LossModel truth;
  truth.initial_loss = 2.3, truth.floor_loss = 0.35, truth.compression_floor = 0.5,
  truth.compression_rate = 0.7;
  truth.samples_scale = 3000, truth.skew_exponent = 1.5, truth.skew_shape = 2.0, truth.skew_floor = 0.4; // IID rounds go at their
  // trainers' mean rate: this fast, every curve shows its floor within its 60 rounds
  truth.accuracy_table = {0.95, 0.9, 0.8, 0.65, 0.45, 0.25, 0.1};
  truth.participation_exponent = 0.6, truth.tail_exponent = 0.8;
  truth.dropout_rate = 1.2, truth.nested_rate = 0.3, truth.submodel_rate = 0.9, truth.plateau = 0.4;
  truth.swing = 0.004, truth.swing_skew = 0.04;
  Rng rng(11, "fit");
  std::vector<LossTrace> traces;
  // A design over compression, participation and label skew, 60 rounds each (with a slow tail,
  // the floor shows only late). Skewed trainers hold five classes in turn (j to j + 4): skew 0.5
  // each; ten of them cover every class (union skew 0), four of them do not (0.3). Pruned ones
  // also hold two classes (2j, 2j + 1): skew 0.8, so that the skew factor's shape shows.
  using Mode = Compression::Mode;
  for (double keep : {1.0, 0.75, 0.5, 0.3})
    for (Mode mode : {Mode::Prune, Mode::Dropout, Mode::Nested, Mode::Submodel})
    for (int participants : {10, 4})
      for (double skew : {0.0, 0.5, 0.8}) {
        if ((keep == 1.0 && mode != Mode::Prune) || (skew == 0.8 && mode != Mode::Prune)) continue;
        LossTrace t;
        t.initial_loss = truth.initial_loss + 0.01 * rng.normal();
        double loss = t.initial_loss;
        for (int r = 0; r < 60; ++r) {
          std::vector<Contribution> round(static_cast<std::size_t>(participants), {320, 600, keep, skew, mode});
          const std::size_t classes = skew == 0.8 ? 2 : 5;
          for (std::size_t j = 0; j < round.size() && skew > 0; ++j) {
            round[j].label_mix.assign(10, 0.0);
            for (std::size_t c = 0; c < classes; ++c)
              round[j].label_mix[(classes == 2 ? 2 * j + c : j + c) % 10] = 1.0 / static_cast<double>(classes);
          }
          double floor = 0;
          loss = next_loss(truth, loss, round, std::exp(0.05 * rng.normal() - 0.00125), &floor); // noisy rate
          t.rounds.push_back(round);
          const double observed = swung_loss(loss, swing_sigma(truth, round), rng.normal(), floor);
          t.loss.push_back(observed);
          t.accuracy.push_back(accuracy_of(truth, loss, 10) + 0.003 * rng.normal());
        }
        traces.push_back(t);
      }
  LossModel start;           // the defaults, off from the truth by up to a factor of 2
  start.tail_exponent = 1.0; // as edgetrain calibrate starts
  start.skew_floor = 0.3;
  const LossFit fit = fit_loss_model(traces, start, 10);
  CHECK(fit.rmse < 0.02); // the swings themselves: sigma up to 0.014 of gaps up to 2
  // The RMSE reported is that of log(loss), worked out again from the fitted model's curves (a
  // swing of a given share weighs the same at loss 2 as at 0.4).
  double squares = 0;
  int n = 0;
  for (const LossTrace& t : traces) {
    const std::vector<double> p = predict(fit.model, t);
    for (std::size_t k = 0; k < p.size(); ++k, ++n)
      squares += std::pow(std::log(p[k]) - std::log(t.loss[k]), 2);
  }
  CHECK(fit.rmse == doctest::Approx(std::sqrt(squares / n)).epsilon(1e-9));
  CHECK(fit.model.floor_loss == doctest::Approx(truth.floor_loss).epsilon(0.05));
  CHECK(fit.model.compression_floor == doctest::Approx(truth.compression_floor).epsilon(0.1));
  CHECK(fit.model.compression_rate == doctest::Approx(truth.compression_rate).epsilon(0.1));
  CHECK(fit.model.dropout_rate == doctest::Approx(truth.dropout_rate).epsilon(0.1));
  CHECK(fit.model.nested_rate == doctest::Approx(truth.nested_rate).epsilon(0.15));
  CHECK(fit.model.submodel_rate == doctest::Approx(truth.submodel_rate).epsilon(0.1));
  CHECK(fit.model.plateau == doctest::Approx(truth.plateau).epsilon(0.15));
  CHECK(fit.model.samples_scale == doctest::Approx(truth.samples_scale).epsilon(0.1)); // trades with the skew pair
  CHECK(fit.model.skew_exponent == doctest::Approx(truth.skew_exponent).epsilon(0.1));
  CHECK(fit.model.skew_shape == doctest::Approx(truth.skew_shape).epsilon(0.1));
  CHECK(fit.model.skew_floor == doctest::Approx(truth.skew_floor).epsilon(0.1));
  CHECK(fit.model.participation_exponent == doctest::Approx(truth.participation_exponent).epsilon(0.1));
  CHECK(fit.model.tail_exponent == doctest::Approx(truth.tail_exponent).epsilon(0.15));
  CAPTURE(fit.model.floor_loss);
  CAPTURE(fit.model.initial_loss);
  CAPTURE(fit.rmse);
  CAPTURE(fit.model.compression_floor);
  CAPTURE(fit.model.tail_exponent);
  CAPTURE(fit.model.samples_scale);
  CAPTURE(fit.model.plateau);
  // The accuracy table, where the rounds' losses lie (0.35 to 2.3): within 0.01 of the truth's
  // from 0.45 up, within 0.02 below it, where only the whole-model runs' last rounds are.
  for (double loss = 0.4; loss <= 2.2; loss += 0.15) {
    CAPTURE(loss);
    CHECK(std::abs(accuracy_of(fit.model, loss, 10) - accuracy_of(truth, loss, 10)) < (loss < 0.45 ? 0.02 : 0.01));
  }
  CHECK(fit.model.initial_loss == doctest::Approx(truth.initial_loss).epsilon(0.01));
  // The swings: sigma 0.004 on IID rounds, 0.004 + 0.04 x 0.5 / sqrt(n) on skewed ones (0.014 with 4).
  CHECK(std::abs(fit.model.swing - truth.swing) < 0.0006);
  CHECK(std::abs(fit.model.swing_skew - truth.swing_skew) < 0.006);
  CAPTURE(fit.model.swing);
  CAPTURE(fit.model.swing_skew);
}

TEST_CASE("loss model: the fit keeps a floor's rise within the initial loss") {
  // Whole-model runs fall from 2.3 towards 0.5; pruned ones (keep 0.8) climb to 20, as a pruned
  // model the fit cannot explain otherwise. Unbounded, the fit would put compression_floor near
  // (20 - 0.5) / 0.2 ~ 100: a floor no model at chance has. It stops at the initial loss.
  using Mode = Compression::Mode;
  std::vector<LossTrace> traces;
  for (double keep : {1.0, 1.0, 0.8, 0.8}) {
    LossTrace t;
    t.initial_loss = 2.3;
    for (int r = 1; r <= 12; ++r) {
      t.rounds.push_back(std::vector<Contribution>(4, {320, 600, keep, 0.0, Mode::Prune}));
      t.loss.push_back(keep < 1 ? 2.3 + (20 - 2.3) * (1 - std::exp(-0.5 * r)) : 0.5 + 1.8 * std::exp(-0.3 * r));
      t.accuracy.push_back(0.5);
    }
    traces.push_back(t);
  }
  LossModel start;
  start.tail_exponent = 1.0, start.compression_floor = 5; // a start already past the bound
  const LossFit fit = fit_loss_model(traces, start, 10);
  CAPTURE(fit.model.compression_floor);
  CHECK(fit.model.compression_floor <= fit.model.initial_loss);
  CHECK(fit.model.compression_floor > 0.9 * fit.model.initial_loss); // the data push it to the bound
  CHECK(fit.model.skew_floor <= fit.model.initial_loss);
}
