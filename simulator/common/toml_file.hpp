#pragma once
// Reads a TOML file; a syntax error becomes an InputError at "shown:line:col" (shown: the path as
// the user wrote it).
#include "simulator/common/error.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

namespace edgetrain {

// A TOML number as a double, when it is one exactly and finite: an integer beyond 2^53 has no
// double (toml++ then gives none, and reading it anyway read garbage), and inf or nan is no
// setting. Every TOML number edgetrain reads goes through here.
inline std::optional<double> exact_number(const toml::node& n) {
  if (const auto* i = n.as_integer()) {
    constexpr std::int64_t kExact = std::int64_t{1} << 53;
    if (i->get() > kExact || i->get() < -kExact) return std::nullopt;
    return static_cast<double>(i->get());
  }
  if (const auto* f = n.as_floating_point(); f && std::isfinite(f->get())) return f->get();
  return std::nullopt;
}

// Why exact_number gave none, for an error message: "" when it is not a number at all.
inline std::string inexact_why(const toml::node& n) {
  if (n.is_integer()) return fmt::format("{} is beyond 2^53, past which a number is not held exactly", n.as_integer()->get());
  if (n.is_floating_point()) return fmt::format("must be a finite number, got {}", n.as_floating_point()->get());
  return "";
}

inline toml::table parse_toml_file(const std::string& path, const std::string& shown) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}:{}", shown, e.source().begin.line, e.source().begin.column),
                     std::string(e.description()));
  }
}

} // namespace edgetrain
