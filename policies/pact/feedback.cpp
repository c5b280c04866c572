#include "policies/pact/feedback.hpp"

#include <Eigen/Core>
#include <unsupported/Eigen/LevenbergMarquardt>
#include <unsupported/Eigen/NumericalDiff>

#include <algorithm>
#include <cmath>

namespace edgetrain {

namespace {
// Halfway, in log terms, towards `observed / predicted`; the factor stays in [lo, hi].
void nudge(double& factor, double observed, double predicted, double lo, double hi) {
  if (!(observed > 0) || !(predicted > 0) || !std::isfinite(observed)) return;
  factor = std::clamp(factor * std::sqrt(observed / predicted), lo, hi);
}
} // namespace

void update_corrections(Corrections& c, const Problem& p, const RoundChoice& played,
                        const RoundOutcome& outcome, double loss_after) {
  if (played.empty()) return;
  const auto l = static_cast<std::size_t>(played.level), m = static_cast<std::size_t>(played.steps);
  double value = 0, link_dynamic = 0, private_idle_w = 0;
  int finished = 0;
  for (std::size_t k = 0; k < played.members.size(); ++k) {
    const Candidate& cand = p.nodes[played.members[k]];
    const NodeOption& o = cand.options[l][m][static_cast<std::size_t>(played.pstates[k])];
    private_idle_w += cand.link_idle_w;
    const auto it = std::find_if(outcome.nodes.begin() + 1, outcome.nodes.end(),
                                 [&](const NodeOutcome& n) { return n.node == cand.node; });
    if (it == outcome.nodes.end()) continue;
    link_dynamic += o.joules - o.host_joules;
    if (!it->finished) continue;
    ++finished;
    value += cand.value[l][m];
    nudge(c.compute[cand.node], it->compute_s, o.compute_s, 0.1, 10);
    nudge(c.comm[cand.node], it->comm_s, o.comm_s, 0.1, 100); // SimGrid's TCP model: latency x 13 and more
    nudge(c.joules[cand.node], it->energy_j, o.host_joules, 0.1, 10);
  }
  // Overhead: what the aggregator and the links cost beyond the members' bytes and own links.
  const double seconds = outcome.end_s - outcome.start_s;
  if (seconds > 0) {
    const double agg = std::isfinite(outcome.nodes.front().energy_j) ? outcome.nodes.front().energy_j : 0.0;
    const double observed =
        std::max(0.0, (agg + outcome.energy_network_j - link_dynamic) / seconds - private_idle_w);
    c.overhead_w = c.overhead_w < 0 ? observed : 0.5 * (c.overhead_w + observed);
  }
  // Progress: the round as played, and the refit over every round so far.
  if (finished > 0 && p.loss > 0 && std::isfinite(loss_after))
    c.progress.push_back({value, finished, p.keep[l], p.loss, loss_after});
  // The last rounds only: a refit every round over all of them would make a long run quadratic.
  constexpr std::size_t kKept = 100;
  if (c.progress.size() > kKept)
    c.progress.erase(c.progress.begin(), c.progress.end() - static_cast<std::ptrdiff_t>(kKept));
  refit_progress(c, p.prior);
}

namespace {
struct ProgressResiduals : Eigen::DenseFunctor<double> {
  const std::vector<ProgressObservation>* obs;
  LossModel prior;
  std::vector<double> seen; // each round's observed progress, which the parameters do not change
  ProgressResiduals(const std::vector<ProgressObservation>& o, const LossModel& m, int values)
      : DenseFunctor<double>(2, values), obs(&o), prior(m) {
    for (const ProgressObservation& x : o)
      seen.push_back(observed(x));
  }
  static double factor_of(double x) { return std::clamp(std::exp(x), 0.05, 20.0); }
  static double exponent_of(double x) { return 1.0 / (1.0 + std::exp(-x)); }
  int operator()(const InputType& x, ValueType& r) const {
    LossModel q = prior;
    q.samples_scale = prior.samples_scale / factor_of(x(0)), q.participation_exponent = exponent_of(x(1));
    Eigen::Index i = 0;
    for (std::size_t k = 0; k < obs->size(); ++k) {
      const ProgressObservation& o = (*obs)[k];
      const double said = progress(q, o, loss_step(q, o.loss, round_rate(q, o.value, o.trainers), o.keep));
      r(i++) = said > 0 && seen[k] > 0 ? std::log(said / seen[k]) : 0.0; // at the floor: nothing to learn
    }
    return finish(x, r, i);
  }
  // A round's progress: the log of its loss gap's shrinking, before over after (late rounds move
  // the loss little but their progress is as telling as the first's).
  static double progress(const LossModel& m, const ProgressObservation& o, double after) {
    const double floor = round_floor(m, o.keep, 0);
    return std::log(std::max(o.loss - floor, 1e-9) / std::max(after - floor, 1e-9));
  }
  // What the round showed, within 0.2 to 5 times what the predictor said (a swing that raised the
  // loss is no progress at all, which a log cannot weigh).
  double observed(const ProgressObservation& o) const {
    const double said = progress(prior, o, loss_step(prior, o.loss, round_rate(prior, o.value, o.trainers), o.keep));
    return std::clamp(progress(prior, o, o.loss_after), 0.2 * said, 5 * said);
  }
  int finish(const InputType& x, ValueType& r, Eigen::Index i) const {
    // The prior, in the units of a round's residual of 0.5 (what trained rounds' progress swings
    // by): the rate factor within a factor e of 1, the exponent within 0.5 of the predictor's.
    r(i++) = 0.5 * std::log(factor_of(x(0)));
    r(i++) = 0.5 * (exponent_of(x(1)) - prior.participation_exponent) / 0.5;
    return 0;
  }
};
double logit(double v) {
  const double c = std::clamp(v, 0.01, 0.99);
  return std::log(c / (1 - c));
}
} // namespace

void refit_progress(Corrections& c, const LossModel& prior) {
  if (c.progress.empty() || !(prior.samples_scale > 0)) return;
  const int values = static_cast<int>(c.progress.size()) + 2;
  ProgressResiduals f(c.progress, prior, values);
  Eigen::NumericalDiff<ProgressResiduals> nd(f);
  Eigen::LevenbergMarquardt<Eigen::NumericalDiff<ProgressResiduals>> lm(nd);
  lm.setMaxfev(400);
  Eigen::VectorXd x(2);
  x << std::log(std::clamp(c.rate, 0.05, 20.0)),
      logit(c.exponent >= 0 ? c.exponent : prior.participation_exponent); // from the last fit
  lm.minimize(x);
  if (!x.allFinite()) return;
  c.rate = ProgressResiduals::factor_of(x(0)), c.exponent = ProgressResiduals::exponent_of(x(1));
}

} // namespace edgetrain
