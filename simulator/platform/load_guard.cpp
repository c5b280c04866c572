#include "simulator/platform/load_guard.hpp"

#include <xbt/config.hpp>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <unistd.h>

namespace edgetrain {

std::string_view last_critical_line(std::string_view log) {
  static constexpr std::string_view kMark = "/CRITICAL] ";
  const std::size_t at = log.rfind(kMark);
  if (at == std::string_view::npos) return {};
  std::string_view said = log.substr(at + kMark.size());
  said = said.substr(0, said.find('\n'));
  if (const std::size_t addr = said.rfind(" (0x"); addr != std::string_view::npos && said.back() == ')')
    said = said.substr(0, addr); // " (0x55d0c0a1b2c0)": an address, not a reason
  return said;
}

namespace {

// The handler may use only async-signal-safe calls: everything it needs is prepared here.
int g_stderr = -1; // the real stderr, duplicated
int g_log = -1;    // where SimGrid logs meanwhile
std::array<char, 1024> g_prefix{};
std::array<char, 4096> g_trace{};   // the trace file to remove, "" for none
std::array<char, 1 << 16> g_tail{}; // the log's last 64 KiB
constexpr std::array<int, 4> kSignals = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE};
std::array<struct sigaction, kSignals.size()> g_previous{};

void put(std::string_view text) {
  while (!text.empty()) {
    const ssize_t w = write(g_stderr, text.data(), text.size());
    if (w <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(w));
  }
}

void on_fatal(int sig) {
  const off_t size = lseek(g_log, 0, SEEK_END);
  const off_t from = std::max<off_t>(0, size - static_cast<off_t>(g_tail.size()));
  const ssize_t got = size > 0 ? pread(g_log, g_tail.data(), static_cast<std::size_t>(size - from), from) : 0;
  const std::string_view said =
      last_critical_line(std::string_view(g_tail.data(), static_cast<std::size_t>(std::max<ssize_t>(got, 0))));
  put(g_prefix.data());
  if (!said.empty()) {
    put(said);
  } else {
    const char digits[] = {static_cast<char>('0' + sig / 10 % 10), static_cast<char>('0' + sig % 10)};
    put("SimGrid crashed on it (signal ");
    put(std::string_view(digits + (sig < 10), sig < 10 ? 1 : 2));
    put(")");
  }
  put("\n");
  if (g_trace[0] != '\0') unlink(g_trace.data());
  _exit(2);
}

} // namespace

LoadGuard::LoadGuard(const std::string& shown, const std::filesystem::path& trace_file)
    : exceptions_(std::uncaught_exceptions()) {
  std::error_code ec;
  const bool made_here = !trace_file.empty() && !std::filesystem::exists(trace_file, ec);
  std::snprintf(g_trace.data(), g_trace.size(), "%s", made_here ? trace_file.c_str() : "");
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
  struct sigaction sa {};
  sa.sa_handler = on_fatal;
  sigemptyset(&sa.sa_mask);
  for (std::size_t i = 0; i < kSignals.size(); ++i)
    sigaction(kSignals[i], &sa, &g_previous[i]);
  armed_ = true;
}

LoadGuard::~LoadGuard() {
  if (std::uncaught_exceptions() > exceptions_ && g_trace[0] != '\0' && simgrid::config::get_value<bool>("tracing"))
    unlink(g_trace.data());
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
    put(std::string_view(chunk.data(), static_cast<std::size_t>(got)));
    at += got;
  }
  close(g_log);
  close(g_stderr);
  g_log = g_stderr = -1;
}

} // namespace edgetrain
