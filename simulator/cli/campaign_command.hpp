#pragma once
// `edgetrain campaign`: every run of a campaign file (campaign/campaign.hpp), locally in a pool
// of processes, as a Slurm job array, or through GNU parallel; then the merged tables. Every
// argument in one struct, as RunArgs.
#include "simulator/campaign/campaign.hpp"
#include "simulator/campaign/campaign_dir.hpp"

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

// The local back end on a given plan (any subset of a campaign's runs): prepares `dir`, runs in a
// pool of `jobs` processes what is not complete yet (unless `merge_only`), merges. Returns the
// signal that interrupted it, 0 when every pending run ran. For commands built on campaigns.
int run_campaign_local(const CampaignPlan& plan, const CampaignDir& dir, int jobs, bool progress, bool merge_only,
                       const std::string& command_line);

} // namespace edgetrain
