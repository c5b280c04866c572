#include "simulator/campaign/interrupts.hpp"

#include <csignal>

namespace edgetrain {

namespace {
volatile std::sig_atomic_t g_caught = 0;
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_before[3];

extern "C" void on_interrupt(int sig) {
  if (g_caught == 0) g_caught = sig;
}
} // namespace

CatchInterrupts::CatchInterrupts() {
  g_caught = 0;
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; // no SA_RESTART: waitpid and read return EINTR
  for (int i = 0; i < 3; ++i)
    sigaction(kSignals[i], &sa, &g_before[i]);
}

CatchInterrupts::~CatchInterrupts() {
  for (int i = 0; i < 3; ++i)
    sigaction(kSignals[i], &g_before[i], nullptr);
}

int CatchInterrupts::caught() {
  return g_caught;
}

void default_interrupts() {
  for (int s : kSignals)
    std::signal(s, SIG_DFL);
}

} // namespace edgetrain
