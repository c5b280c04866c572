#pragma once
// `edgetrain fidelity CAMPAIGN.toml -o DIR`: the campaign's runs under the trained process and
// under a fast one, with the same seeds, and how far the fast one's verdicts are
// (campaign/fidelity.hpp). DIR holds two campaign folders, trained/ and fast/ (resumable like any
// campaign), fidelity.json, and fidelity.csv with one row per pair of runs.
#include <cstdint>
#include <string>
#include <vector>

namespace edgetrain {

struct FidelityArgs {
  std::string campaign;        // campaign TOML file
  std::string out;             // folder (created; re-running resumes it)
  int jobs = 1;                // runs at once
  std::int64_t sample = 0;     // about this many runs (whole groups-and-seeds), 0: all
  std::int64_t sample_seed = 1; // the seeded order the sample is drawn in
  std::string fast;            // the fast process ("": the campaign's own, else surrogate)
  bool merge_only = false;     // only measure the runs already complete
  bool progress = true;
  std::vector<std::string> argv; // the command line, for the manifests
};

// 0: every run complete and measured; 1: some runs failed (measured without them); 2: bad input.
int fidelity_command(const FidelityArgs& args);

} // namespace edgetrain
