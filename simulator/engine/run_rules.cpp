#include "simulator/engine/run_rules.hpp"

#include <fmt/format.h>

#include <string>

namespace edgetrain {

TrainingLimits limits_of(const TrainingSpec& t) {
  TrainingLimits l;
  l.local_steps = static_cast<int>(t.local_steps);
  l.batch = static_cast<int>(t.batch);
  l.max_local_steps = static_cast<int>(t.max_local_steps);
  l.max_batch = static_cast<int>(t.max_batch);
  l.target_loss = t.target_loss;
  l.deadline_s = t.deadline_s;
  l.max_rounds = static_cast<int>(t.max_rounds);
  l.round_timeout_s = t.round_timeout_s;
  return l;
}

namespace {
// 0: the default (never above the ceiling: the scenario loader checks it); above a ceiling
// (0: none): the ceiling.
int bounded(int asked, int fallback, int ceiling, const char* what, const std::string& node,
            std::vector<std::string>& log) {
  if (asked == 0) return fallback;
  if (ceiling > 0 && asked > ceiling) {
    log.push_back(fmt::format("node '{}': {} {} clipped to training.max_{} = {}", node, what, asked, what, ceiling));
    return ceiling;
  }
  return asked;
}
} // namespace

std::vector<std::string> apply_rules(RoundPlan& plan, const TrainingLimits& limits,
                                     const std::vector<NodeView>& nodes) {
  std::vector<std::string> log;
  const double ceiling = limits.round_timeout_s;
  if (ceiling > 0 && (plan.round_timeout_s <= 0 || plan.round_timeout_s > ceiling)) {
    if (plan.round_timeout_s > ceiling)
      log.push_back(fmt::format("round timeout {} s clipped to training.round_timeout_s = {} s",
                                plan.round_timeout_s, ceiling));
    plan.round_timeout_s = ceiling;
  }
  for (Assignment& a : plan.trainers) {
    // An unknown node is left for check_plan to report as the policy bug it is.
    const std::string who = a.node < nodes.size() ? nodes[a.node].host : std::to_string(a.node);
    a.local_steps = bounded(a.local_steps, limits.local_steps, limits.max_local_steps, "local_steps", who, log);
    a.batch = bounded(a.batch, limits.batch, limits.max_batch, "batch", who, log);
  }
  return log;
}

} // namespace edgetrain
