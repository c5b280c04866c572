#pragma once
// Runs commands as child processes, at most N at a time (one SimGrid engine per process). Each
// child's stdout and stderr go to its own log file, and it dies with the pool's process (Linux's
// parent-death signal), so a killed campaign leaves no run behind to finish or collide later.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace edgetrain {

struct PoolJob {
  std::vector<std::string> argv; // argv[0]: the program's path
  std::filesystem::path log;
  // When set, the child runs this instead of exec'ing argv: a fork of this process, whose
  // libraries are already loaded and initialised (Debian's SimGrid pulls in ns-3, whose static
  // initialisers cost 0.14 s per process). Its return value is the exit code.
  std::function<int()> body;
};

struct PoolResult {
  int exit_code = 0; // when it exited
  int signal = 0;    // when a signal ended it (exit_code is then -1)
  double seconds = 0;
  [[nodiscard]] bool ok() const { return signal == 0 && exit_code == 0; }
};

// Runs jobs 0 .. count-1 in order with at most `parallel` at once, each made by job(index) as it
// starts (a million-run campaign never holds a million commands); calls on_done(index, result) in
// the calling process as each ends, in the order they end. Throws std::runtime_error when a process
// cannot be started. SIGINT, SIGTERM or SIGHUP (interrupts.hpp) stop it: no run starts after, the
// running ones get SIGTERM (SIGKILL at a second signal) and are waited for, and those that did
// not succeed get no on_done (they were stopped, not failed). Returns that signal, or 0 when
// every job ran.
int run_pool(std::size_t count, const std::function<PoolJob(std::size_t)>& job, int parallel,
             const std::function<void(std::size_t, const PoolResult&)>& on_done);

// This program's own path (/proc/self/exe), to run `edgetrain run` children with.
std::string self_executable();

} // namespace edgetrain
