#include "policies/policy.hpp"

namespace edgetrain {

std::vector<NodeId> online_trainers(const RoundState& state) {
  std::vector<NodeId> ids;
  for (const NodeView& n : state.nodes)
    if (n.role == Role::Trainer && n.online) ids.push_back(n.id);
  return ids;
}

NodeId aggregator_of(const RoundState& state) {
  for (const NodeView& n : state.nodes)
    if (n.role == Role::Aggregator) return n.id;
  return 0;
}

Assignment full_model_assignment(const RoundState& state, NodeId node, int local_steps, int batch) {
  Assignment a;
  a.node = node;
  a.local_steps = local_steps;
  a.batch = batch;
  a.compression.keep.assign(state.model.prunable_count(), 1.0);
  a.pstate = 0;
  return a;
}

} // namespace edgetrain
