#include "policies/policy.hpp"

#include "simulator/common/rng.hpp"

#include <algorithm>

namespace edgetrain {

std::vector<NodeId> online_trainers(const RoundState& state) {
  std::vector<NodeId> ids;
  for (const NodeView& n : state.nodes)
    if (n.role == Role::Trainer && n.online) ids.push_back(n.id);
  return ids;
}

std::vector<NodeId> sample_trainers(const RoundState& state, std::size_t k, Rng& rng) {
  std::vector<NodeId> pool = online_trainers(state);
  if (k == 0 || k >= pool.size()) return pool;
  for (std::size_t i = 0; i < k; ++i) // partial Fisher-Yates: the first k are a uniform sample
    std::swap(pool[i], pool[i + rng.below(pool.size() - i)]);
  pool.resize(k);
  std::sort(pool.begin(), pool.end());
  return pool;
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

std::pair<double, double> predicted_transfer_s(const RoundState& s, const NodeView& v, const ModelCost& c) {
  const double lat = v.latency_s * s.latency_factor, bw = s.bandwidth_factor;
  return {lat + (v.down_bps > 0 ? c.model_bytes / (v.down_bps * bw) : 0),
          lat + (v.up_bps > 0 ? c.update_bytes / (v.up_bps * bw) : 0)};
}

double predicted_comm_s(const RoundState& s, const NodeView& v, const ModelCost& c) {
  const auto [down, up] = predicted_transfer_s(s, v, c);
  return down + up;
}

} // namespace edgetrain
