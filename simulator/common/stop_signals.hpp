#pragma once
// The signals that stop edgetrain in order (a campaign stops its runs and merges; a run removes
// its hidden results folder): SIGINT (Ctrl-C), SIGTERM and SIGHUP. One ignored when the process
// started (nohup ignores SIGHUP) is left ignored.
#include <csignal>

namespace edgetrain {

inline constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

inline bool ignored_now(int sig) {
  struct sigaction now {};
  return sigaction(sig, nullptr, &now) == 0 && now.sa_handler == SIG_IGN;
}

} // namespace edgetrain
