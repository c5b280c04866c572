#pragma once
// SimGrid 3.32 dies on some platform content while it loads it, past what the file checks
// foresee: xbt_die or xbt_assert (a route declared twice, a Dragonfly's topo_parameters, a
// profile line without its value) end in abort(). While a LoadGuard lives, SimGrid's log goes
// to a temporary file, and a fatal signal prints "error: <platform>: SimGrid cannot load the
// platform: <its last CRITICAL line>", removes the trace file the load created, and exits 2.
// The platform is loaded once: a probe in a child process would load it twice (65 s more at
// 100,000 hosts in cells).
#include <filesystem>
#include <string>

namespace edgetrain {

class LoadGuard {
public:
  // `shown`: the platform as messages name it; `trace_file`: SimGrid's trace file if the load
  // may create it (empty: none), removed when the load dies.
  LoadGuard(const std::string& shown, const std::filesystem::path& trace_file);
  // Puts the signals and stderr back, and copies what SimGrid logged meanwhile to stderr.
  ~LoadGuard();
  LoadGuard(const LoadGuard&) = delete;
  LoadGuard& operator=(const LoadGuard&) = delete;

private:
  bool armed_ = false;
};

} // namespace edgetrain
