#pragma once
// The exact optimum of the planning problem PACT approximates, for small instances: depth-first
// branch and bound over whole rounds, with no discretisation of time, loss or rate.
//
// A round is (level l' >= current, local steps m, member set S, duration bound D). For fixed
// (l', m, S) and D, each member independently takes its least-energy pstate finishing within D,
// so D only needs the values the members' options take: enumerating them enumerates every
// distinct round. Rounds that another round of the same level beats on rate, seconds and joules
// at once are dropped when the loss map is monotone (a larger rate then never hurts later).
// Bounds, from the state (loss L, level l, time t, joules E) with F the floor at level l:
//   the gap L - F shrinks by at most exp(-rate h) per round whatever later levels do (their
//   floors are higher), h the loss model's tail-and-plateau factor at its largest from here on
//   (exact.cpp, rate_efficiency), so the rates still to come add up to
//   R >= ln((L - F) / (target - F)) / h;
//   then the remaining joules are >= R x min(joules / rate) and the remaining seconds
//   >= R x min(seconds / rate) over the rounds of level >= l, and the rounds left
//   >= R / max(rate). A branch is cut when E plus its joules bound reaches the best plan found,
//   or its time or rounds bound breaks the deadline or max_rounds.
#include "policies/pact/problem.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace edgetrain {

struct ExactPlan {
  bool reaches_target = false;
  bool at_target = false;
  bool complete = true; // false: the expansion budget ran out (the plan is the best found)
  RoundChoice first;    // the first round (empty when no plan reaches the target)
  std::vector<RoundChoice> rounds;
  double joules = 0;
  std::int64_t round_options = 0, expansions = 0;
  // With an incumbent's joules given: no plan below them was found (complete: none exists).
  bool incumbent_stands = false;
  std::string why;
};

// Throws std::invalid_argument with more than max_nodes candidates (the search is exponential).
// `incumbent`: the joules of a plan known to reach the target (say, PACT's), which the search
// starts from as its best: only cheaper plans are looked for, and they are cut far sooner.
ExactPlan solve_exact(const Problem& p, int max_nodes, std::int64_t max_expansions,
                      double incumbent = std::numeric_limits<double>::infinity());

} // namespace edgetrain
