#include "simulator/campaign/backends.hpp"

#include "simulator/campaign/interrupts.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <stdexcept>

extern char** environ;

namespace edgetrain {

namespace fs = std::filesystem;

namespace {

// Starts argv[0] (looked up in PATH) with its stdout on `out` (stderr when -1), the signal mask
// `mask` (when given) and, when `own_group`, in a process group of its own: a terminal's Ctrl-C
// then reaches only the campaign, which stops it in order (scancel before sbatch goes).
pid_t spawn(const std::vector<std::string>& argv, int out, const sigset_t* mask = nullptr,
            bool own_group = false) {
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out >= 0 ? out : 2, 1);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  short flags = 0;
  if (mask) {
    posix_spawnattr_setsigmask(&at, mask);
    flags |= POSIX_SPAWN_SETSIGMASK;
  }
  if (own_group) {
    posix_spawnattr_setpgroup(&at, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&at, flags);
  pid_t pid = -1;
  const int e = posix_spawnp(&pid, args[0], &fa, &at, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (e != 0) throw std::runtime_error(fmt::format("cannot start {}: {}", argv[0], std::strerror(e)));
  return pid;
}

// Status of an ended child, as a shell gives it.
int exit_status(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs a short command (scancel) to its end; signals arriving meanwhile stay for the caller.
void run_quietly(Interrupts& in, const std::vector<std::string>& argv) {
  try {
    const pid_t pid = spawn(argv, -1, &in.child_mask());
    for (Interrupts::Event e; (e = in.wait(pid)).pid == 0;) {
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n", e.what());
  }
}

// Reads sbatch --parsable's first line (the job id, printed at submission). A signal meanwhile is
// noted (in.caught()) and the reading goes on, so that the job can be cancelled; a second one
// stops sbatch.
std::string read_job_id(Interrupts& in, int fd, pid_t sbatch) {
  std::string line;
  int signals = 0;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int r = poll(&p, 1, 200);
    if (r > 0) {
      char ch = 0;
      const ssize_t n = read(fd, &ch, 1);
      if (n == 0 || (n > 0 && ch == '\n')) return line;
      if (n > 0) line += ch;
      if (n < 0 && errno != EINTR) return line;
      continue;
    }
    if (in.poll_signal() != 0 && ++signals == 2) {
      kill(sbatch, SIGTERM);
      return line;
    }
  }
}

} // namespace

std::string shell_line(const std::vector<std::string>& argv, const CampaignDir& dir, const CampaignRun& r) {
  const std::string log = shell_quote({dir.log_file(r).string()});
  const std::string failed = shell_quote({dir.failed_file(r).string()});
  return fmt::format(
      "{} >{} 2>&1; s=$?; if [ $s -eq 0 ]; then rm -f {}; else {{ echo \"exit $s\"; tail -n 20 {}; }} "
      ">{}.tmp && mv {}.tmp {}; fi",
      shell_quote(argv), log, failed, log, failed, failed, failed);
}

int slurm_max_array_size(bool reachable) {
  constexpr int kDefault = 1001;
  // Without a configuration file, scontrol spends a minute on DNS lookups unless Slurm runs
  // configless, which only a Slurm found reachable (sinfo answered) tells.
  const char* env = std::getenv("SLURM_CONF");
  if (!reachable && !fs::exists(env && *env ? env : "/etc/slurm/slurm.conf")) return kDefault;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return kDefault;
  std::string text;
  try {
    const pid_t pid =
        spawn({"sh", "-c", "command -v scontrol >/dev/null && timeout 30 scontrol show config 2>/dev/null"},
              fds[1]);
    close(fds[1]);
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      text.append(buf, static_cast<std::size_t>(n));
    }
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  } catch (const std::exception&) {
    close(fds[1]);
  }
  close(fds[0]);
  std::smatch m;
  if (std::regex_search(text, m, std::regex(R"(MaxArraySize\s*=\s*(\d+))"))) {
    const long v = std::stol(m[1].str());
    if (v >= 2 && v <= 4000001) return static_cast<int>(v);
  }
  return kDefault;
}

std::vector<std::string> slurm_scripts(const Campaign& c, const CampaignDir& dir,
                                       const std::vector<std::string>& lines, int jobs,
                                       const std::vector<std::string>& sbatch, int max_array_size) {
  std::string name = c.name; // a job name on one line, of safe characters
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') ch = '_';
  const std::size_t per = static_cast<std::size_t>(std::max(1, max_array_size - 1)); // indices 1..per
  std::vector<std::string> out;
  for (std::size_t first = 0; first < lines.size(); first += per) {
    const std::size_t n = std::min(per, lines.size() - first);
    std::string s = "#!/bin/sh\n# Written by edgetrain campaign: one array task per pending run.\n";
    s += fmt::format("#SBATCH --job-name=edgetrain-{}\n", name);
    s += fmt::format("#SBATCH --array=1-{}{}\n", n, jobs > 0 ? fmt::format("%{}", jobs) : "");
    s += fmt::format("#SBATCH --output={}\n", (dir.root() / "logs" / "slurm-%A_%a.out").string());
    s += "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n";
    for (const std::string& o : sbatch)
      s += "#SBATCH " + o + "\n";
    s += "case \"$SLURM_ARRAY_TASK_ID\" in\n";
    for (std::size_t i = 0; i < n; ++i)
      s += fmt::format("{})\n  {}\n  ;;\n", i + 1, lines[first + i]);
    s += "esac\n";
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<fs::path> slurm_script_files(const CampaignDir& dir, std::size_t count) {
  if (count == 1) return {dir.root() / "slurm.sbatch"};
  std::vector<fs::path> out;
  for (std::size_t i = 1; i <= count; ++i)
    out.push_back(dir.root() / fmt::format("slurm-{}.sbatch", i));
  return out;
}

int run_slurm(const std::vector<fs::path>& scripts) {
  Interrupts in;
  for (const fs::path& file : scripts) {
    if (in.caught() != 0) break;
    // --parsable: the job id alone on the first line, printed at submission; --wait: sbatch
    // returns when every task of the array has ended.
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("cannot submit to Slurm: pipe failed");
    pid_t pid = -1;
    try {
      pid = spawn({"sbatch", "--parsable", "--wait", file.string()}, fds[1], &in.child_mask(), true);
    } catch (...) {
      close(fds[0]);
      close(fds[1]);
      throw;
    }
    close(fds[1]);
    const std::string line = read_job_id(in, fds[0], pid);
    close(fds[0]);
    // "id" or "id;cluster" (multi-cluster set-ups): scancel must then name the cluster.
    const std::string id = line.substr(0, line.find(';'));
    std::vector<std::string> scancel{"scancel", id};
    if (line.find(';') != std::string::npos) scancel = {"scancel", "-M", line.substr(line.find(';') + 1), id};
    fmt::print(stderr, "submitted {}: job {}\n", file.filename().string(), id.empty() ? "?" : id);
    bool cancelled = false;
    int status = 0;
    for (;;) {
      if (!cancelled && in.caught() != 0) {
        cancelled = true;
        if (id.empty()) {
          fmt::print(stderr, "interrupted before sbatch gave a job id: see squeue\n");
        } else {
          fmt::print(stderr, "interrupted: {}\n", shell_quote(scancel));
          run_quietly(in, scancel);
        }
        kill(pid, SIGTERM); // sbatch --wait would notice the cancellation some seconds later
      }
      const Interrupts::Event e = in.wait(pid);
      if (e.pid != 0) {
        status = e.pid == pid ? exit_status(e.status) : -1;
        break;
      }
    }
    if (in.caught() == 0 && status != 0)
      fmt::print(stderr, "sbatch --wait returned {} (some tasks failed; merging what finished)\n", status);
  }
  return in.caught();
}

std::vector<std::string> parallel_command(const CampaignDir& dir, int jobs,
                                          const std::vector<std::string>& sshlogin) {
  std::vector<std::string> out{"parallel", "--will-cite",
                               "--jobs",   std::to_string(jobs),
                               "--joblog", (dir.root() / "parallel.joblog").string()};
  for (const std::string& l : sshlogin) {
    out.emplace_back("--sshlogin");
    out.push_back(l);
  }
  out.emplace_back("::::");
  out.push_back((dir.root() / "pending.txt").string());
  return out;
}

namespace {
// After GNU parallel has gone on an interrupt, runs it was starting on this machine as it stopped
// may have escaped its kill sweep (seen in tests). They are looked for among the processes of this
// session (GNU parallel's local jobs stay in it): a job's shell runs `sh -c LINE`, LINE holding
// `--out RUN_DIR `; a run is `edgetrain run ... --out RUN_DIR`. Shells go first, with SIGKILL, so
// that none records a failure; then runs (looked for again: a shell may just have started one)
// get SIGTERM, and are waited for (2 s at most) so that the merge sees them gone.
enum class Stray { None, Shell, Run };

Stray stray_kind(const std::vector<std::string>& args, const std::vector<std::string>& run_dirs) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    for (const std::string& d : run_dirs) {
      if (args[i] == "--out" && args[i + 1] == d && args.size() > 1 && args[1] == "run") return Stray::Run;
      if (args[i] == "-c" && args[i + 1].find("--out " + shell_quote({d}) + " ") != std::string::npos)
        return Stray::Shell;
    }
  return Stray::None;
}

std::vector<pid_t> find_strays(const std::vector<std::string>& run_dirs, Stray kind) {
  std::vector<pid_t> out;
  const pid_t session = getsid(0);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(name));
    if (pid == getpid() || getsid(pid) != session) continue;
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::vector<std::string> args;
    for (std::string a; std::getline(in, a, '\0');)
      args.push_back(a);
    if (stray_kind(args, run_dirs) == kind) out.push_back(pid);
  }
  return out;
}

void stop_strays(const std::vector<std::string>& run_dirs) {
  for (pid_t p : find_strays(run_dirs, Stray::Shell))
    kill(p, SIGKILL);
  const std::vector<pid_t> runs = find_strays(run_dirs, Stray::Run);
  for (pid_t p : runs)
    kill(p, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    bool alive = false;
    for (pid_t p : runs)
      alive = alive || kill(p, 0) == 0;
    if (!alive) return;
    usleep(20000);
  }
}
} // namespace

int run_parallel(const std::vector<std::string>& argv, const std::vector<std::string>& run_dirs) {
  Interrupts in;
  const pid_t pid = spawn(argv, -1, &in.child_mask(), true);
  // GNU parallel, on SIGTERM, kills its running jobs (its --termseq) and exits; but while it starts
  // (its first second or so) it ignores SIGTERM and SIGINT. So the signal is sent again every half
  // second until it has gone.
  int sent = 0;
  for (;;) {
    const Interrupts::Event e = in.wait(pid, sent > 0 ? 0.5 : -1);
    if (e.pid != 0) break;
    if (sent == 0) fmt::print(stderr, "interrupted: stopping GNU parallel and its runs\n");
    kill(pid, ++sent > 40 ? SIGKILL : SIGTERM);
  }
  if (in.caught() != 0) stop_strays(run_dirs);
  return in.caught();
}

} // namespace edgetrain
