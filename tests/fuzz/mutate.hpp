#pragma once
// Seeded, deterministic mutations of a text input: the operators that broke edgetrain's readers
// before (numbers a double cannot hold, a line gone or doubled, a byte changed, a file cut short).
// Same seed and index, same mutant, on every machine: the generator is splitmix64, not a standard
// distribution whose output differs between library versions.
#include <cstdint>
#include <string>

namespace fuzz {

class SplitMix {
public:
  explicit SplitMix(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  // Uniform in [0, n), n > 0.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

private:
  std::uint64_t state_;
};

// Values that sit on a reader's edges: beyond 2^53, non-finite, negative, huge, tiny, empty, not
// a number, not UTF-8.
extern const char* const kEdgeValues[];
extern const std::size_t kEdgeValueCount;

// One to three operators applied to `text`, chosen by the generator seeded with (seed, index).
std::string mutate(const std::string& text, std::uint64_t seed, std::uint64_t index);

} // namespace fuzz
