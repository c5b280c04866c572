#pragma once
// What PACT and the exact optimum share as policies: the loss predictor (predictor.hpp: a
// calibration of its own, never the learning process's parameters unless "oracle"), the decision space
// (pruning levels, local-steps choices), the corrections learnt from observed rounds, re-planning
// every round, the monotone pruning level, and the fallbacks. A subclass only plans.
#include "policies/pact/problem.hpp"
#include "policies/predictor.hpp"
#include "policies/policy.hpp"

#include <string>

namespace edgetrain {

// The keys both take: policy.<name>.levels, .steps and .predictor.
std::vector<KeySpec> planning_keys();

class PlanningPolicy : public Policy {
public:
  // keep: pruning levels (from 1, decreasing); steps: multiples of training.local_steps.
  PlanningPolicy(const PolicyContext& ctx, std::string name, const std::vector<double>& keep,
                 const std::vector<double>& steps);
  RoundPlan decide(const RoundState& state) final;
  void observe(const RoundOutcome& outcome, const LearningSnapshot& learning) final;
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> info() const final {
    return predictor_info(predictor_);
  }

protected:
  struct Choice {
    RoundChoice round; // empty: no plan reaches the target
    bool at_target = false;
    std::string why;      // when the target is out of reach
    RoundChoice fallback; // the round to play then (empty: FedAvg at the current level)
  };
  virtual Choice plan(const Problem& p, const RoundState& s) = 0;
  const std::string& name() const { return name_; }

private:
  std::string name_;
  PlanningSettings settings_;
  Predictor predictor_;
  Corrections corr_;
  int level_ = 0, played_ = 0;
  bool warned_ = false;
  // The last round, as predicted, for the corrections.
  Problem last_;
  RoundChoice last_choice_;
};

} // namespace edgetrain
