#include "simulator/campaign/interrupts.hpp"

#include "simulator/common/stop_signals.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace edgetrain {

Interrupts::Interrupts() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGCHLD);
  for (int s : kStopSignals) // an ignored one, blocked, would be kept pending and taken here
    if (!ignored_now(s)) sigaddset(&set_, s);
  sigprocmask(SIG_BLOCK, &set_, &before_);
}

Interrupts::~Interrupts() {
  // Interrupt signals still pending are the campaign's to act on (die_by); SIGCHLD is harmless.
  sigprocmask(SIG_SETMASK, &before_, nullptr);
}

Interrupts::Event Interrupts::wait(pid_t pid, double timeout_s) {
  Event e;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r > 0) return e.pid = r, e.status = status, e;
    if (r < 0 && errno == ECHILD) return e.pid = -1, e;
    siginfo_t info;
    int sig = 0;
    if (timeout_s < 0) {
      sig = sigwaitinfo(&set_, &info);
    } else {
      timespec ts{};
      ts.tv_sec = static_cast<time_t>(timeout_s);
      ts.tv_nsec = static_cast<long>((timeout_s - std::floor(timeout_s)) * 1e9);
      sig = sigtimedwait(&set_, &info, &ts);
      if (sig < 0 && errno == EAGAIN) return e; // timed out
    }
    if (sig < 0 || sig == SIGCHLD) continue; // EINTR, or a child changed state: look again
    if (caught_ == 0) caught_ = sig;
    e.signal = sig;
    return e;
  }
}

int Interrupts::poll_signal() {
  sigset_t only = set_;
  sigdelset(&only, SIGCHLD);
  siginfo_t info;
  const timespec zero{};
  const int sig = sigtimedwait(&only, &info, &zero);
  if (sig <= 0) return 0;
  if (caught_ == 0) caught_ = sig;
  return sig;
}

void die_by(int sig) {
  std::fflush(nullptr);
  signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  sigprocmask(SIG_UNBLOCK, &one, nullptr);
  raise(sig);
}

} // namespace edgetrain
