#include "policies/pact/planning_policy.hpp"

#include "policies/pact/feedback.hpp"
#include "simulator/common/error.hpp"

#include <xbt/log.h>

#include <algorithm>
#include <cmath>
#include <limits>

XBT_LOG_NEW_DEFAULT_CATEGORY(edgetrain_planning, "edgetrain: PACT and the optimum, re-planning each round");

namespace edgetrain {

std::vector<KeySpec> planning_keys() {
  return {key_numbers("levels", {1.0, 0.75, 0.5, 0.3}, 0, 1, "",
                      "pruning levels: fractions of filters/units kept on every prunable layer, the first 1 "
                      "(the order is the pruning order: a run only moves along it)",
                      true),
          key_numbers("steps", {0.5, 1.0, 2.0}, 0, 100, "x training.local_steps",
                      "local-steps choices, as multiples of training.local_steps (rounded, at least 1)",
                      true),
          predictor_key()};
}

PlanningPolicy::PlanningPolicy(const PolicyContext& ctx, std::string name, const std::vector<double>& keep,
                               const std::vector<double>& steps)
    : name_(std::move(name)), predictor_(load_predictor(ctx, name_)) {
  const std::string where = ctx.where("policy." + name_ + ".levels");
  settings_.keep = keep;
  if (settings_.keep.front() != 1.0 || !std::is_sorted(settings_.keep.rbegin(), settings_.keep.rend()) ||
      std::adjacent_find(settings_.keep.begin(), settings_.keep.end()) != settings_.keep.end())
    throw InputError(where, "policy." + name_ + ".levels: must start at 1 and decrease strictly");
  // Choices past training.max_local_steps would be clipped by the engine: plan within it.
  const int ceiling = ctx.limits.max_local_steps > 0 ? ctx.limits.max_local_steps : std::numeric_limits<int>::max();
  for (double f : steps)
    settings_.steps.push_back(std::clamp(
        static_cast<int>(std::lround(f * static_cast<double>(ctx.limits.local_steps))), 1, ceiling));
  std::sort(settings_.steps.begin(), settings_.steps.end());
  settings_.steps.erase(std::unique(settings_.steps.begin(), settings_.steps.end()), settings_.steps.end());
  settings_.batch = ctx.limits.max_batch > 0 ? std::min(ctx.limits.batch, ctx.limits.max_batch) : ctx.limits.batch;
  settings_.max_rounds = ctx.limits.max_rounds;
}

RoundPlan PlanningPolicy::decide(const RoundState& s) {
  if (corr_.joules.empty())
    corr_.compute.assign(s.nodes.size(), 1.0), corr_.comm.assign(s.nodes.size(), 1.0),
        corr_.joules.assign(s.nodes.size(), 1.0);
  Problem p = make_problem(s, settings_, predictor_.model, corr_, level_, played_);
  Choice c = plan(p, s);
  RoundPlan out;
  if (c.at_target) {
    out.stop = true; // the goal is met: more rounds would only spend energy
    return out;
  }
  RoundChoice round = c.round;
  if (round.empty()) {
    if (!warned_) {
      XBT_WARN("%s: %s; falling back to %s", name_.c_str(), c.why.c_str(),
               c.fallback.empty() ? "FedAvg at the current pruning level"
                                  : "the plan reaching the lowest predicted loss");
      warned_ = true;
    }
    round = c.fallback;
    if (round.empty()) { // every candidate, the middle steps choice, each at its cheapest pstate
      std::vector<std::size_t> all(p.nodes.size());
      for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = i;
      const int mid = static_cast<int>(p.steps.size()) / 2;
      round = evaluate_round(p, level_, mid, std::numeric_limits<double>::infinity(), all);
    }
  }
  XBT_INFO("%s round %d: keep %.2f, %zu trainers, %d steps; predicted %.3f s, %.2f J, rate %.4f, loss %.4f "
           "-> %.4f",
           name_.c_str(), s.round, p.keep[static_cast<std::size_t>(round.level)], round.members.size(),
           p.steps.empty() ? 0 : p.steps[static_cast<std::size_t>(round.steps)], round.seconds, round.joules,
           round.rate, p.loss, round.empty() ? p.loss : p.loss_after(p.loss, round.level, round.rate));
  level_ = std::max(level_, round.level); // pruned filters stay pruned
  last_ = std::move(p);
  last_choice_ = round;
  return to_plan(last_, round, s);
}

void PlanningPolicy::observe(const RoundOutcome& outcome, const LearningSnapshot& learning) {
  ++played_;
  update_corrections(corr_, last_, last_choice_, outcome, learning.loss);
}

} // namespace edgetrain
