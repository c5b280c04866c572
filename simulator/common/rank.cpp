#include "simulator/common/rank.hpp"

#include <cmath>

namespace edgetrain {

int compare(const RankScore& x, const RankScore& y) {
  if (x.primary != y.primary) return x.primary < y.primary ? -1 : 1;
  if (x.secondary != y.secondary) return x.secondary < y.secondary ? -1 : 1;
  return 0;
}

std::optional<double> kendall_tau_b(const std::vector<RankScore>& a, const std::vector<RankScore>& b) {
  const std::size_t n = a.size();
  if (n < 2 || b.size() != n) return std::nullopt;
  long long s = 0, pairs = 0, ties_a = 0, ties_b = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const int ca = compare(a[i], a[j]), cb = compare(b[i], b[j]);
      ++pairs;
      ties_a += ca == 0;
      ties_b += cb == 0;
      s += ca * cb;
    }
  if (ties_a == pairs && ties_b == pairs) return 1.0;
  if (ties_a == pairs || ties_b == pairs) return 0.0;
  return static_cast<double>(s) /
         std::sqrt(static_cast<double>(pairs - ties_a) * static_cast<double>(pairs - ties_b));
}

} // namespace edgetrain
