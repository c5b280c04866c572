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

pid_t start(const PoolJob& job, pid_t parent) {
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
  default_interrupts(); // the pool's handlers are for the pool: a run stopped dies
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

int run_pool(const std::vector<PoolJob>& jobs, int parallel,
             const std::function<void(std::size_t, const PoolResult&)>& on_done) {
  if (parallel < 1) parallel = 1;
  const pid_t self = getpid();
  std::map<pid_t, std::pair<std::size_t, Clock::time_point>> running;
  std::size_t next = 0;
  bool stopping = false;
  while ((next < jobs.size() && !stopping) || !running.empty()) {
    if (!stopping && CatchInterrupts::caught() != 0) {
      stopping = true;
      for (const auto& [pid, job] : running)
        kill(pid, SIGTERM);
    }
    while (!stopping && next < jobs.size() && running.size() < static_cast<std::size_t>(parallel)) {
      running[start(jobs[next], self)] = {next, Clock::now()};
      ++next;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("waiting for runs: {}", std::strerror(errno)));
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue; // not ours
    PoolResult r;
    r.seconds = std::chrono::duration<double>(Clock::now() - it->second.second).count();
    if (WIFEXITED(status)) {
      r.exit_code = WEXITSTATUS(status);
    } else {
      r.exit_code = -1;
      r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : -1;
    }
    const std::size_t index = it->second.first;
    running.erase(it);
    // A run ended by a signal while the pool is being stopped was stopped (a terminal's Ctrl-C
    // reaches the runs too); one that exited on its own is reported as usual.
    if (r.signal != 0 && CatchInterrupts::caught() != 0) continue;
    on_done(index, r);
  }
  return CatchInterrupts::caught();
}

std::string self_executable() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find this program's path (/proc/self/exe)");
  return p.string();
}

} // namespace edgetrain
