#include "simulator/metrics/output_dir.hpp"

#include "simulator/common/error.hpp"
#include "simulator/common/stop_signals.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>

namespace edgetrain {

namespace fs = std::filesystem;

namespace {
// The hidden folder being written, for the signal handler below; empty when none. A C string,
// since the handler may only make async-signal-safe calls.
char g_partial[4096];
struct sigaction g_before[3];
bool g_installed[3];

// SIGINT, SIGTERM or SIGHUP while results are being written: the hidden folder (flat: the run's
// tables) is removed, then the process dies by that signal. Without it, SimGrid's own SIGINT
// handler exits 1 and leaves the folder behind; SIGTERM leaves it too.
extern "C" void remove_partial_and_die(int sig) {
  if (g_partial[0] != '\0') {
    const int fd = open(g_partial, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      alignas(dirent64) static char buf[4096]; // static: actor stacks may be as small as 64 KiB
      for (int pass = 0; pass < 2; ++pass) {   // entries removed while listing: a second look
        lseek(fd, 0, SEEK_SET);
        for (ssize_t n; (n = getdents64(fd, buf, sizeof buf)) > 0;)
          for (ssize_t off = 0; off < n;) {
            const auto* d = reinterpret_cast<const dirent64*>(buf + off);
            if (std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0)
              unlinkat(fd, d->d_name, 0);
            off += d->d_reclen;
          }
      }
      close(fd);
    }
    rmdir(g_partial);
  }
  std::signal(sig, SIG_DFL);
  raise(sig);
}

void watch_signals(const fs::path& partial) {
  const std::string p = partial.string();
  if (p.size() >= sizeof g_partial) return; // too long to keep: left to the next run's cleanup
  std::memcpy(g_partial, p.c_str(), p.size() + 1);
  struct sigaction sa {};
  sa.sa_handler = remove_partial_and_die;
  sigemptyset(&sa.sa_mask); // the three masked while one is handled: the handler does not nest
  for (int s : kStopSignals)
    sigaddset(&sa.sa_mask, s);
  for (int i = 0; i < 3; ++i)
    g_installed[i] = !ignored_now(kStopSignals[i]) && sigaction(kStopSignals[i], &sa, &g_before[i]) == 0;
}

void unwatch_signals() {
  for (int i = 0; i < 3; ++i)
    if (g_installed[i]) sigaction(kStopSignals[i], &g_before[i], nullptr), g_installed[i] = false;
  g_partial[0] = '\0';
}
} // namespace

// ".<name>.partial-<host>-<pid>": whose it is, so that a later run can tell a leftover of a killed
// process on this machine from one still being written (here, or by another host of a cluster
// sharing the folder, which is left alone).
std::string this_host() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  for (char* c = name; *c; ++c)
    if (*c == '/' || *c == '-') *c = '_';
  return name;
}

fs::path partial_path(const fs::path& path) {
  return path.parent_path() /
         fmt::format(".{}.partial-{}-{}", path.filename().string(), this_host(), static_cast<long>(::getpid()));
}

void remove_stale_partials(const fs::path& folder) {
  const std::string mark = ".partial-" + this_host() + "-";
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::size_t at = name.rfind(mark);
    if (name.rfind('.', 0) != 0 || at == std::string::npos) continue;
    const std::string digits = name.substr(at + mark.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const auto pid = static_cast<pid_t>(std::stol(digits));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno == EPERM) continue; // alive
    std::error_code rm;
    fs::remove_all(it->path(), rm);
  }
}

void check_output_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    throw InputError(dir.string(), "output folder exists and is not empty (choose another --out)");
}

OutputDir::OutputDir(fs::path final_dir) : final_(std::move(final_dir)) {
  check_output_dir(final_);
  std::error_code ec;
  const fs::path parent = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  fs::create_directories(parent, ec);
  if (ec) throw InputError(parent.string(), "cannot create output folder: " + ec.message());
  remove_stale_partials(parent); // a run killed by SIGKILL left its hidden folder
  tmp_ = partial_path(final_);
  fs::remove_all(tmp_, ec);
  if (!fs::create_directory(tmp_, ec) || ec)
    throw InputError(tmp_.string(), "cannot create output folder: " + ec.message());
  watch_signals(tmp_);
}

OutputDir::~OutputDir() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }
  unwatch_signals();
}

void OutputDir::commit() {
  std::error_code ec;
  if (fs::exists(final_, ec)) fs::remove(final_, ec); // checked empty at construction
  // The three signals held while the folder moves: one arriving now is acted on after, by
  // whichever handler is then in place (SimGrid's, or the default), with the results whole.
  sigset_t three, before;
  sigemptyset(&three);
  for (int s : kStopSignals)
    sigaddset(&three, s);
  sigprocmask(SIG_BLOCK, &three, &before);
  fs::rename(tmp_, final_, ec);
  if (!ec) {
    committed_ = true;
    unwatch_signals();
  }
  sigprocmask(SIG_SETMASK, &before, nullptr);
  if (ec) throw InputError(final_.string(), "cannot move results into place: " + ec.message());
}

fs::path default_output_dir(const std::string& name, const std::string& policy, std::uint64_t seed) {
  const fs::path base = fs::path("results") / fmt::format("{}-{}-s{}", name, policy, seed);
  fs::path p = base;
  for (int k = 2; fs::exists(p); ++k)
    p = fmt::format("{}-{}", base.string(), k);
  return p;
}

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary);
  f << content;
  f.close();
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

void write_file_atomic(const fs::path& path, const std::string& content) {
  AtomicFile f(path);
  f << content;
  f.commit();
}

AtomicFile::AtomicFile(fs::path path)
    : path_(std::move(path)), tmp_(partial_path(path_)), out_(tmp_, std::ios::binary) {
  if (!out_) throw std::runtime_error("cannot write " + path_.string());
}

AtomicFile::~AtomicFile() {
  if (done_) return;
  out_.close();
  std::error_code ec;
  fs::remove(tmp_, ec);
}

void AtomicFile::commit() {
  out_.close();
  std::error_code ec;
  if (out_) fs::rename(tmp_, path_, ec);
  if (!out_ || ec) {
    fs::remove(tmp_, ec);
    done_ = true;
    throw std::runtime_error("cannot write " + path_.string());
  }
  done_ = true;
}

} // namespace edgetrain
