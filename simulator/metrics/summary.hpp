#pragma once
// summary.json (one object per run, the figures a comparison needs) and the console table.
#include "simulator/engine/round_engine.hpp"

#include <string>
#include <utility>
#include <vector>

namespace edgetrain {

struct RunInfo {
  const Scenario& scenario;
  const Platform& platform;
  const RunResult& result;
  double wall_s; // the one machine-dependent figure of a run
  std::vector<std::pair<std::string, std::string>> policy_info; // Policy::info()
};

std::string summary_json(const RunInfo& run);
std::string console_table(const RunInfo& run, const std::string& out_dir);

} // namespace edgetrain
