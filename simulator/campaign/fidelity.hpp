#pragma once
// How far a fast learning process's verdicts are from the trained process's on the same runs
// (`edgetrain fidelity`): the same campaign played under both, each run paired with its twin of the
// same axes and seed. A study's verdict is a ranking of policies, so per group of the non-policy
// axes (one deadline, one platform, ...) we compare the two rankings with Kendall's tau-b, and over
// every run the errors of the figures a table would print.
//
// Ranking on time (or energy) to target: a policy that reaches the target in more seeds ranks
// first; among those reaching it equally often, the lower mean over the seeds that reached it.
// Ranking on final accuracy: the higher mean.
#include "simulator/common/rank.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edgetrain {

struct RunVerdict {      // one run's figures, from its summary.json
  bool reached = false;  // the target loss
  double time_s = 0;     // to the target (when reached)
  double energy_j = 0;   // to the target (when reached)
  double accuracy = 0;   // final, in [0, 1]
};

struct FidelityPair {
  std::size_t run = 0;   // plan index, from 0
  std::string group;     // the non-policy axes' values, "key=value, ..." ("" with none)
  std::string policy;    // the policy axis's values ("" without one)
  std::int64_t seed = 0;
  RunVerdict trained, fast;
};

// Median and maximum of a set of errors (NaN for both when empty).
struct ErrorStats {
  int count = 0;
  double median = 0, max = 0;
};
ErrorStats error_stats(std::vector<double> errors);


struct GroupFidelity {
  std::string group;
  std::vector<std::string> policies;           // in first-seen order
  std::vector<int> rank_trained, rank_fast;    // on time to target, 1 = best (ties share)
  std::optional<double> tau_time, tau_energy, tau_accuracy;
  // The trained process against itself: the ranking from the group's 1st, 3rd, ... seeds against
  // the one from its 2nd, 4th, ... (nullopt unless every policy has runs in both halves). Seed
  // noise alone keeps this below 1: a fast process's tau against the trained means, over twice as
  // many seeds per ranking, is not a verdict on the fast process unless it is well above it.
  std::optional<double> self_tau_time, self_tau_energy;
  ErrorStats rel_time, rel_energy, abs_accuracy;
  int runs = 0, reached_trained = 0, reached_fast = 0;
};

struct Fidelity {
  std::vector<GroupFidelity> groups; // in first-seen order
  // Worst group (nullopt when no group ranks two policies).
  std::optional<double> tau_time, tau_energy, tau_accuracy;
  std::optional<double> self_tau_time, self_tau_energy; // worst group too
  // Over every run: relative errors where both processes reached the target; accuracy in points.
  ErrorStats rel_time, rel_energy, abs_accuracy;
  int runs = 0, reached_trained = 0, reached_fast = 0, reached_both = 0;
};

Fidelity measure_fidelity(const std::vector<FidelityPair>& pairs);

} // namespace edgetrain
