#pragma once
// Command-line numbers read as exactly as the scenario's: CLI11 2.1 turns an integer beyond its
// type's range into the nearest one it has, silently (--seed 99999999999999999999 ran as
// INT64_MAX), and takes "inf" and "nan" as numbers. Each integer option must be a whole number
// its type holds; each number option a finite one.
#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace edgetrain {

template <class T> std::string whole_in_range(std::string& text) {
  T v{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec == std::errc::result_out_of_range)
    return "'" + text + "' is out of range (" + std::to_string(std::numeric_limits<T>::min()) + " to " +
           std::to_string(std::numeric_limits<T>::max()) + ")";
  if (ec == std::errc() && ptr == end) return "";
  // 1e6 is a whole number too (CLI11 reads it so): exactly, and within the type.
  double d = 0;
  const auto [dptr, dec] = std::from_chars(text.data(), end, d);
  if (dec != std::errc() || dptr != end || !std::isfinite(d) || d != std::floor(d))
    return "'" + text + "' is not a whole number";
  if (d < static_cast<double>(std::numeric_limits<T>::min()) || d >= static_cast<double>(std::numeric_limits<T>::max()))
    return "'" + text + "' is out of range";
  text = std::to_string(static_cast<T>(d)); // what CLI11 converts
  return "";
}

inline std::string finite_number(std::string& text) {
  double v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) return "'" + text + "' is not a finite number";
  return "";
}

// Adds those checks to every option of `app` and its subcommands, by the type CLI11 gave it.
inline void check_numbers(CLI::App& app) {
  for (CLI::Option* o : app.get_options()) {
    const std::string type = o->get_type_name();
    if (type == "INT") o->transform(CLI::Validator(whole_in_range<std::int64_t>, "", "whole number"));
    if (type == "UINT") o->transform(CLI::Validator(whole_in_range<std::uint64_t>, "", "whole number >= 0"));
    if (type == "FLOAT") o->check(CLI::Validator(finite_number, "", "finite number"));
  }
  for (CLI::App* sub : app.get_subcommands({}))
    check_numbers(*sub);
}

} // namespace edgetrain
