#include "policies/random_selection.hpp"

#include "simulator/common/rng.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace edgetrain {

namespace {
class RandomSelection final : public Policy {
public:
  explicit RandomSelection(const PolicyContext& ctx)
      : rng_(ctx.seed, "policy.random"), k_(static_cast<std::size_t>(ctx.params.integer("k"))) {}

  RoundPlan decide(const RoundState& state) override {
    // k of at least 1 (the key's minimum): never "all" by accident.
    const std::vector<NodeId> pool = sample_trainers(state, k_, rng_);

    RoundPlan plan;
    plan.aggregator = aggregator_of(state);
    for (NodeId id : pool)
      plan.trainers.push_back(full_model_assignment(state, id));
    return plan;
  }

private:
  Rng rng_;
  std::size_t k_;
};
} // namespace

PolicyInfo random_policy_info() {
  return {"random",
          "FedAvg with random selection: k online trainers drawn uniformly each round (seeded), full model",
          {key_int("k", 3, 1, std::numeric_limits<double>::infinity(), "nodes",
                   "trainers drawn per round (all online ones if fewer)")},
          [](const PolicyContext& ctx) { return std::make_unique<RandomSelection>(ctx); }};
}

} // namespace edgetrain
