#include "simulator/platform/load_guard.hpp"

#include <array>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace edgetrain {

namespace {

// The handler may use only async-signal-safe calls: everything it needs is prepared here.
int g_stderr = -1; // the real stderr, duplicated
int g_log = -1;    // where SimGrid logs meanwhile
std::array<char, 1024> g_prefix{};
std::array<char, 4096> g_trace{};
std::array<char, 1 << 16> g_tail{};
constexpr std::array<int, 4> kSignals = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE};
std::array<struct sigaction, kSignals.size()> g_previous{};

void put(const char* text, std::size_t n) {
  while (n > 0) {
    const ssize_t w = write(g_stderr, text, n);
    if (w <= 0) return;
    text += w, n -= static_cast<std::size_t>(w);
  }
}

// The last "[.../CRITICAL] message" line of the log's last 64 KiB, without its log prefix and
// the object address it may end with; writes it, or a generic line naming the signal.
void report(int sig) {
  const off_t size = lseek(g_log, 0, SEEK_END);
  const off_t from = size > static_cast<off_t>(g_tail.size()) ? size - static_cast<off_t>(g_tail.size()) : 0;
  const ssize_t got = size > 0 ? pread(g_log, g_tail.data(), static_cast<std::size_t>(size - from), from) : 0;
  const char* said = nullptr;
  std::size_t said_n = 0;
  static constexpr char kMark[] = "/CRITICAL] ";
  constexpr std::size_t kMarkN = sizeof kMark - 1;
  for (ssize_t i = 0; got > 0 && i + static_cast<ssize_t>(kMarkN) <= got; ++i) {
    if (std::memcmp(g_tail.data() + i, kMark, kMarkN) != 0) continue;
    said = g_tail.data() + i + kMarkN;
    said_n = 0;
    while (said + said_n < g_tail.data() + got && said[said_n] != '\n') ++said_n;
  }
  if (said_n > 0 && said[said_n - 1] == ')') // " (0x55d0c0a1b2c0)": an address, not a reason
    for (std::size_t k = said_n; k-- > 0;)
      if (k + 4 <= said_n && std::memcmp(said + k, " (0x", 4) == 0) {
        said_n = k;
        break;
      }
  put(g_prefix.data(), std::strlen(g_prefix.data()));
  if (said_n > 0) {
    put(said, said_n);
  } else {
    static constexpr char kCrash[] = "SimGrid crashed on it (signal ";
    put(kCrash, sizeof kCrash - 1);
    char digits[4] = {static_cast<char>('0' + sig / 10 % 10), static_cast<char>('0' + sig % 10), ')', '\0'};
    put(sig >= 10 ? digits : digits + 1, sig >= 10 ? 3 : 2);
  }
  put("\n", 1);
}

void on_fatal(int sig) {
  report(sig);
  if (g_trace[0] != '\0') unlink(g_trace.data());
  _exit(2);
}

} // namespace

LoadGuard::LoadGuard(const std::string& shown, const std::filesystem::path& trace_file) {
  std::FILE* log = std::tmpfile();
  if (!log) return; // cannot capture: SimGrid's own abort stands
  std::fflush(stderr);
  g_log = dup(fileno(log));
  std::fclose(log); // the descriptor keeps the (unlinked) file
  g_stderr = dup(STDERR_FILENO);
  if (g_log < 0 || g_stderr < 0 || dup2(g_log, STDERR_FILENO) < 0) {
    if (g_log >= 0) close(g_log);
    if (g_stderr >= 0) close(g_stderr);
    g_log = g_stderr = -1;
    return;
  }
  std::snprintf(g_prefix.data(), g_prefix.size(), "error: %s: SimGrid cannot load the platform: ", shown.c_str());
  std::snprintf(g_trace.data(), g_trace.size(), "%s", trace_file.c_str());
  struct sigaction sa {};
  sa.sa_handler = on_fatal;
  sigemptyset(&sa.sa_mask);
  for (std::size_t i = 0; i < kSignals.size(); ++i)
    sigaction(kSignals[i], &sa, &g_previous[i]);
  armed_ = true;
}

LoadGuard::~LoadGuard() {
  if (!armed_) return;
  for (std::size_t i = 0; i < kSignals.size(); ++i)
    sigaction(kSignals[i], &g_previous[i], nullptr);
  std::fflush(stderr);
  dup2(g_stderr, STDERR_FILENO);
  // What SimGrid logged while loading (warnings), where it would have gone.
  std::array<char, 8192> chunk{};
  for (off_t at = 0;;) {
    const ssize_t got = pread(g_log, chunk.data(), chunk.size(), at);
    if (got <= 0) break;
    put(chunk.data(), static_cast<std::size_t>(got));
    at += got;
  }
  close(g_log);
  close(g_stderr);
  g_log = g_stderr = -1;
}

} // namespace edgetrain
