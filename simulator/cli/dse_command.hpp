#pragma once
#include "simulator/learning/dse.hpp"

#include <string>
#include <vector>

namespace edgetrain {

struct DseArgs {
  std::string scenario, out;
  std::vector<std::string> sets;
  std::vector<double> grid{0.25, 0.5, 0.75, 1.0};
  std::string predictor = "auto"; // the predictor source's loss predictor file
  DseOptions options;
};

// `edgetrain dse SCENARIO.toml -o pareto.csv`: see learning/dse.hpp. Writes the Pareto table
// atomically (and, with --source trained, the measured speeds to pareto.csv.cache.csv, reused by
// later runs). Returns the exit code.
int dse_command(const DseArgs& args);

} // namespace edgetrain
