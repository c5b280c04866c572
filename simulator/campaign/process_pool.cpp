#include "simulator/campaign/process_pool.hpp"

#include "simulator/campaign/interrupts.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>

namespace edgetrain {

namespace {
using Clock = std::chrono::steady_clock;

pid_t start(const PoolJob& job, pid_t parent, const sigset_t& mask) {
  // Everything exec needs is prepared before fork. A child that runs PoolJob::body instead runs a
  // whole simulation after fork: safe only because the campaign process has one thread and has
  // not started SimGrid (run_command does, in the child). Keep it so.
  std::vector<char*> argv;
  for (const std::string& a : job.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string log = job.log.string();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("cannot start a run: fork: {}", std::strerror(errno)));
  if (pid > 0) return pid;
  // The child: die with the pool (and if the pool already died, now).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  sigprocmask(SIG_SETMASK, &mask, nullptr); // the pool's blocked signals are the pool's
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) _exit(126);
  dup2(fd, 1);
  dup2(fd, 2);
  const int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  if (job.body) {
    const int code = job.body();
    std::fflush(nullptr);
    _exit(code);
  }
  execv(argv[0], argv.data());
  _exit(127);
}
} // namespace

int run_pool(std::size_t count, const std::function<PoolJob(std::size_t)>& job, int parallel,
             const std::function<void(std::size_t, const PoolResult&)>& on_done) {
  if (parallel < 1) parallel = 1;
  const pid_t self = getpid();
  Interrupts interrupts;
  std::map<pid_t, std::pair<std::size_t, Clock::time_point>> running;
  std::size_t next = 0;
  int stops = 0; // interrupt signals received: the first sends SIGTERM to the runs, later ones SIGKILL
  while ((next < count && stops == 0) || !running.empty()) {
    while (stops == 0 && next < count && running.size() < static_cast<std::size_t>(parallel)) {
      running[start(job(next), self, interrupts.child_mask())] = {next, Clock::now()};
      ++next;
    }
    const Interrupts::Event e = interrupts.wait(-1);
    if (e.signal != 0) {
      ++stops;
      for (const auto& [pid, started] : running)
        kill(pid, stops == 1 ? SIGTERM : SIGKILL);
      continue;
    }
    if (e.pid < 0) throw std::runtime_error("waiting for runs: no child left");
    const auto it = running.find(e.pid);
    if (it == running.end()) continue; // not ours
    PoolResult r;
    r.seconds = std::chrono::duration<double>(Clock::now() - it->second.second).count();
    if (WIFEXITED(e.status)) {
      r.exit_code = WEXITSTATUS(e.status);
    } else {
      r.exit_code = -1;
      r.signal = WIFSIGNALED(e.status) ? WTERMSIG(e.status) : -1;
    }
    const std::size_t index = it->second.first;
    running.erase(it);
    // Once stopping, a run that did not succeed was stopped, not failed: by the pool's SIGTERM, by
    // a terminal's Ctrl-C (which reaches the runs too), or by SimGrid's own SIGINT handler, which
    // exits 1.
    if (stops > 0 && !r.ok()) continue;
    on_done(index, r);
  }
  return interrupts.caught();
}

std::string self_executable() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find this program's path (/proc/self/exe)");
  return p.string();
}

} // namespace edgetrain
