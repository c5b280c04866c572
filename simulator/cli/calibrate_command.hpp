#pragma once
#include "simulator/learning/calibrate.hpp"

#include <string>
#include <vector>

namespace edgetrain {

struct CalibrateArgs {
  std::string scenario, out;
  // refit these traces instead of training; several are merged (their runs in turn) and the merged
  // traces written beside the output
  std::vector<std::string> from_traces;
  std::vector<std::string> sets;
  std::vector<std::string> fidelity; // edgetrain fidelity folders whose figures the header reports
  // a DSE cache of trained short runs (edgetrain dse --source trained) to fit the layer weights to,
  // and the scenario those runs were made of ("": the calibration's)
  std::string layer_speeds, layer_scenario;
  CalibrationOptions options;
  std::string command_line; // recorded in the output file
};

// `edgetrain calibrate SCENARIO.toml -o calibration.toml`: see learning/calibrate.hpp. Prints the
// fit and the held-out errors; writes the file atomically. Returns the exit code.
int calibrate_command(const CalibrateArgs& args);

} // namespace edgetrain
