#pragma once
// Every subcommand ends the same way: input errors are "error: ..." and exit code 2, anything
// else is "error: ..." and exit code `other` (1, or 2 where any failure means bad input).
#include "simulator/common/error.hpp"

#include <fmt/format.h>

#include <exception>
#include <new>

namespace edgetrain {

template <class Body> int report_errors(Body&& body, int other = 1) {
  try {
    return body();
  } catch (const InputError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    // What no estimate foresaw: say so rather than "std::bad_alloc".
    fmt::print(stderr, "error: out of memory: the scenario asks for more than this machine has (sizes: "
                       "samples, trainers, a planner's knobs, a DSE population)\n");
    return other;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return other;
  }
}

} // namespace edgetrain
