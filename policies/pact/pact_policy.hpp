#pragma once
#include "policies/policy.hpp"

namespace edgetrain {
// PACT (Malandrino et al., INFOCOM 2023), as reconstructed in policies/pact/README.md.
PolicyInfo pact_policy_info();
// The exact optimum of the same problem by branch and bound, for small instances.
PolicyInfo optimum_policy_info();
} // namespace edgetrain
