#pragma once
// Reads a TOML file; a syntax error becomes an InputError at "shown:line:col" (shown: the path as
// the user wrote it).
#include "simulator/common/error.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <string>

namespace edgetrain {

inline toml::table parse_toml_file(const std::string& path, const std::string& shown) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}:{}", shown, e.source().begin.line, e.source().begin.column),
                     std::string(e.description()));
  }
}

} // namespace edgetrain
