#pragma once
#include <cstdint>
#include <vector>

namespace edgetrain {

// Largest-remainder rounding of non-negative weights to integers summing to total, each at least
// min_each (ties go to the earlier weight, so the result is deterministic).
std::vector<std::int64_t> apportion(const std::vector<double>& weights, std::int64_t total,
                                    std::int64_t min_each = 0);

} // namespace edgetrain
