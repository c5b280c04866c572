#pragma once
// SIGINT, SIGTERM and SIGHUP while a campaign's runs are out. They are caught without SA_RESTART,
// so a blocking wait returns EINTR and the campaign stops what it started (its own runs, a Slurm
// job array, GNU parallel), merges what finished and exits 128 + the signal. Dying at once would
// leave a Slurm array or GNU parallel's runs going after the campaign, and a resume meanwhile
// could make a run twice. SIGKILL cannot be caught: see the README.
namespace edgetrain {

class CatchInterrupts {
public:
  CatchInterrupts();
  ~CatchInterrupts();
  CatchInterrupts(const CatchInterrupts&) = delete;
  CatchInterrupts& operator=(const CatchInterrupts&) = delete;
  // The first signal caught while an instance lives; 0 when none.
  [[nodiscard]] static int caught();
};

// In a forked child that does not exec: the three signals back to their default action.
void default_interrupts();

} // namespace edgetrain
