#pragma once
// Waiting for child processes while SIGINT, SIGTERM and SIGHUP can arrive. While an Interrupts
// lives, those three (unless ignored when it began, as under nohup) and SIGCHLD are blocked and
// taken with sigtimedwait, so none is lost between a check and a wait. The campaign then stops
// what it started (its own runs, a Slurm job array, GNU parallel), merges what finished and dies
// by the same signal. Dying at once would leave a Slurm array or GNU parallel's runs going after
// the campaign, and a resume meanwhile could make a run twice. SIGKILL cannot be caught: see the
// README.
#include <signal.h>
#include <sys/types.h>

namespace edgetrain {

class Interrupts {
public:
  Interrupts();
  ~Interrupts(); // restores the signal mask
  Interrupts(const Interrupts&) = delete;
  Interrupts& operator=(const Interrupts&) = delete;

  struct Event {
    pid_t pid = 0; // > 0: this child ended, with `status` (waitpid's); -1: no such child
    int status = 0;
    int signal = 0; // > 0: this signal arrived (pid is then 0)
  };
  // Waits until child `pid` (-1: any) ends, one of the three signals arrives, or `timeout_s`
  // passes (< 0: no limit; then the Event is all zero).
  Event wait(pid_t pid, double timeout_s = -1);

  // One of the three signals if one is pending (taken, as by wait), without waiting; 0 if none.
  int poll_signal();

  // The first signal that arrived; 0 when none.
  [[nodiscard]] int caught() const { return caught_; }
  // The mask children must start with: the one from before.
  [[nodiscard]] const sigset_t& child_mask() const { return before_; }

private:
  sigset_t before_{}, set_{};
  int caught_ = 0;
};

// Dies by `sig`, its default action restored (a shell or script that started the campaign then
// sees the signal, and stops too); returns only if that does not end the process.
void die_by(int sig);

} // namespace edgetrain
