#pragma once
// Errors in what the user gave us (scenario, platform, command line). The CLI prints
// "error: <where>: <what>" and exits with code 2; nothing else catches them.
#include <stdexcept>
#include <string>

namespace edgetrain {

class InputError : public std::runtime_error {
public:
  // where: "file:line:col", "file", "--set key" or a key path; may be empty.
  InputError(const std::string& where, const std::string& what)
      : std::runtime_error(where.empty() ? what : where + ": " + what) {}
};

} // namespace edgetrain
