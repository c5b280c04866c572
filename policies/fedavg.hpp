#pragma once
#include "policies/policy.hpp"

namespace edgetrain {
// FedAvg (McMahan et al., AISTATS 2017) with full participation: every online trainer trains the
// full model at its fastest DVFS state, and the round waits for all of them (unless the scenario
// sets training.round_timeout_s).
PolicyInfo fedavg_policy_info();
} // namespace edgetrain
