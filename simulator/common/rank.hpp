#pragma once
// Rank agreement between two scorings of the same items: what `edgetrain fidelity` reports of
// policies and `edgetrain calibrate --layer-speeds` of dropout vectors.
#include <optional>
#include <vector>

namespace edgetrain {

struct RankScore {
  double primary = 0, secondary = 0; // compared in that order, lower is better
};
// -1, 0 or 1 as x ranks before, with or after y.
int compare(const RankScore& x, const RankScore& y);

// Kendall's tau-b between two scorings of the same items (ties allowed). Two scorings that tie
// every item agree (1); one that ties every item while the other does not agrees with nothing
// (0). Fewer than two items: nullopt.
std::optional<double> kendall_tau_b(const std::vector<RankScore>& a, const std::vector<RankScore>& b);

} // namespace edgetrain
