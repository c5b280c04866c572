#pragma once
// PACT's plan: the least-energy path on a time-expanded graph of the learning process.
//
// Vertices are (time slot t, pruning level l, loss bin b). Bins are uniform in y = ln(L - floor),
// floor being the unpruned model's: bin b holds y in (y_target + (b-1) w, y_target + b w], and the
// planner takes every loss at its bin's upper edge, so it never predicts a loss lower than the
// predictor would (when the loss map is monotone, Problem::monotone). Bin 0 is the target.
// An edge is a round's decision class (level l' >= l, local steps m, round length D, progress
// class q, a rate r_q = q x dr); its energy is the least-energy node set reaching r_q within D
// seconds (NodeSelection) plus the round's overhead for D; it leads to (t + ceil(D / slot), l',
// bin of the loss after a round at r_q from b's upper edge). The lengths D are the distinct round
// times the nodes' options give, thinned to `durations` values, so energy is charged at real
// lengths while the slot only sets how finely time is tracked against the deadline. Per (l', q)
// only the lengths whose energy falls as D grows are kept (Pareto), and the local-steps choice is
// the cheapest for its (l', D, q).
// Size, with N nodes, L levels, M steps choices, D durations, Q progress classes, T slots and
// B = (y_now - y_target) / w bins:
//   selections  O(L M D N^2 R)   (O(L M D N R) when the participation exponent is 1)
//   graph       O(T L B x L Q D) edges
// polynomial in every knob; README.md (policies/pact) states the measured growth.
#include "policies/pact/problem.hpp"

#include <cstdint>
#include <string>
#include <stdexcept>
#include <vector>

namespace edgetrain {

struct PactKnobs {
  double bin_width = 0.01;    // w, in ln(loss - floor): about a 1% step of the gap
  int durations = 48;         // D: round-length classes (distinct option durations, thinned)
  int progress_classes = 192; // Q
  int value_resolution = 256;
};

struct PlannedRound {
  double start_s = 0, seconds = 0, joules = 0, loss = 0; // loss: the bin's upper edge after it
  int level = 0, steps = 0, slots = 0;
  double rate = 0;
};

struct PactPlan {
  bool reaches_target = false; // a path reaches the target bin within the deadline
  bool at_target = false;      // the loss is already at or below the target
  RoundChoice first;           // the first round's node set (empty: nothing predicted to help)
  std::vector<PlannedRound> rounds;
  double joules = 0;
  std::string why; // when the target cannot be reached: why, for the log
  std::int64_t vertices = 0, edges = 0, selections = 0;
  std::int64_t held = 0; // vertices allocated (8 bytes each): the graph's memory
};

// The knobs make a graph larger than the memory available: thrown before it is allocated.
struct PlanTooLarge : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// slot_s: the slot length (fixed for a run, so that re-plans agree on the grid). Throws
// PlanTooLarge when its tables would not fit in the memory available.
PactPlan plan_pact(const Problem& p, const PactKnobs& k, double slot_s);

} // namespace edgetrain
