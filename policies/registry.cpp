#include "policies/distreal.hpp"
#include "policies/fedavg.hpp"
#include "policies/fixed_pruning.hpp"
#include "policies/fl_baselines.hpp"
#include "policies/pact/pact_policy.hpp"
#include "policies/policy.hpp"
#include "policies/random_selection.hpp"
#include "policies/ranked_selection.hpp"

namespace edgetrain {

// Explicit list: a new policy adds its header and one line here.
const std::vector<PolicyInfo>& policy_registry() {
  static const std::vector<PolicyInfo> registry = {
      fedavg_policy_info(),   fedavg_pruned_policy_info(),   random_policy_info(),
      greedy_policy_info(),   fastest_first_policy_info(),   pact_policy_info(),
      optimum_policy_info(),  fedavg_deadline_policy_info(), fed_dropout_policy_info(),
      heterofl_policy_info(), fedprox_partial_policy_info(), distreal_policy_info(),
  };
  return registry;
}

const PolicyInfo* find_policy(const std::string& name) {
  for (const PolicyInfo& p : policy_registry())
    if (p.name == name) return &p;
  return nullptr;
}

} // namespace edgetrain
