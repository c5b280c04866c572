#pragma once
#include "policies/policy.hpp"

namespace edgetrain {
// FedAvg with random client selection (McMahan et al. 2017, C < 1): k online trainers drawn
// uniformly without replacement each round from the stream "policy.random"; full model.
PolicyInfo random_policy_info();
} // namespace edgetrain
