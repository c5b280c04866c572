#pragma once
// The cluster back ends. Both run, per run, the same `edgetrain run` command as the local pool,
// as a shell line that also writes its log and its failure record, so results merge the same way.
//   Slurm: job arrays with indices 1 to at most MaxArraySize - 1 (Slurm refuses larger indices),
//          each submitted with `sbatch --parsable --wait`, one after the other;
//   GNU parallel: one `parallel` over the lines, with its --sshlogin entries.
// sbatch and parallel run in process groups of their own. SIGINT, SIGTERM or SIGHUP to the
// campaign (interrupts.hpp) cancel what was submitted (scancel) or stop GNU parallel (SIGTERM,
// repeated: it kills its running jobs), and the functions return that signal.
#include "simulator/campaign/campaign_dir.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace edgetrain {

// The shell line of one run: its command, its log, and its failure record written whole.
std::string shell_line(const std::vector<std::string>& argv, const CampaignDir& dir, const CampaignRun& r);

// Slurm's MaxArraySize, from `scontrol show config`; Slurm's default, 1001, when it cannot tell.
// `reachable`: sinfo has answered (else scontrol is asked only when a slurm.conf exists).
int slurm_max_array_size(bool reachable);

// The sbatch scripts for `lines`: one job array per (max_array_size - 1) lines. The commands are
// in the script itself, a case per array task: Slurm keeps a copy of the script at submission, so
// tasks still queued run what was submitted even if a resume rewrites files.
std::vector<std::string> slurm_scripts(const Campaign& c, const CampaignDir& dir,
                                       const std::vector<std::string>& lines, int jobs,
                                       const std::vector<std::string>& sbatch, int max_array_size);

// The script files in the campaign folder: slurm.sbatch, or slurm-1.sbatch, slurm-2.sbatch...
std::vector<std::filesystem::path> slurm_script_files(const CampaignDir& dir, std::size_t count);

// Submits each script and waits for its array to end. Returns the signal caught (0: none).
int run_slurm(const std::vector<std::filesystem::path>& scripts);

// The GNU parallel command over DIR/pending.txt.
std::vector<std::string> parallel_command(const CampaignDir& dir, int jobs,
                                          const std::vector<std::string>& sshlogin);

// Runs it and waits. Returns the signal caught (0: none); then runs of `run_dirs` still going on
// this machine are stopped too.
int run_parallel(const std::vector<std::string>& argv, const std::vector<std::string>& run_dirs);

} // namespace edgetrain
