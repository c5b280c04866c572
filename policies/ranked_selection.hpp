#pragma once
#include "policies/pact/problem.hpp"
#include "policies/policy.hpp"

namespace edgetrain {
// Baselines PACT is measured against (policies/pact/README.md). Both train the full model and use
// PACT's own predictor and corrections, so they differ from it only in how they decide: each
// round they add nodes in a fixed order until the round, repeated for every round left (by the
// deadline and max_rounds), is predicted to reach the target.
//   greedy:        cheapest energy per unit of predicted progress first, each at its cheapest pstate;
//   fastest-first: shortest round time first, each at its fastest pstate.
PolicyInfo greedy_policy_info();
PolicyInfo fastest_first_policy_info();
// One round of either, on level 0 and the first steps choice of `p` (empty when p has no node).
RoundChoice ranked_round(const Problem& p, bool fastest);
} // namespace edgetrain
