#include "simulator/learning/loss_model.hpp"

#include <Eigen/Core>
#include <unsupported/Eigen/LevenbergMarquardt>
#include <unsupported/Eigen/NumericalDiff>

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgetrain {

double mode_rate(const LossModel& m, Compression::Mode mode) {
  switch (mode) {
  case Compression::Mode::Prune: return m.compression_rate;
  case Compression::Mode::Dropout: return m.dropout_rate;
  case Compression::Mode::Nested: return m.nested_rate;
  case Compression::Mode::Submodel: return m.submodel_rate;
  }
  return m.compression_rate;
}

double trainer_value(const LossModel& m, double samples_processed, double own_samples, double keep,
                     double label_skew, Compression::Mode mode) {
  if (samples_processed <= 0 || own_samples <= 0) return 0;
  const double distinct = own_samples * (1.0 - std::exp(-samples_processed / own_samples));
  return std::pow(keep, mode_rate(m, mode)) * distinct *
         std::max(0.0, 1.0 - m.heterogeneity_penalty * label_skew);
}

double round_rate(const LossModel& m, double value_sum, int trainers) {
  if (trainers <= 0) return 0;
  return value_sum / m.samples_scale * std::pow(trainers, m.participation_exponent - 1.0);
}

double loss_step(const LossModel& m, double loss, double rate, double pruned_keep) {
  const double floor = m.floor_loss + m.compression_floor * (1.0 - pruned_keep);
  const double gap = loss - floor, initial_gap = m.initial_loss - floor;
  // The tail and plateau factors apply to a gap that is closing (positive, below the initial
  // one); a loss under a new, higher floor climbs back at the plain rate.
  if (!(gap > 0 && initial_gap > 0)) return floor + gap * std::exp(-rate);
  const double g = std::min(1.0, gap / initial_gap);
  return floor + gap * std::exp(-rate * std::pow(g, m.tail_exponent) * (1.0 - m.plateau * g));
}

double next_loss(const LossModel& m, double loss, const std::vector<Contribution>& round, double noise) {
  double c_sum = 0, pruned_sum = 0, skew_sum = 0;
  int n = 0;
  for (const Contribution& c : round) {
    if (c.samples_processed <= 0 || c.own_samples <= 0) continue;
    const double distinct = c.own_samples * (1.0 - std::exp(-c.samples_processed / c.own_samples));
    const double w = std::pow(c.keep, mode_rate(m, c.mode)) * distinct;
    c_sum += w, pruned_sum += w * (c.mode != Compression::Mode::Prune ? 1.0 : c.keep), skew_sum += w * c.label_skew;
    ++n;
  }
  if (c_sum <= 0) return loss;
  const double p = pruned_sum / c_sum, h = skew_sum / c_sum;
  // C (1 - penalty x H) is the sum of the trainers' values, C x H being sum c_i h_i.
  const double value = c_sum * std::max(0.0, 1.0 - m.heterogeneity_penalty * h);
  return loss_step(m, loss, round_rate(m, value, n) * noise, p);
}

double accuracy_of(const LossModel& m, double loss, int classes) {
  const double chance = 1.0 / classes;
  if (!(m.initial_loss > m.floor_loss)) return chance;
  const double t = std::clamp((m.initial_loss - loss) / (m.initial_loss - m.floor_loss), 0.0, 1.0);
  return chance + (m.max_accuracy - chance) * t;
}

std::vector<double> predict(const LossModel& m, const LossTrace& t) {
  std::vector<double> out;
  double loss = t.initial_loss;
  for (const auto& r : t.rounds)
    out.push_back(loss = next_loss(m, loss, r));
  return out;
}

int rounds_to(const std::vector<double>& loss, double target) {
  for (std::size_t i = 0; i < loss.size(); ++i)
    if (loss[i] <= target) return static_cast<int>(i) + 1;
  return 0;
}

namespace {
// Unconstrained coordinates: logs of the positive parameters, logits of those in [0, 1] (kept off
// the ends, where the logistic's slope vanishes and the fit could not move them).
double logit(double v) {
  const double c = std::clamp(v, 0.01, 0.99);
  return std::log(c / (1 - c));
}
double logistic(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}
constexpr int kFitted = 11;
Eigen::VectorXd to_x(const LossModel& m) {
  Eigen::VectorXd x(kFitted);
  const auto lg = [](double v) { return std::log(std::max(v, 1e-6)); };
  x << lg(m.floor_loss), lg(m.compression_floor), lg(m.compression_rate), lg(m.dropout_rate), lg(m.nested_rate),
      lg(m.submodel_rate), std::log(m.samples_scale), logit(m.participation_exponent),
      logit(m.heterogeneity_penalty), logit(m.tail_exponent / 3.0), logit(m.plateau);
  return x;
}
// The fit may wander far on data that cannot determine a parameter: values are kept inside the
// ranges the surrogate's keys accept (a calibration file must load).
LossModel from_x(LossModel m, const Eigen::VectorXd& x) {
  const auto bounded = [](double v, double lo, double hi) {
    return std::isfinite(v) ? std::clamp(v, lo, hi) : hi;
  };
  m.floor_loss = bounded(std::exp(x(0)), 0, 0.999 * m.initial_loss); // the surrogate needs floor < initial
  m.compression_floor = bounded(std::exp(x(1)), 0, 1e3);
  m.compression_rate = bounded(std::exp(x(2)), 0, 10);
  m.dropout_rate = bounded(std::exp(x(3)), 0, 10);
  m.nested_rate = bounded(std::exp(x(4)), 0, 10);
  m.submodel_rate = bounded(std::exp(x(5)), 0, 10);
  m.samples_scale = bounded(std::exp(x(6)), 1e-3, 1e15), m.participation_exponent = logistic(x(7)),
  m.heterogeneity_penalty = logistic(x(8)), m.tail_exponent = 3.0 * logistic(x(9)); // tail in [0, 3]
  m.plateau = std::min(0.99, logistic(x(10)));
  return m;
}

struct Residuals : Eigen::DenseFunctor<double> {
  const std::vector<LossTrace>* traces;
  LossModel base;
  Residuals(const std::vector<LossTrace>& t, const LossModel& b, int values)
      : DenseFunctor<double>(kFitted, values), traces(&t), base(b) {}
  int operator()(const InputType& x, ValueType& r) const {
    const LossModel m = from_x(base, x);
    Eigen::Index i = 0;
    for (const LossTrace& t : *traces) {
      const std::vector<double> p = predict(m, t);
      for (std::size_t k = 0; k < p.size(); ++k)
        r(i++) = p[k] - t.loss[k];
    }
    return 0;
  }
};
} // namespace

LossFit fit_loss_model(const std::vector<LossTrace>& traces, const LossModel& start, int classes) {
  LossModel base = start;
  int values = 0;
  double init_sum = 0;
  for (const LossTrace& t : traces)
    values += static_cast<int>(t.loss.size()), init_sum += t.initial_loss;
  LossFit best;
  best.model = start;
  best.rmse = std::numeric_limits<double>::infinity();
  if (values == 0) return best;
  base.initial_loss = init_sum / static_cast<double>(traces.size());
  Residuals f(traces, base, values);
  Eigen::NumericalDiff<Residuals> nd(f);
  // Several starts: over the rate scale, the parameter most likely to be off by orders of
  // magnitude, and over the tail and the floor, which trade off against each other on curves
  // that have not flattened yet.
  std::vector<LossModel> starts;
  for (double scale : {start.samples_scale, start.samples_scale * 10, start.samples_scale / 10})
    for (double tail : {start.tail_exponent, 0.0, 2.0})
      for (double floor : {start.floor_loss, 0.5 * start.floor_loss}) {
        LossModel s0 = base;
        s0.samples_scale = scale, s0.tail_exponent = tail, s0.floor_loss = floor;
        starts.push_back(s0);
      }
  for (const LossModel& s0 : starts) {
    Eigen::VectorXd x = to_x(s0);
    Eigen::LevenbergMarquardt<Eigen::NumericalDiff<Residuals>> lm(nd);
    lm.setMaxfev(2000);
    lm.minimize(x);
    Eigen::VectorXd r(values);
    f(x, r);
    const double rmse = std::sqrt(r.squaredNorm() / values);
    best.evaluations += static_cast<int>(lm.nfev());
    if (rmse < best.rmse) best.model = from_x(base, x), best.rmse = rmse;
  }
  // max_accuracy: least squares of (accuracy - chance) = (max - chance) x t(loss).
  const double chance = 1.0 / classes;
  double num = 0, den = 0;
  for (const LossTrace& t : traces)
    for (std::size_t k = 0; k < t.loss.size() && k < t.accuracy.size(); ++k) {
      LossModel unit = best.model;
      unit.max_accuracy = 1.0 + chance; // accuracy_of then returns chance + t
      const double tk = accuracy_of(unit, t.loss[k], classes) - chance;
      num += tk * (t.accuracy[k] - chance), den += tk * tk;
    }
  if (den > 0) best.model.max_accuracy = std::clamp(chance + num / den, chance, 1.0);
  return best;
}

} // namespace edgetrain
