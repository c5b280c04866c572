#pragma once
// PACT's sub-problem: for one round class (pruning level, local steps, duration bound D), the
// least-energy set of nodes whose predicted rate reaches r. With n members the rate is
// (sum of values) x n^(participation_exponent - 1) / samples_scale, so for each n it is a
// covering knapsack. It is solved exactly by dynamic programming over (members, value units) on
// values rounded down to units of u = (sum of all values) / resolution:
//   - rounding down never overstates a set's value, so every set returned reaches r;
//   - a set whose true value exceeds the need by n x u or more still reaches it after rounding,
//     so, writing C*(V) for the exact least energy of a set of value V or more,
//         C*(V) <= C_DP(V) <= C*(V + n_max x u)
//     (tests/test_pact.cpp checks both sides against brute force).
// Cost: O(N^2 x resolution) per class (O(N x resolution) when the exponent is 1, where the count
// does not matter).
#include "policies/pact/problem.hpp"

#include <cstddef>
#include <vector>

namespace edgetrain {

class NodeSelection {
public:
  // Items: the nodes with an option within max_seconds; each costs its option's joules plus its
  // links' idle watts for max_seconds (the round lasts that long at most).
  NodeSelection(const Problem& p, int level, int steps, double max_seconds, int resolution, bool track);

  // Least joules of a set reaching `rate` (nodes only: the round's overhead is the caller's);
  // +inf when no set does.
  [[nodiscard]] double min_joules(double rate) const;
  // That set (indices into Problem::nodes); requires track.
  [[nodiscard]] std::vector<std::size_t> members(double rate) const;
  [[nodiscard]] double max_rate() const; // an upper bound on the rate of any set
  // max_rate() of the class, without building it.
  [[nodiscard]] static double rate_bound(const Problem& p, int level, int steps, double max_seconds);
  [[nodiscard]] std::size_t items() const { return item_.size(); }

private:
  [[nodiscard]] int need(double rate, int n) const; // value units n members need
  [[nodiscard]] std::size_t at(int n, int units) const {
    return static_cast<std::size_t>(n) * static_cast<std::size_t>(res_ + 1) + static_cast<std::size_t>(units);
  }
  // The best (n, exact units) reaching `rate`: n = -1 when none.
  void best_state(double rate, int& n, int& units) const;

  const Problem& p_;
  bool by_count_; // participation_exponent != 1: the member count matters
  int res_;
  double unit_ = 0, value_sum_ = 0;
  std::vector<std::size_t> item_;
  std::vector<double> cost_;
  std::vector<int> units_;
  std::vector<double> dp_;              // [count row][units]: least joules, exact units (track only)
  std::vector<double> suffix_;          // [count row][units]: least joules, at least units
  std::vector<std::vector<bool>> took_; // [item][state]: the item improved that state
};

} // namespace edgetrain
