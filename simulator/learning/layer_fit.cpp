#include "simulator/learning/layer_fit.hpp"

#include "simulator/common/error.hpp"
#include "simulator/common/rank.hpp"
#include "simulator/learning/calibrate.hpp"

#include <Eigen/Core>
#include <fmt/format.h>
#include <unsupported/Eigen/LevenbergMarquardt>
#include <unsupported/Eigen/NumericalDiff>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace edgetrain {

std::vector<Contribution> short_run_round(const Scenario& s, int classes, int nodes, std::uint64_t seed,
                                          const std::vector<double>& keep) {
  Scenario d = design_scenario(s);
  d.seed = seed;
  const std::vector<NodeData> data = design_data(d, nodes, classes);
  const Compression c{keep, 32, Compression::Mode::Dropout};
  std::vector<Contribution> round;
  for (std::size_t id = 1; id < data.size(); ++id)
    round.push_back(design_contribution(d, data[id], c));
  return round;
}

double model_drop(const LossModel& m, const std::vector<Contribution>& round, int rounds) {
  double loss = m.initial_loss;
  for (int r = 0; r < rounds; ++r)
    loss = next_loss(m, loss, round);
  return m.initial_loss - loss;
}

namespace {
struct Measured {
  std::vector<double> keep;
  std::vector<std::size_t> settings; // indices into Problem::full (one per seed measured)
  std::vector<double> ratio;         // the vector's drop over the full model's, per seed
  double speed = 0;                  // their mean
};
struct Problem {
  LossModel base;
  std::vector<int> rounds;                       // per setting
  std::vector<std::vector<Contribution>> full;   // per setting: the full model's round
  std::vector<Measured> vectors;
  std::vector<double> prior; // log of the FLOP shares
};

std::vector<double> softmax(const Eigen::VectorXd& x) {
  const double top = x.maxCoeff();
  std::vector<double> w(static_cast<std::size_t>(x.size()));
  double sum = 0;
  for (Eigen::Index l = 0; l < x.size(); ++l)
    sum += w[static_cast<std::size_t>(l)] = std::exp(x(l) - top);
  for (double& v : w)
    v /= sum;
  return w;
}

// The model's speeds of the vectors `which` with these weights (the full model's drops worked out
// once per setting).
std::vector<double> speeds(const Problem& p, const std::vector<double>& weight, double dropout_rate,
                           const std::vector<std::size_t>& which) {
  LossModel m = p.base;
  m.layer_weight = weight, m.dropout_rate = dropout_rate;
  std::vector<double> full(p.full.size(), -1.0);
  std::vector<double> out;
  for (std::size_t v : which) {
    const Measured& mv = p.vectors[v];
    double sum = 0;
    for (std::size_t s : mv.settings) {
      if (full[s] < 0) full[s] = model_drop(m, p.full[s], p.rounds[s]);
      std::vector<Contribution> round = p.full[s];
      for (Contribution& c : round)
        c.layer_keep = mv.keep, c.keep = Compression{mv.keep, 32, Compression::Mode::Dropout}.mean_keep();
      sum += full[s] > 0 ? model_drop(m, round, p.rounds[s]) / full[s] : 0.0;
    }
    out.push_back(sum / static_cast<double>(mv.settings.size()));
  }
  return out;
}

struct SpeedResiduals : Eigen::DenseFunctor<double> {
  const Problem* p;
  std::vector<std::size_t> which;
  SpeedResiduals(const Problem& problem, std::vector<std::size_t> w)
      : DenseFunctor<double>(static_cast<int>(problem.prior.size() + 1),
                             static_cast<int>(w.size() + problem.prior.size())),
        p(&problem), which(std::move(w)) {}
  // x: the layers' softmax coordinates, then the log of dropout_rate.
  static std::vector<double> weights_of(const InputType& x) { return softmax(x.head(x.size() - 1)); }
  static double rate_of(const InputType& x) { return std::clamp(std::exp(x(x.size() - 1)), 0.0, 10.0); }
  int operator()(const InputType& x, ValueType& r) const {
    const std::vector<double> s = speeds(*p, weights_of(x), rate_of(x), which);
    Eigen::Index i = 0;
    for (std::size_t k = 0; k < which.size(); ++k)
      r(i++) = s[k] - p->vectors[which[k]].speed;
    // A weak pull towards the FLOP shares: it fixes softmax's free shift, and keeps a layer the
    // measurements say nothing of where the cost model puts it.
    for (std::size_t l = 0; l < p->prior.size(); ++l)
      r(i++) = 0.01 * (x(static_cast<Eigen::Index>(l)) - p->prior[l]);
    return 0;
  }
};

struct Fitted {
  std::vector<double> weight;
  double dropout_rate = 0;
};
Fitted fit(const Problem& p, const std::vector<std::size_t>& which) {
  SpeedResiduals f(p, which);
  Eigen::NumericalDiff<SpeedResiduals> nd(f);
  const auto L = static_cast<Eigen::Index>(p.prior.size());
  Fitted best;
  double best_cost = INFINITY;
  // From the FLOP shares and from equal weights, and from three exponents: the fit stays in the
  // basin it starts in.
  for (int start = 0; start < 2; ++start)
    for (double rate : {p.base.dropout_rate, 1.0, 0.5}) {
      Eigen::VectorXd x(L + 1);
      for (Eigen::Index l = 0; l < L; ++l)
        x(l) = start == 0 ? p.prior[static_cast<std::size_t>(l)] : 0.0;
      x(L) = std::log(std::max(rate, 1e-3));
      Eigen::LevenbergMarquardt<Eigen::NumericalDiff<SpeedResiduals>> lm(nd);
      lm.setMaxfev(400);
      lm.minimize(x);
      Eigen::VectorXd r(f.values());
      f(x, r);
      if (r.squaredNorm() < best_cost)
        best_cost = r.squaredNorm(), best = {SpeedResiduals::weights_of(x), SpeedResiduals::rate_of(x)};
    }
  return best;
}

double rmse(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s / static_cast<double>(a.size()));
}
double tau(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<RankScore> ra, rb;
  for (std::size_t i = 0; i < a.size(); ++i)
    ra.push_back({-a[i], 0}), rb.push_back({-b[i], 0});
  return kendall_tau_b(ra, rb).value_or(0.0);
}
} // namespace

LayerFit fit_layer_weights(const LossModel& m, const Scenario& s, const ModelDescriptor& model,
                           const std::vector<DseMeasurement>& measured, int folds, const std::string& where) {
  const std::size_t layers = model.prunable_count();
  Problem p;
  p.base = m;
  for (double w : layer_weights(model))
    p.prior.push_back(std::log(std::max(w, 1e-6)));
  // Settings (seed, rounds, trainers) that have the full model's drop, and each vector's ratios.
  using Setting = std::tuple<std::uint64_t, int, int>;
  std::map<Setting, double> full_drop;
  std::map<Setting, std::size_t> setting_index;
  for (const DseMeasurement& d : measured) {
    if (d.keep.size() != layers)
      throw InputError(where, fmt::format("a vector of {} keeps, and {} has {} prunable layers", d.keep.size(),
                                          model.name, layers));
    if (std::all_of(d.keep.begin(), d.keep.end(), [](double k) { return k == 1.0; }))
      full_drop[{d.seed, d.rounds, d.nodes}] = d.loss_drop;
  }
  std::map<std::vector<double>, std::size_t> vector_index;
  for (const DseMeasurement& d : measured) {
    const Setting key{d.seed, d.rounds, d.nodes};
    const auto f = full_drop.find(key);
    if (f == full_drop.end() || !(f->second > 0)) continue; // no ratio to make
    if (std::all_of(d.keep.begin(), d.keep.end(), [](double k) { return k == 1.0; })) continue;
    auto [si, new_setting] = setting_index.try_emplace(key, p.full.size());
    if (new_setting) {
      p.full.push_back(short_run_round(s, model.classes, d.nodes, d.seed, std::vector<double>(layers, 1.0)));
      p.rounds.push_back(d.rounds);
    }
    auto [vi, new_vector] = vector_index.try_emplace(d.keep, p.vectors.size());
    if (new_vector) p.vectors.push_back({d.keep, {}, {}, 0});
    Measured& mv = p.vectors[vi->second];
    mv.settings.push_back(si->second);
    mv.ratio.push_back(d.loss_drop / f->second);
  }
  if (p.vectors.size() < layers + 1)
    throw InputError(where, fmt::format("{} vectors measured beside the full model, too few to fit {} layer weights "
                                        "(at least {})",
                                        p.vectors.size(), layers, layers + 1));
  std::vector<double> observed;
  for (Measured& mv : p.vectors) {
    for (double r : mv.ratio)
      mv.speed += r / static_cast<double>(mv.ratio.size());
    observed.push_back(mv.speed);
  }
  LayerFit out;
  out.vectors = static_cast<int>(p.vectors.size());
  out.folds = std::clamp(folds, 2, out.vectors);
  std::vector<std::size_t> all(p.vectors.size());
  for (std::size_t i = 0; i < all.size(); ++i)
    all[i] = i;
  std::vector<double> flops_w;
  for (double l : p.prior)
    flops_w.push_back(std::exp(l));
  const std::vector<double> by_flops = speeds(p, flops_w, m.dropout_rate, all);
  const Fitted whole = fit(p, all);
  out.weight = whole.weight, out.dropout_rate = whole.dropout_rate;
  const std::vector<double> fitted = speeds(p, out.weight, out.dropout_rate, all);
  std::vector<double> heldout(all.size());
  for (int f = 0; f < out.folds; ++f) {
    std::vector<std::size_t> train, test;
    for (std::size_t i : all)
      (static_cast<int>(i % static_cast<std::size_t>(out.folds)) == f ? test : train).push_back(i);
    const Fitted part = fit(p, train);
    const std::vector<double> pred = speeds(p, part.weight, part.dropout_rate, test);
    for (std::size_t k = 0; k < test.size(); ++k)
      heldout[test[k]] = pred[k];
  }
  out.rmse_flops = rmse(by_flops, observed), out.tau_flops = tau(by_flops, observed);
  out.rmse_fitted = rmse(fitted, observed), out.tau_fitted = tau(fitted, observed);
  out.rmse_heldout = rmse(heldout, observed), out.tau_heldout = tau(heldout, observed);
  return out;
}

} // namespace edgetrain
