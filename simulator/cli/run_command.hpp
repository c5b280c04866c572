#pragma once
// `edgetrain run`: one scenario, start to finish. Every argument the run takes, in one struct
// (Batsim-style), so tests and the campaign runner call it the way the CLI does.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edgetrain {

struct RunArgs {
  std::string scenario;                  // scenario TOML file
  std::vector<std::string> sets;         // "key.path=value" overrides, applied in order
  std::string out;                       // output folder; "" = results/<name>-<policy>-s<seed>
  std::optional<std::int64_t> seed;      // overrides scenario.seed (checked like it: >= 0)
  bool verbose = false;                  // SimGrid and edgetrain logs at info level
  bool progress = true;                  // progress line when stderr is a terminal
  std::vector<std::string> simgrid_args; // --cfg=... and --log=..., passed to SimGrid as given
};

// Returns the process exit code: 0 done, 2 bad input (message already printed), 1 other failure.
int run_command(const RunArgs& args);

} // namespace edgetrain
