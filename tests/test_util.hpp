#pragma once
// Small helpers for tests: a temporary folder, files written inline, and running the edgetrain
// program as a subprocess (SimGrid allows one engine per process, so whole runs go there).
#include <filesystem>
#include <string>
#include <vector>

namespace testutil {

class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& content) const;

private:
  std::filesystem::path path_;
};

std::string read(const std::filesystem::path& p);
// Every line of a text split at its commas (CSV without quoting).
std::vector<std::vector<std::string>> csv_cells(const std::string& text);
// The same, a CSV's header line left out.
std::vector<std::vector<std::string>> csv_rows(const std::string& csv);

struct Proc {
  int code = -1;
  std::string out, err;
};
// Runs build/edgetrain with the given arguments (a shell-quoted string).
Proc run_edgetrain(const std::string& args, const std::filesystem::path& cwd);

// Starts `edgetrain ARGS` in cwd in the background, in a session and process group of its own,
// with SIGINT at its default action (a shell's background jobs start with it ignored) and the
// signals in `ignored` (e.g. "HUP") ignored, as nohup does. Waits until the shell condition `ready`
// holds (it may use $pid, the program's process id; at most 120 s), then sends `signal` (e.g.
// TERM) to the program, or to its whole process group as a terminal's Ctrl-C does, and returns its
// exit status (128 + N when signal N ended it). Its stderr is left in cwd/signalled.err.
int signal_when(const std::filesystem::path& cwd, const std::string& args, const std::string& ready,
                const std::string& signal, bool whole_group = false, const std::string& ignored = "");

// A campaign file of PACT runs on edge-cloud-100, 8 rounds (one to three seconds each), over
// `seeds` (a TOML array): long enough for signals to come while runs are out.
std::string slow_campaign(const std::string& seeds);

// The complete runs in a campaign's runs/ folder: folders holding summary.json, hidden ones (a
// stopped run's partial folder) left out.
std::size_t complete_runs(const std::filesystem::path& runs);

// Path of the repository's root (for configs/ and platforms/).
std::filesystem::path source_dir();

// configs/quickstart.toml's absolute path.
std::string quickstart();

} // namespace testutil
