#pragma once
// A text that is one finite number and nothing else (no spaces, no trailing characters): what the
// CSV and cache readers accept. std::from_chars, not stod: no locale, no exception, no leading
// whitespace skipped.
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

namespace edgetrain {

inline std::optional<double> whole_number(std::string_view text) {
  double v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

} // namespace edgetrain
