#include "simulator/engine/plan_check.hpp"

#include <fmt/format.h>

#include <limits>
#include <stdexcept>

namespace edgetrain {

namespace {
// An on-device choice switches only FLOPs (round.hpp): dropout options with the same bits, the
// first being the compression it starts with.
void check_options(const Assignment& a, const ModelDescriptor& model, const std::string& who) {
  if (a.options.empty() != (a.chooser == nullptr))
    throw std::invalid_argument(fmt::format("node '{}': options and a device chooser go together", who));
  for (std::size_t i = 0; i < a.options.size(); ++i) {
    const Compression& c = a.options[i];
    if (c.mode != Compression::Mode::Dropout || c.bits != a.compression.bits)
      throw std::invalid_argument(fmt::format(
          "node '{}': option {} is not a dropout compression with the assignment's bits", who, i));
    try {
      (void)model_cost(model, c);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("node '{}': option {}: {}", who, i, e.what()));
    }
  }
  if (!a.options.empty() &&
      (a.options[0].keep != a.compression.keep || a.compression.mode != Compression::Mode::Dropout))
    throw std::invalid_argument(
        fmt::format("node '{}': options[0] must be the assignment's compression", who));
}
} // namespace

void check_plan(const RoundPlan& plan, const Platform& platform, const ModelDescriptor& model,
                const std::vector<NodeView>& views) {
  if (plan.aggregator >= platform.nodes.size() || platform.nodes[plan.aggregator].role != Role::Aggregator)
    throw std::invalid_argument(fmt::format("aggregator {} is not an aggregator node", plan.aggregator));
  if (!(plan.round_timeout_s >= 0)) throw std::invalid_argument("round_timeout_s must be >= 0");
  std::vector<bool> seen(platform.nodes.size(), false);
  for (const Assignment& a : plan.trainers) {
    if (a.node >= platform.nodes.size())
      throw std::invalid_argument(fmt::format("node {} does not exist", a.node));
    const Node& n = platform.nodes[a.node];
    const std::string who = n.host->get_name();
    if (n.role != Role::Trainer) throw std::invalid_argument(fmt::format("node '{}' is not a trainer", who));
    if (!views[a.node].online) throw std::invalid_argument(fmt::format("node '{}' is offline", who));
    if (seen[a.node]) throw std::invalid_argument(fmt::format("node '{}' assigned twice", who));
    seen[a.node] = true;
    if (a.local_steps < 1 || a.batch < 1)
      throw std::invalid_argument(fmt::format("node '{}': local_steps and batch must be >= 1", who));
    if (!(a.prox_mu >= 0 && a.prox_mu < std::numeric_limits<double>::infinity()))
      throw std::invalid_argument(
          fmt::format("node '{}': prox_mu {} must be finite and >= 0", who, a.prox_mu));
    const auto pstates = static_cast<int>(n.usable_pstates); // not the 0 flop/s boot and shutdown ones
    if (a.pstate < 0 || a.pstate >= pstates)
      throw std::invalid_argument(
          fmt::format("node '{}': pstate {} outside [0, {}]{}", who, a.pstate, pstates - 1,
                      n.usable_pstates < n.host->get_pstate_count() ? " (the pstates that compute)" : ""));
    try {
      (void)model_cost(model, a.compression);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("node '{}': {}", who, e.what()));
    }
    check_options(a, model, who);
  }
}

} // namespace edgetrain
