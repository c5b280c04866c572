#include "policies/fixed_pruning.hpp"

namespace edgetrain {

namespace {
class FedAvgPruned final : public Policy {
public:
  explicit FedAvgPruned(const PolicyContext& ctx)
      : keep_(ctx.params.number("keep")) {}

  RoundPlan decide(const RoundState& state) override {
    RoundPlan plan;
    plan.aggregator = aggregator_of(state);
    for (NodeId id : online_trainers(state)) {
      Assignment a = full_model_assignment(state, id);
      a.compression.keep.assign(state.model.prunable_count(), keep_);
      plan.trainers.push_back(a);
    }
    return plan;
  }

private:
  double keep_;
};
} // namespace

PolicyInfo fedavg_pruned_policy_info() {
  return {"fedavg-pruned",
          "FedAvg at a fixed pruning level: every online trainer, the model pruned to `keep` from round 1",
          {key_float("keep", 0.5, 0, 1, "", "fraction of filters/units kept on every prunable layer", true)},
          [](const PolicyContext& ctx) { return std::make_unique<FedAvgPruned>(ctx); }};
}

} // namespace edgetrain
