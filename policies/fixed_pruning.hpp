#pragma once
#include "policies/policy.hpp"

namespace edgetrain {
// FedAvg at one fixed pruning level: every online trainer, the model pruned to policy.fedavg-pruned.keep
// of the filters/units of every prunable layer from the first round, fastest pstate, waits for all.
PolicyInfo fedavg_pruned_policy_info();
} // namespace edgetrain
