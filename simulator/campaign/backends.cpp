#include "simulator/campaign/backends.hpp"

#include "simulator/campaign/interrupts.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <stdexcept>

extern char** environ;

namespace edgetrain {

namespace fs = std::filesystem;

namespace {

// Starts argv[0] (looked up in PATH) with its stdout on `out` (stderr when -1); the caller waits.
pid_t spawn(const std::vector<std::string>& argv, int out) {
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out >= 0 ? out : 2, 1);
  pid_t pid = -1;
  const int e = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (e != 0) throw std::runtime_error(fmt::format("cannot start {}: {}", argv[0], std::strerror(e)));
  return pid;
}

// Waits for pid; on the first signal caught, calls on_interrupt once. Returns its exit status
// (128 + signal when a signal ended it).
template <class F> int wait_for(pid_t pid, F&& on_interrupt) {
  bool told = false;
  for (;;) {
    if (!told && CatchInterrupts::caught() != 0) {
      told = true;
      on_interrupt();
    }
    int status = 0;
    if (waitpid(pid, &status, 0) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (errno != EINTR) return -1;
  }
}

// Runs a short command to its end, whatever signals arrive meanwhile; its output to stderr.
void run_quietly(const std::vector<std::string>& argv) {
  try {
    wait_for(spawn(argv, -1), [] {});
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n", e.what());
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

int slurm_max_array_size() {
  constexpr int kDefault = 1001;
  // Without a configuration file, scontrol spends a minute on DNS lookups (configless mode).
  const char* env = std::getenv("SLURM_CONF");
  if (!fs::exists(env && *env ? env : "/etc/slurm/slurm.conf")) return kDefault;
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
    wait_for(pid, [] {});
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
  for (const fs::path& file : scripts) {
    if (CatchInterrupts::caught() != 0) break;
    // --parsable: the job id alone on the first line, printed at submission; --wait: sbatch
    // returns when every task of the array has ended.
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("cannot submit to Slurm: pipe failed");
    const pid_t pid = spawn({"sbatch", "--parsable", "--wait", file.string()}, fds[1]);
    close(fds[1]);
    std::string id;
    char ch = 0;
    for (ssize_t n; (n = read(fds[0], &ch, 1)) != 0 && ch != '\n';) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      id += ch;
    }
    close(fds[0]);
    id = id.substr(0, id.find(';')); // "id;cluster" on multi-cluster set-ups
    fmt::print(stderr, "submitted {}: job {}\n", file.filename().string(), id.empty() ? "?" : id);
    const int st = wait_for(pid, [&] {
      if (id.empty()) return;
      fmt::print(stderr, "interrupted: scancel {}\n", id);
      run_quietly({"scancel", id});
    });
    if (CatchInterrupts::caught() == 0 && st != 0)
      fmt::print(stderr, "sbatch --wait returned {} (some tasks failed; merging what finished)\n", st);
  }
  return CatchInterrupts::caught();
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

int run_parallel(const std::vector<std::string>& argv) {
  const pid_t pid = spawn(argv, -1);
  // GNU parallel, on SIGTERM, kills its running jobs (its --termseq) and exits.
  wait_for(pid, [&] {
    fmt::print(stderr, "interrupted: stopping GNU parallel and its runs\n");
    kill(pid, SIGTERM);
  });
  return CatchInterrupts::caught();
}

} // namespace edgetrain
