#include "simulator/common/apportion.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace edgetrain {

std::vector<std::int64_t> apportion(const std::vector<double>& weights, std::int64_t total,
                                    std::int64_t min_each) {
  const std::size_t n = weights.size();
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  const std::int64_t spare = total - min_each * static_cast<std::int64_t>(n); // the minimum first
  std::vector<std::int64_t> out(n, min_each);
  std::vector<std::pair<double, std::size_t>> rest;
  std::int64_t given = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double share = static_cast<double>(spare) * weights[i] / sum;
    const auto whole = static_cast<std::int64_t>(std::floor(share));
    out[i] += whole;
    given += whole;
    rest.emplace_back(share - static_cast<double>(whole), i);
  }
  std::stable_sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < spare; ++k, ++given)
    ++out[rest[k % n].second];
  return out;
}

} // namespace edgetrain
