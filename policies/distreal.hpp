#pragma once
#include "policies/policy.hpp"

namespace edgetrain {
// DISTREAL (Rapp et al., AAAI 2022): each sampled device trains with structured dropout, picking on
// its own the fastest-converging Pareto-optimal dropout vector (edgetrain dse) whose predicted
// time fits the round's budget at the FLOP/s it has now; one that fits none takes the cheapest.
// The round stops at the budget. The Pareto table comes from policy.distreal.pareto (a CSV of
// `edgetrain dse`), or is explored at start with the calibrated predictor.
// Not yet: picking again mid-round when a device's speed changes (the engine runs local training
// in one piece).
PolicyInfo distreal_policy_info();
} // namespace edgetrain
