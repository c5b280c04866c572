#include "simulator/cli/campaign_command.hpp"

#include "simulator/campaign/campaign.hpp"
#include "simulator/campaign/campaign_dir.hpp"
#include "simulator/campaign/process_pool.hpp"
#include "simulator/cli/report_errors.hpp"
#include "simulator/cli/run_command.hpp"
#include "simulator/metrics/output_dir.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>

namespace edgetrain {

namespace fs = std::filesystem;

namespace {

// One run as a shell line, for the back ends that run shell commands (Slurm, GNU parallel): the
// same `edgetrain run` as the local pool, its log, and its failure record written whole.
std::string shell_line(const std::vector<std::string>& argv, const CampaignDir& dir, const CampaignRun& r) {
  const std::string log = shell_quote({dir.log_file(r).string()});
  const std::string failed = shell_quote({dir.failed_file(r).string()});
  return fmt::format(
      "{} >{} 2>&1; s=$?; if [ $s -eq 0 ]; then rm -f {}; else {{ echo \"exit $s\"; tail -n 20 {}; }} "
      ">{}.tmp && mv {}.tmp {}; fi",
      shell_quote(argv), log, failed, log, failed, failed, failed);
}

std::string duration(double s) {
  if (!(s >= 0) || s > 1e7) return "?";
  const long t = static_cast<long>(s + 0.5);
  return t >= 3600 ? fmt::format("{}h{:02}m", t / 3600, t / 60 % 60)
         : t >= 60 ? fmt::format("{}m{:02}s", t / 60, t % 60)
                   : fmt::format("{}s", t);
}

class Progress {
public:
  Progress(std::size_t total, bool tty) : total_(total), tty_(tty), t0_(std::chrono::steady_clock::now()) {}
  void done(const CampaignRun& r, const PoolResult& res) {
    ++done_;
    failed_ += res.ok() ? 0U : 1U;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    const double eta = elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_);
    if (tty_) {
      const std::size_t width = 30, filled = total_ ? width * done_ / total_ : width;
      fmt::print(stderr, "\r  [{}{}] {}/{} runs  {} failed  ETA {}   ", std::string(filled, '#'),
                 std::string(width - filled, '.'), done_, total_, failed_, duration(eta));
      if (done_ == total_) fmt::print(stderr, "\n");
    } else {
      fmt::print(stderr, "[{}/{}] run {} ({}) {} in {:.1f} s, ETA {}\n", done_, total_, r.index + 1, r.id,
                 res.ok() ? "done" : "FAILED", res.seconds, duration(eta));
    }
  }

private:
  std::size_t total_, done_ = 0, failed_ = 0;
  bool tty_;
  std::chrono::steady_clock::time_point t0_;
};

std::string describe(const PoolResult& r) {
  return r.signal != 0 ? fmt::format("signal {}", r.signal) : fmt::format("exit {}", r.exit_code);
}

void run_local(const Campaign& c, const std::vector<const CampaignRun*>& pending,
               const std::vector<std::vector<std::string>>& argv, const CampaignDir& dir, int jobs,
               bool progress) {
  std::vector<PoolJob> pool;
  for (const CampaignRun* r : pending) {
    // The same run as argv says (commands.txt), made by a fork of this process: see PoolJob::body.
    RunArgs ra;
    ra.scenario = c.scenario.string();
    ra.out = dir.run_dir(*r).string();
    ra.seed = r->seed;
    ra.sets = r->sets;
    ra.progress = false;
    pool.push_back({argv[r->index], dir.log_file(*r), [ra] { return run_command(ra); }});
  }
  Progress bar(pending.size(), progress && ::isatty(2));
  run_pool(pool, jobs, [&](std::size_t i, const PoolResult& res) {
    const CampaignRun& r = *pending[i];
    std::error_code ec;
    if (res.ok())
      fs::remove(dir.failed_file(r), ec);
    else
      dir.record_failure(r, describe(res));
    bar.done(r, res);
  });
}

int system_status(const std::string& cmd) {
  const int s = std::system(cmd.c_str());
  return s == -1 ? -1 : WIFEXITED(s) ? WEXITSTATUS(s) : 128;
}

// The commands are in the script itself, a case per array task: Slurm keeps a copy of the script
// at submission, so tasks still queued run what was submitted even if a resume rewrites files.
std::string slurm_script(const Campaign& c, const CampaignDir& dir, const std::vector<std::string>& lines,
                         int jobs, const std::vector<std::string>& sbatch) {
  std::string s = "#!/bin/sh\n# Written by edgetrain campaign: one array task per pending run.\n";
  std::string name = c.name; // a job name on one line, of safe characters
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') ch = '_';
  s += fmt::format("#SBATCH --job-name=edgetrain-{}\n", name);
  s += fmt::format("#SBATCH --array=1-{}{}\n", lines.size(), jobs > 0 ? fmt::format("%{}", jobs) : "");
  s += fmt::format("#SBATCH --output={}\n", (dir.root() / "logs" / "slurm-%A_%a.out").string());
  s += "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n";
  for (const std::string& o : sbatch)
    s += "#SBATCH " + o + "\n";
  s += "case \"$SLURM_ARRAY_TASK_ID\" in\n";
  for (std::size_t i = 0; i < lines.size(); ++i)
    s += fmt::format("{})\n  {}\n  ;;\n", i + 1, lines[i]);
  s += "esac\n";
  return s;
}

int campaign(const CampaignArgs& a) {
  if (a.backend != "local" && a.backend != "slurm" && a.backend != "parallel")
    throw InputError("--backend " + a.backend, "expected local, slurm or parallel");
  if (a.jobs < 1) throw InputError("--jobs", "expected at least 1");
  const Campaign c = load_campaign(a.campaign);
  const std::vector<CampaignRun> runs = expand_campaign(c); // every scenario checked: nothing runs before
  const CampaignDir dir(fs::absolute(a.out).lexically_normal());
  const std::string self = self_executable();
  std::vector<std::vector<std::string>> argv;
  for (const CampaignRun& r : runs)
    argv.push_back(run_command_line(self, c, r, dir));
  const std::string command_line = shell_quote(a.argv);

  if (a.backend == "slurm" && !a.dry_run && !a.merge_only) {
    // Without its configuration file, sinfo spends a minute on DNS lookups (configless mode).
    const char* conf = std::getenv("SLURM_CONF");
    if (conf && *conf && !fs::exists(conf))
      throw InputError("--backend slurm", fmt::format("SLURM_CONF={} does not exist", conf));
    if (system_status("command -v sbatch >/dev/null && timeout 30 sinfo -h >/dev/null 2>&1") != 0)
      throw InputError("--backend slurm", "Slurm is not reachable (sbatch missing, or sinfo fails or hangs)");
  }
  if (a.backend == "parallel" && !a.dry_run && !a.merge_only &&
      system_status("command -v parallel >/dev/null") != 0)
    throw InputError("--backend parallel", "GNU parallel is not installed (Debian's package: parallel)");

  std::vector<const CampaignRun*> pending;
  for (const CampaignRun& r : runs)
    if (dir.status(r).kind != RunStatus::Done) pending.push_back(&r);
  std::vector<std::string> shell_lines;
  std::string lines;
  for (const CampaignRun* r : pending) {
    shell_lines.push_back(shell_line(argv[r->index], dir, *r));
    lines += shell_lines.back() + "\n";
  }
  std::vector<std::string> parallel{"parallel", "--will-cite",
                                    "--jobs",   std::to_string(a.jobs),
                                    "--joblog", (dir.root() / "parallel.joblog").string()};
  for (const std::string& l : a.sshlogin) {
    parallel.emplace_back("--sshlogin");
    parallel.push_back(l);
  }
  parallel.emplace_back("::::");
  parallel.push_back((dir.root() / "pending.txt").string());
  const std::string script = slurm_script(c, dir, shell_lines, a.jobs, a.sbatch);

  if (a.dry_run) { // writes nothing
    fmt::print("# campaign {}: {} runs, {} already complete; pending.txt would hold:\n{}", c.name,
               runs.size(), runs.size() - pending.size(), lines);
    if (a.backend == "slurm") fmt::print("# slurm.sbatch:\n{}", script);
    if (a.backend == "parallel") fmt::print("# then:\n{}\n", shell_quote(parallel));
    return 0;
  }
  dir.prepare(c, runs, argv);
  write_file_atomic(dir.root() / "pending.txt", lines);
  fmt::print(stderr, "campaign {}: {} runs, {} already complete, {} to run ({})\n", c.name, runs.size(),
             runs.size() - pending.size(), pending.size(), a.merge_only ? "merge only" : a.backend);

  if (!a.merge_only && !pending.empty()) {
    if (a.backend == "local") {
      run_local(c, pending, argv, dir, a.jobs, a.progress);
    } else if (a.backend == "slurm") {
      const fs::path file = dir.root() / "slurm.sbatch";
      write_file_atomic(file, script);
      // --wait: sbatch returns when every array task has ended, then the merge below sees them.
      fmt::print(stderr, "submitting {} array tasks: sbatch --wait {}\n", pending.size(), file.string());
      const int st = system_status("sbatch --wait " + shell_quote({file.string()}) + " >&2");
      if (st != 0)
        fmt::print(stderr, "sbatch --wait returned {} (some tasks failed; merging what finished)\n", st);
    } else {
      fmt::print(stderr, "{}\n", shell_quote(parallel));
      system_status(shell_quote(parallel) + " >&2");
    }
  }
  dir.merge(c, runs, command_line);
  int done = 0, failed = 0;
  for (const CampaignRun& r : runs) {
    const RunStatus st = dir.status(r);
    done += st.kind == RunStatus::Done;
    failed += st.kind == RunStatus::Failed;
  }
  fmt::print(
      "campaign {}: {} of {} runs complete, {} failed (see runs.csv and runs/*.failed); tables in {}\n",
      c.name, done, runs.size(), failed, dir.root().string());
  return done == static_cast<int>(runs.size()) ? 0 : 1;
}
} // namespace

int campaign_command(const CampaignArgs& args) {
  return report_errors([&] { return campaign(args); });
}

} // namespace edgetrain
