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
#include <string_view>

namespace edgetrain {

class LoadGuard {
public:
  // `shown`: the platform as messages name it; `trace_file`: the file SimGrid's tracing would
  // write (a platform's <config> may turn it on), removed if this load creates it and then dies
  // or throws.
  LoadGuard(const std::string& shown, const std::filesystem::path& trace_file);
  // Puts the signals and stderr back, copies what SimGrid logged meanwhile to stderr, and
  // removes the trace file when an exception is leaving the load.
  ~LoadGuard();
  LoadGuard(const LoadGuard&) = delete;
  LoadGuard& operator=(const LoadGuard&) = delete;

private:
  bool armed_ = false;
  int exceptions_ = 0; // std::uncaught_exceptions() at construction
};

// What SimGrid said before it died: the message of the last "[.../CRITICAL] message" line of a
// log (xbt_die and xbt_assert log one), without the object address it may end with; empty when
// there is none. Allocates nothing (a signal handler calls it).
std::string_view last_critical_line(std::string_view log);

} // namespace edgetrain
