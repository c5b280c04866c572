#pragma once
// `edgetrain campaign`: every run of a campaign file (campaign/campaign.hpp), locally in a pool
// of processes, as a Slurm job array, or through GNU parallel; then the merged tables. Every
// argument in one struct, as RunArgs.
#include <string>
#include <vector>

namespace edgetrain {

struct CampaignArgs {
  std::string campaign;          // campaign TOML file
  std::string out;               // campaign folder (created; re-running resumes it)
  int jobs = 1;                  // local: runs at once; parallel: --jobs per host
  std::string backend = "local"; // local, slurm or parallel
  bool dry_run = false;          // print the plan (and the sbatch script or parallel command); run nothing
  bool merge_only = false;       // only merge what is complete
  std::vector<std::string> sshlogin; // parallel: GNU parallel's --sshlogin entries
  std::vector<std::string> sbatch;   // slurm: extra sbatch options, e.g. --partition=debug
  bool progress = true;              // the progress bar when stderr is a terminal
  std::vector<std::string> argv;     // the command line, for the manifest
};

// 0: every run complete; 1: some failed (recorded, merged); 2: bad input, nothing run.
int campaign_command(const CampaignArgs& args);

} // namespace edgetrain
