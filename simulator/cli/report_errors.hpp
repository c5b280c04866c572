#pragma once
// Every subcommand ends the same way: input errors are "error: ..." and exit code 2, anything
// else is "error: ..." and exit code `other` (1, or 2 where any failure means bad input).
#include "simulator/common/error.hpp"

#include <fmt/format.h>

#include <exception>

namespace edgetrain {

template <class Body> int report_errors(Body&& body, int other = 1) {
  try {
    return body();
  } catch (const InputError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return other;
  }
}

} // namespace edgetrain
