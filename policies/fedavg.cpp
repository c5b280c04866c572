#include "policies/fedavg.hpp"

#include "simulator/scenario/scenario.hpp"

namespace edgetrain {

namespace {
class FedAvg final : public Policy {
public:
  explicit FedAvg(const PolicyContext& ctx)
      : steps_(static_cast<int>(ctx.scenario.training.local_steps)),
        batch_(static_cast<int>(ctx.scenario.training.batch)),
        timeout_(ctx.scenario.training.round_timeout_s) {}

  RoundPlan decide(const RoundState& state) override {
    RoundPlan plan;
    plan.aggregator = aggregator_of(state);
    for (NodeId id : online_trainers(state))
      plan.trainers.push_back(full_model_assignment(state, id, steps_, batch_));
    plan.round_timeout_s = timeout_;
    return plan;
  }

private:
  int steps_, batch_;
  double timeout_;
};
} // namespace

PolicyInfo fedavg_policy_info() {
  return {"fedavg",
          "FedAvg, full participation: every online trainer, full model, fastest pstate; waits for all",
          {},
          [](const PolicyContext& ctx) { return std::make_unique<FedAvg>(ctx); }};
}

} // namespace edgetrain
