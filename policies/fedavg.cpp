#include "policies/fedavg.hpp"

namespace edgetrain {

namespace {
class FedAvg final : public Policy {
public:
  RoundPlan decide(const RoundState& state) override {
    RoundPlan plan;
    plan.aggregator = aggregator_of(state);
    for (NodeId id : online_trainers(state))
      plan.trainers.push_back(full_model_assignment(state, id));
    return plan;
  }
};
} // namespace

PolicyInfo fedavg_policy_info() {
  return {"fedavg",
          "FedAvg, full participation: every online trainer, full model, fastest pstate; waits for all",
          {},
          [](const PolicyContext&) { return std::make_unique<FedAvg>(); }};
}

} // namespace edgetrain
