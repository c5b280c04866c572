#pragma once
#include "simulator/learning/calibrate.hpp"

#include <string>
#include <vector>

namespace edgetrain {

struct CalibrateArgs {
  std::string scenario, out;
  std::string from_traces; // refit these traces instead of training
  std::vector<std::string> sets;
  CalibrationOptions options;
  std::string command_line; // recorded in the output file
};

// `edgetrain calibrate SCENARIO.toml -o calibration.toml`: see learning/calibrate.hpp. Prints the
// fit and the held-out errors; writes the file atomically. Returns the exit code.
int calibrate_command(const CalibrateArgs& args);

} // namespace edgetrain
