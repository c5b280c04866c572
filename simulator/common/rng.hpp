#pragma once
// Deterministic random streams. One master seed; each consumer derives its own named stream, so
// adding draws in one module never shifts another's numbers. Everything here is specified to the
// bit (xoshiro256**, SplitMix64 seeding, FNV-1a names, Box-Muller normals), so outputs do not
// depend on the standard library's distribution implementations.
#include <array>
#include <cstdint>
#include <string_view>

namespace edgetrain {

class Rng {
public:
  Rng(std::uint64_t master_seed, std::string_view stream);
  static Rng with_state(const std::array<std::uint64_t, 4>& state); // for reference checks
  static std::uint64_t splitmix64(std::uint64_t& x);

  std::uint64_t next();
  double uniform();                     // [0, 1)
  double uniform(double lo, double hi); // [lo, hi)
  std::uint64_t below(std::uint64_t n); // [0, n), unbiased; n > 0
  double normal();                      // N(0, 1)
  double gamma(double shape);           // Gamma(shape, 1), shape > 0 (Marsaglia-Tsang)

private:
  Rng() = default;
  std::uint64_t s_[4] = {};
  bool has_spare_ = false;
  double spare_ = 0;
};

} // namespace edgetrain
