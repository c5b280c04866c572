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

namespace {
// n (1 - exp(-w / n)): the distinct samples, of n held, that w processed drawn at random cover.
double distinct_samples(double processed, double own) {
  return own * (1.0 - std::exp(-processed / own));
}
// (1 - h^skew_shape)^skew_exponent: what a trainer's own label skew leaves of its update.
double skew_factor(const LossModel& m, double label_skew) {
  const double h = std::clamp(label_skew, 0.0, 1.0);
  return std::pow(std::clamp(1.0 - std::pow(h, m.skew_shape), 0.0, 1.0), m.skew_exponent);
}
} // namespace

double keep_discount(double keep, double rate) {
  return std::pow(keep, rate);
}

double trainer_value(const LossModel& m, double samples_processed, double own_samples, double keep,
                     double label_skew, Compression::Mode mode) {
  if (samples_processed <= 0 || own_samples <= 0) return 0;
  const double distinct = distinct_samples(samples_processed, own_samples);
  return keep_discount(keep, mode_rate(m, mode)) * distinct * skew_factor(m, label_skew);
}

double participation_at(const LossModel& m, double mean_skew) {
  return m.participation_exponent * std::clamp(mean_skew, 0.0, 1.0);
}

double round_rate(const LossModel& m, double value_sum, int trainers) {
  if (trainers <= 0) return 0;
  return value_sum / m.samples_scale * std::pow(trainers, m.participation_exponent - 1.0);
}

double round_floor(const LossModel& m, double pruned_keep, double union_skew) {
  return m.floor_loss + m.compression_floor * (1.0 - pruned_keep) + m.skew_floor * union_skew;
}

double union_skew(const std::vector<Contribution>& round, const std::vector<double>& weights) {
  std::size_t classes = 0;
  for (const Contribution& c : round)
    classes = std::max(classes, c.label_mix.size());
  double total = 0;
  for (double w : weights)
    total += w;
  if (classes == 0 || !(total > 0)) return 0;
  std::vector<double> mix(classes, 0.0);
  for (std::size_t i = 0; i < round.size() && i < weights.size(); ++i) {
    const std::vector<double>& q = round[i].label_mix;
    for (std::size_t j = 0; j < classes; ++j)
      mix[j] += weights[i] * (q.size() == classes ? q[j] : 1.0 / static_cast<double>(classes));
  }
  double tv = 0;
  for (double x : mix)
    tv += std::abs(x / total - 1.0 / static_cast<double>(classes));
  return 0.5 * tv;
}

double loss_step(const LossModel& m, double loss, double rate, double pruned_keep, double union_skew) {
  const double floor = round_floor(m, pruned_keep, union_skew);
  const double gap = loss - floor, initial_gap = m.initial_loss - floor;
  // The tail and plateau factors apply to a gap that is closing (positive, below the initial
  // one); a loss under a new, higher floor climbs back at the plain rate.
  if (!(gap > 0 && initial_gap > 0)) return floor + gap * std::exp(-rate);
  const double g = std::min(1.0, gap / initial_gap);
  return floor + gap * std::exp(-rate * std::pow(g, m.tail_exponent) * (1.0 - m.plateau * g));
}

namespace {
// A trainer's keep in layer l (its uniform keep when it has no per-layer vector).
double keep_in(const Contribution& c, std::size_t l) {
  return l < c.layer_keep.size() ? c.layer_keep[l] : c.keep;
}
// The layer-weighted mean keep: what discounts a trainer's update and, pruned, raises the floor.
double weighted_keep(const LossModel& m, const Contribution& c) {
  if (c.layer_keep.empty() || c.layer_keep.size() != m.layer_weight.size()) return c.keep;
  double k = 0;
  for (std::size_t l = 0; l < c.layer_keep.size(); ++l)
    k += m.layer_weight[l] * c.layer_keep[l];
  return k;
}
struct Covered {
  double keep, value;
};
// What the Submodel trainers of a layer send: `value` is the sum of v_i a_i of those whose own share
// n_i of the unit's senders (their keep in the layer) is `count`.
struct Spread {
  double count, value;
};
// The integral over one layer's units of V(u) N(u)^(beta - 1) (see the header). The trainers that
// cover every unit alike are `whole` (the summed value of the Prune and Dropout ones, whose count
// is 1, kept apart so that only Submodel trainers need sorting), `whole_n` (their number) and
// `spread` (the Submodel ones); `nested` the trainers that cover [0, keep). A trainer that has the
// unit shares it with the others' expected count: for a unit in an interval that m nested trainers
// cover, its term is v_i a_i (1 + m + S - n_i)^(beta - 1), S the spread trainers' sum of n_i.
// Exact for one trainer (a lone Submodel trainer's unit is averaged over itself, not over its keep
// of one) and as trainers grow many; under it, units few trainers have are not counted as covered
// more often than they are.
double layer_integral(double whole, double whole_n, std::vector<Spread>& spread, std::vector<Covered>& nested,
                      double beta) {
  std::sort(nested.begin(), nested.end(), [](const Covered& x, const Covered& y) { return x.keep > y.keep; });
  std::sort(spread.begin(), spread.end(), [](const Spread& x, const Spread& y) { return x.count < y.count; });
  double s_sum = whole_n; // merged by count: a round's Submodel trainers mostly share a few keeps
  std::size_t kept = 0;
  for (const Spread& t : spread) {
    s_sum += t.count;
    if (kept > 0 && spread[kept - 1].count == t.count) spread[kept - 1].value += t.value;
    else spread[kept++] = t;
  }
  spread.resize(kept);
  const auto at = [&](double nested_v, double m) {
    double sum = m > 0 ? nested_v * std::pow(m + s_sum, beta - 1.0) : 0.0;
    if (whole > 0) sum += whole * std::pow(m + s_sum, beta - 1.0);
    for (const Spread& t : spread)
      sum += t.value * std::pow(1.0 + m + s_sum - t.count, beta - 1.0);
    return sum;
  };
  double sum = 0, v = 0, m = 0, upper = 1.0;
  for (const Covered& c : nested) {
    // units above this keep: covered by the larger ones (none when keeps repeat, as HeteroFL's few
    // levels do: no term to work out)
    if (upper > c.keep) sum += (upper - c.keep) * at(v, m);
    v += c.value, m += 1, upper = c.keep;
  }
  return sum + upper * at(v, m);
}
// The share of the model (layer-weighted) that the round's nested sub-models reach: in each layer,
// the largest keep among them. Units above it stay at their initial weights in the global model,
// and feed noise into the trained ones below, as a pruned model's missing units cannot.
double nested_coverage(const LossModel& m, const std::vector<Contribution>& round) {
  const std::size_t layers = std::max<std::size_t>(1, m.layer_weight.size());
  double cover = 0;
  for (std::size_t l = 0; l < layers; ++l) {
    double top = 0;
    for (const Contribution& c : round)
      if (c.mode == Compression::Mode::Nested && c.samples_processed > 0 && c.own_samples > 0)
        top = std::max(top, std::clamp(m.layer_weight.empty() ? c.keep : keep_in(c, l), 0.0, 1.0));
    cover += (m.layer_weight.empty() ? 1.0 : m.layer_weight[l]) * top;
  }
  return cover;
}
} // namespace

double next_loss(const LossModel& m, double loss, const std::vector<Contribution>& round, double noise,
                 double* floor) {
  double c_sum = 0, pruned_sum = 0;
  std::vector<double> value(round.size(), 0.0), weight_of(round.size(), 0.0);
  const double nested_cover = nested_coverage(m, round);
  for (std::size_t i = 0; i < round.size(); ++i) {
    const Contribution& c = round[i];
    if (c.samples_processed <= 0 || c.own_samples <= 0) continue;
    const double k = weighted_keep(m, c);
    const double distinct = distinct_samples(c.samples_processed, c.own_samples);
    const double w = keep_discount(k, mode_rate(m, c.mode)) * distinct;
    c_sum += w, pruned_sum += w * (c.mode == Compression::Mode::Prune    ? k
                                   : c.mode == Compression::Mode::Nested ? nested_cover
                                                                         : 1.0);
    weight_of[i] = w, value[i] = w * skew_factor(m, c.label_skew);
  }
  if (c_sum <= 0) {
    if (floor) *floor = round_floor(m, 1.0, 0.0);
    return loss;
  }
  const double skew = m.skew_floor > 0 ? union_skew(round, weight_of) : 0.0;
  if (floor) *floor = round_floor(m, pruned_sum / c_sum, skew);
  const std::size_t layers = std::max<std::size_t>(1, m.layer_weight.size());
  double skew_mean = 0;
  for (std::size_t i = 0; i < round.size(); ++i)
    skew_mean += weight_of[i] * round[i].label_skew;
  const double beta = participation_at(m, skew_mean / c_sum);
  double rate = 0;
  std::vector<Covered> nested;
  std::vector<Spread> spread;
  for (std::size_t l = 0; l < layers; ++l) {
    spread.clear(), nested.clear();
    double whole = 0, whole_n = 0;
    for (std::size_t i = 0; i < round.size(); ++i) {
      const Contribution& c = round[i];
      if (c.samples_processed <= 0 || c.own_samples <= 0) continue;
      const double k = std::clamp(keep_in(c, l), 0.0, 1.0);
      switch (c.mode) {
      case Compression::Mode::Prune: whole += value[i], whole_n += 1; break;
      case Compression::Mode::Nested: nested.push_back({k, value[i]}); break;
      // Dropout draws the units anew at every step: the trainer updates each of them on a share
      // keep of its steps and sends them all (they are averaged over every trainer); a Submodel
      // trainer has a share keep of them for the whole round and sends only those.
      case Compression::Mode::Dropout: whole += k * value[i], whole_n += 1; break;
      case Compression::Mode::Submodel: spread.push_back({k, k * value[i]}); break;
      }
    }
    const double weight = m.layer_weight.empty() ? 1.0 : m.layer_weight[l];
    rate += weight * layer_integral(whole, whole_n, spread, nested, beta);
  }
  return loss_step(m, loss, rate / m.samples_scale * noise, pruned_sum / c_sum, skew);
}

double swing_sigma(const LossModel& m, const std::vector<Contribution>& round) {
  double c_sum = 0, skew_sum = 0;
  int n = 0;
  for (const Contribution& c : round) {
    if (c.samples_processed <= 0 || c.own_samples <= 0) continue;
    const double w = distinct_samples(c.samples_processed, c.own_samples);
    c_sum += w, skew_sum += w * c.label_skew, ++n;
  }
  if (n == 0 || c_sum <= 0) return 0;
  return m.swing + m.swing_skew * skew_sum / c_sum / std::sqrt(static_cast<double>(n));
}

double swung_loss(double loss, double sigma, double z, double floor) {
  if (!(loss > floor) || sigma <= 0) return loss;
  return floor + (loss - floor) * std::exp(sigma * z - 0.5 * sigma * sigma);
}

std::vector<double> layer_weights(const ModelDescriptor& model) {
  // A prunable layer's units take part in its own FLOPs and in the next weighted layer's (as its
  // inputs); model_cost lists the convolution and dense layers only, in order.
  const ModelCost cost = model_cost(model);
  std::vector<double> w;
  std::size_t ci = 0;
  for (const Layer& layer : model.layers) {
    if (layer.kind != LayerKind::Conv2d && layer.kind != LayerKind::Dense) continue;
    if (layer.prunable && ci < cost.layers.size())
      w.push_back(cost.layers[ci].forward_flops +
                  (ci + 1 < cost.layers.size() ? cost.layers[ci + 1].forward_flops : 0.0));
    ++ci;
  }
  double total = 0;
  for (double x : w)
    total += x;
  for (double& x : w)
    x = total > 0 ? x / total : 1.0 / static_cast<double>(w.size());
  return w;
}

double accuracy_of(const LossModel& m, double loss, int classes) {
  const std::vector<double>& table = m.accuracy_table;
  if (table.size() >= 2 && m.initial_loss > 0) {
    const double x = std::max(0.0, loss) / m.initial_loss * static_cast<double>(table.size() - 1);
    if (x >= static_cast<double>(table.size() - 1)) return table.back();
    const auto j = static_cast<std::size_t>(x);
    return table[j] + (x - static_cast<double>(j)) * (table[j + 1] - table[j]);
  }
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
constexpr int kFitted = 13;
Eigen::VectorXd to_x(const LossModel& m) {
  Eigen::VectorXd x(kFitted);
  const auto lg = [](double v) { return std::log(std::max(v, 1e-6)); };
  x << lg(m.floor_loss), lg(m.compression_floor), lg(m.compression_rate), lg(m.dropout_rate), lg(m.nested_rate),
      lg(m.submodel_rate), std::log(m.samples_scale), logit(m.participation_exponent), lg(m.skew_exponent),
      lg(m.skew_floor), logit(m.tail_exponent / 10.0), logit(m.plateau), std::log(m.skew_shape);
  return x;
}
// The fit may wander far on data that cannot determine a parameter: values are kept inside the
// ranges the surrogate's keys accept (a calibration file must load).
LossModel from_x(LossModel m, const Eigen::VectorXd& x) {
  const auto bounded = [](double v, double lo, double hi) {
    return std::isfinite(v) ? std::clamp(v, lo, hi) : hi;
  };
  m.floor_loss = bounded(std::exp(x(0)), 0, 0.999 * m.initial_loss); // the surrogate needs floor < initial
  // A floor's rise is at most the untrained loss: a model at its floor does no worse than one at
  // chance, however much of it is pruned or however skewed the round's labels (unbounded, a fit on
  // few runs put the floor of a 0.81-keep pruned model at 28 for an initial loss of 2.3).
  m.compression_floor = bounded(std::exp(x(1)), 0, m.initial_loss);
  m.compression_rate = bounded(std::exp(x(2)), 0, 10);
  m.dropout_rate = bounded(std::exp(x(3)), 0, 10);
  m.nested_rate = bounded(std::exp(x(4)), 0, 10);
  m.submodel_rate = bounded(std::exp(x(5)), 0, 10);
  m.samples_scale = bounded(std::exp(x(6)), 1e-3, 1e15), m.participation_exponent = logistic(x(7));
  m.skew_exponent = bounded(std::exp(x(8)), 0, 20), m.skew_floor = bounded(std::exp(x(9)), 0, m.initial_loss);
  m.tail_exponent = 10.0 * logistic(x(10)); // tail in [0, 10]
  m.plateau = std::min(0.99, logistic(x(11)));
  m.skew_shape = bounded(std::exp(x(12)), 0.1, 10);
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
        r(i++) = std::log(std::max(p[k], 1e-3) / std::max(t.loss[k], 1e-3));
    }
    return 0;
  }
};
} // namespace

namespace {
// The swings' sigma, from the rounds' departures from their neighbours on the log-gap scale, both
// measured against the fitted trend: e_k = d_k - (d_{k-1} + d_{k+1}) / 2 with d = log(observed gap /
// predicted gap) removes the fit's slow bias, and for independent swings of sigma s has variance
// 1.5 s^2, so E|e_k| = s sqrt(1.5) sqrt(2 / pi). Least squares of that on (1, H / sqrt(n)), both
// coefficients kept non-negative.
void fit_swings(LossModel& m, const std::vector<LossTrace>& traces) {
  LossModel unit = m;
  unit.swing = 0, unit.swing_skew = 1; // swing_sigma then returns H / sqrt(n)
  const double scale = 1.0 / (std::sqrt(1.5) * std::sqrt(2.0 / M_PI));
  std::vector<double> xs, ys;
  for (const LossTrace& t : traces) {
    std::vector<double> p, floor;
    double loss = t.initial_loss;
    for (const auto& r : t.rounds) {
      double f = 0;
      p.push_back(loss = next_loss(m, loss, r, 1.0, &f));
      floor.push_back(f);
    }
    std::vector<double> d(p.size(), std::nan(""));
    for (std::size_t k = 0; k < p.size(); ++k)
      if (t.loss[k] > floor[k] && p[k] > floor[k] && std::isfinite(t.loss[k]))
        d[k] = std::log((t.loss[k] - floor[k]) / (p[k] - floor[k]));
    for (std::size_t k = 1; k + 1 < d.size(); ++k) {
      const double e = d[k] - 0.5 * (d[k - 1] + d[k + 1]);
      if (!std::isfinite(e)) continue;
      xs.push_back(swing_sigma(unit, t.rounds[k])), ys.push_back(std::abs(e) * scale);
    }
  }
  if (xs.empty()) return;
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < xs.size(); ++i)
    n += 1, sx += xs[i], sy += ys[i], sxx += xs[i] * xs[i], sxy += xs[i] * ys[i];
  const double det = n * sxx - sx * sx;
  double a = sy / n, b = 0;
  if (det > 1e-12 * n * n) {
    b = (n * sxy - sx * sy) / det, a = (sy - b * sx) / n;
    if (b < 0) b = 0, a = sy / n;
    else if (a < 0) a = 0, b = sxx > 0 ? sxy / sxx : 0;
  }
  m.swing = std::clamp(a, 0.0, 1.0), m.swing_skew = std::clamp(b, 0.0, 10.0);
}
} // namespace

namespace {
// The accuracy table: least squares of the observed accuracies on the table's linear interpolation
// (hat functions over knots j initial_loss / K), with a small penalty on second differences that
// carries the curve linearly over knots no round came near; then made non-increasing (pool
// adjacent violators) and kept in [chance, 1]. max_accuracy becomes the table's value at the floor.
void fit_accuracy_table(LossModel& m, const std::vector<LossTrace>& traces, int classes) {
  constexpr int kKnots = 17;
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(kKnots, kKnots);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(kKnots);
  int points = 0;
  for (const LossTrace& t : traces)
    for (std::size_t k = 0; k < t.loss.size() && k < t.accuracy.size(); ++k) {
      if (!std::isfinite(t.loss[k]) || !std::isfinite(t.accuracy[k])) continue;
      const double x = std::clamp(t.loss[k] / m.initial_loss, 0.0, 1.0) * (kKnots - 1);
      const int j = std::min(kKnots - 2, static_cast<int>(x));
      const double u = x - j;
      a(j, j) += (1 - u) * (1 - u), a(j, j + 1) += (1 - u) * u, a(j + 1, j) += (1 - u) * u;
      a(j + 1, j + 1) += u * u;
      b(j) += (1 - u) * t.accuracy[k], b(j + 1) += u * t.accuracy[k];
      ++points;
    }
  if (points < 2) return;
  const double lambda = 1e-2 * points / kKnots;
  for (int j = 0; j + 2 < kKnots; ++j) {
    const double d[3] = {1, -2, 1};
    for (int p = 0; p < 3; ++p)
      for (int q = 0; q < 3; ++q)
        a(j + p, j + q) += lambda * d[p] * d[q];
  }
  const Eigen::VectorXd v = a.ldlt().solve(b);
  // Pool adjacent violators: a non-increasing sequence, each pool at its mean.
  std::vector<std::pair<double, int>> pools; // (mean, size)
  for (int j = 0; j < kKnots; ++j) {
    pools.push_back({v(j), 1});
    while (pools.size() > 1 && pools[pools.size() - 2].first < pools.back().first) {
      auto [m2, n2] = pools.back();
      pools.pop_back();
      auto& [m1, n1] = pools.back();
      m1 = (m1 * n1 + m2 * n2) / (n1 + n2), n1 += n2;
    }
  }
  m.accuracy_table.clear();
  const double chance = 1.0 / classes;
  for (const auto& [mean, size] : pools)
    for (int i = 0; i < size; ++i)
      m.accuracy_table.push_back(std::clamp(mean, chance, 1.0));
  m.max_accuracy = accuracy_of(m, m.floor_loss, classes);
}
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
  // that have not flattened yet, and over the floor rise of compression (pruning and nested
  // sub-models), which a log-scaled parameter cannot regain once the fit has pushed it to zero.
  // The plateau trades against the tail too (a slow start or a slow finish), and the fit stays in
  // the basin it starts in: one start has a strong plateau and a slow tail (LeNet-5's 96 runs: log
  // RMSE 0.217 from there, 0.222 from the other starts).
  std::vector<LossModel> starts;
  const std::pair<double, double> tail_plateau[] = {
      {start.tail_exponent, start.plateau}, {0.0, start.plateau}, {2.0, start.plateau}, {3.0, 0.8}};
  for (double scale : {start.samples_scale, start.samples_scale * 10, start.samples_scale / 10})
    for (const auto& [tail, plateau] : tail_plateau)
      for (double floor : {start.floor_loss, 0.5 * start.floor_loss})
        for (double rise : {start.compression_floor, 2.0 * start.compression_floor}) {
          LossModel s0 = base;
          s0.samples_scale = scale, s0.tail_exponent = tail, s0.plateau = plateau, s0.floor_loss = floor,
          s0.compression_floor = rise;
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
  fit_swings(best.model, traces);
  fit_accuracy_table(best.model, traces, classes);
  return best;
}

} // namespace edgetrain
