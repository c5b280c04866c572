#pragma once
// A campaign's output folder, shared by every back end (local pool, Slurm array, GNU parallel):
//
//   campaign.txt      the campaign file this folder belongs to
//   plan.csv          one row per run: index, run id, seed, the axes' values (written first)
//   commands.txt      the command that makes each run, one per line, in plan order
//   runs/<id>/        a finished run: `edgetrain run`'s folder, which appears whole or not at all
//   runs/<id>.failed  a failed run's exit status and the last lines of its log
//   logs/<id>.log     each run's stdout and stderr
//   runs.csv          merged: one row per run, its axes, status and summary metrics
//   rounds.csv        merged: every run's rounds, with its run id
//   nodes.csv         merged: per run and node, energy, FLOPs, bytes and rounds trained
//   manifest.json     versions, the campaign file's hash, the command line, counts and run ids
//
//   .lock             held (flock) by the edgetrain preparing and running the campaign
//
// A run is complete when runs/<id>/summary.json exists: re-running a campaign runs only the rest.
#include "simulator/campaign/campaign.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace edgetrain {

struct MergeCounts { // runs complete, failed, and neither, when the tables were written
  std::size_t done = 0, failed = 0, missing = 0;
};

struct RunStatus {
  enum Kind { Done, Failed, Missing } kind = Missing;
  std::string detail; // failed: "exit 2" or "signal 9"
};

class CampaignDir {
public:
  explicit CampaignDir(std::filesystem::path root) : root_(std::move(root)) {}
  [[nodiscard]] const std::filesystem::path& root() const { return root_; }
  [[nodiscard]] std::filesystem::path run_dir(const CampaignRun& r) const { return root_ / "runs" / r.id; }
  [[nodiscard]] std::filesystem::path failed_file(const CampaignRun& r) const {
    return root_ / "runs" / (r.id + ".failed");
  }
  [[nodiscard]] std::filesystem::path log_file(const CampaignRun& r) const {
    return root_ / "logs" / (r.id + ".log");
  }

  // Takes the folder's lock, for as long as this object lives, creates the folders, removes what
  // killed runs left half-written, writes plan.csv and commands.txt. Throws InputError when the
  // folder is not a campaign folder, belongs to another campaign file, or another edgetrain holds
  // it (its runs in progress would look half-written, and be removed).
  // `edgetrain`: the program the commands run (run_command_line).
  void prepare(const CampaignPlan& plan, const std::string& edgetrain) const;
  [[nodiscard]] RunStatus status(const CampaignRun& r) const;
  // Records a failure (exit status, last lines of the log); a later success removes it.
  void record_failure(const CampaignRun& r, const std::string& detail) const;
  // Writes runs.csv, rounds.csv, nodes.csv and manifest.json from whatever runs are complete,
  // reading one run at a time: only runs.csv's rows are held (the metric columns are known last).
  MergeCounts merge(const CampaignPlan& plan, const std::string& command_line) const;

private:
  std::filesystem::path root_;
  mutable std::shared_ptr<int> lock_; // the open .lock file; closing it releases the lock
};

// The command that makes one run: `edgetrain run` with the base scenario, its seed and sets.
std::vector<std::string> run_command_line(const std::string& edgetrain, const Campaign& c,
                                          const CampaignRun& r, const CampaignDir& dir);

// A TOML value text as a table cell: a string without its quotes and escapes.
std::string table_cell(const std::string& toml_value);

// argv quoted for a POSIX shell.
std::string shell_quote(const std::vector<std::string>& argv);

} // namespace edgetrain
