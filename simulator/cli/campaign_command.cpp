#include "simulator/cli/campaign_command.hpp"

#include "simulator/campaign/backends.hpp"
#include "simulator/campaign/campaign.hpp"
#include "simulator/campaign/campaign_dir.hpp"
#include "simulator/campaign/interrupts.hpp"
#include "simulator/campaign/process_pool.hpp"
#include "simulator/cli/report_errors.hpp"
#include "simulator/cli/run_command.hpp"
#include "simulator/metrics/output_dir.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

namespace edgetrain {

namespace fs = std::filesystem;

namespace {

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

// Runs `pending` (places in `plan`) in a pool of `jobs` processes, recording failures.
int run_local(const CampaignPlan& plan, const std::vector<std::size_t>& pending, const CampaignDir& dir, int jobs,
              bool progress) {
  const Campaign& c = plan.campaign();
  const std::string self = self_executable();
  Progress bar(pending.size(), progress && ::isatty(2));
  return run_pool(
      pending.size(),
      [&](std::size_t i) {
        const CampaignRun r = plan.run(pending[i]);
        // The same run as argv says (commands.txt), made by a fork of this process: see PoolJob::body.
        RunArgs ra;
        ra.scenario = c.scenario.string();
        ra.out = dir.run_dir(r).string();
        ra.seed = r.seed;
        ra.sets = r.sets;
        ra.progress = false;
        return PoolJob{run_command_line(self, c, r, dir), dir.log_file(r), [ra] { return run_command(ra); }};
      },
      jobs,
      [&](std::size_t i, const PoolResult& res) {
        const CampaignRun r = plan.run(pending[i]);
        std::error_code ec;
        if (res.ok())
          fs::remove(dir.failed_file(r), ec);
        else
          dir.record_failure(r, describe(res));
        bar.done(r, res);
      });
}

// The places in `plan` of the runs not complete yet.
std::vector<std::size_t> pending_runs(const CampaignPlan& plan, const CampaignDir& dir) {
  std::vector<std::size_t> pending;
  for (std::size_t k = 0; k < plan.size(); ++k)
    if (dir.status(plan.run(k)).kind != RunStatus::Done) pending.push_back(k);
  return pending;
}

int system_status(const std::string& cmd) {
  const int s = std::system(cmd.c_str());
  return s == -1 ? -1 : WIFEXITED(s) ? WEXITSTATUS(s) : 128;
}

int campaign(const CampaignArgs& a) {
  if (a.backend != "local" && a.backend != "slurm" && a.backend != "parallel")
    throw InputError("--backend " + a.backend, "expected local, slurm or parallel");
  if (a.jobs < 1) throw InputError("--jobs", "expected at least 1");
  const CampaignPlan plan(load_campaign(a.campaign)); // every scenario checked: nothing runs before
  const Campaign& c = plan.campaign();
  const CampaignDir dir(fs::absolute(a.out).lexically_normal());
  const std::string self = self_executable();
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

  const std::vector<std::size_t> pending = pending_runs(plan, dir);
  const auto pending_line = [&](std::size_t i) {
    const CampaignRun r = plan.run(pending[i]);
    return shell_line(run_command_line(self, c, r, dir), dir, r);
  };
  // Slurm's array scripts hold their commands; the other back ends write them one at a time.
  std::vector<std::string> shell_lines;
  if (a.backend == "slurm")
    for (std::size_t i = 0; i < pending.size(); ++i)
      shell_lines.push_back(pending_line(i));
  const std::vector<std::string> parallel = parallel_command(dir, a.jobs, a.sshlogin);
  std::vector<std::string> scripts;
  if (a.backend == "slurm" && !a.merge_only)
    scripts = slurm_scripts(c, dir, shell_lines, a.jobs, a.sbatch, slurm_max_array_size(!a.dry_run));
  const std::vector<fs::path> script_files = slurm_script_files(dir, scripts.size());

  if (a.dry_run) { // writes nothing
    fmt::print("# campaign {}: {} runs, {} already complete; pending.txt would hold:\n", c.name, plan.size(),
               plan.size() - pending.size());
    for (std::size_t i = 0; i < pending.size(); ++i)
      fmt::print("{}\n", pending_line(i));
    for (std::size_t i = 0; i < scripts.size(); ++i)
      fmt::print("# {}:\n{}", script_files[i].filename().string(), scripts[i]);
    if (a.backend == "parallel") fmt::print("# then:\n{}\n", shell_quote(parallel));
    return 0;
  }
  dir.prepare(plan, self);
  {
    AtomicFile lines(dir.root() / "pending.txt");
    for (std::size_t i = 0; i < pending.size(); ++i)
      lines << pending_line(i) << "\n";
    lines.commit();
  }
  fmt::print(stderr, "campaign {}: {} runs, {} already complete, {} to run ({})\n", c.name, plan.size(),
             plan.size() - pending.size(), pending.size(), a.merge_only ? "merge only" : a.backend);

  int interrupted = 0;
  if (!a.merge_only && !pending.empty()) {
    if (a.backend == "local") {
      interrupted = run_local(plan, pending, dir, a.jobs, a.progress);
    } else if (a.backend == "slurm") {
      for (std::size_t i = 0; i < scripts.size(); ++i)
        write_file_atomic(script_files[i], scripts[i]);
      fmt::print(stderr, "submitting {} array tasks in {} job array{}\n", pending.size(), scripts.size(),
                 scripts.size() == 1 ? "" : "s (Slurm's MaxArraySize)");
      interrupted = run_slurm(script_files);
    } else {
      fmt::print(stderr, "{}\n", shell_quote(parallel));
      std::vector<std::string> run_dirs;
      for (std::size_t k : pending)
        run_dirs.push_back(dir.run_dir(plan.run(k)).string());
      interrupted = run_parallel(parallel, run_dirs);
    }
  }
  const auto [done, failed, missing] = dir.merge(plan, command_line); // each run's status read once
  fmt::print(
      "campaign {}: {} of {} runs complete, {} failed (see runs.csv and runs/*.failed); tables in {}\n",
      c.name, done, plan.size(), failed, dir.root().string());
  if (interrupted != 0) {
    fmt::print(stderr,
               "interrupted by signal {} ({}): the tables hold the runs complete so far; the same "
               "command resumes\n",
               interrupted, strsignal(interrupted));
    die_by(interrupted);
    return 128 + interrupted;
  }
  return done == plan.size() ? 0 : 1;
}
} // namespace

int run_campaign_local(const CampaignPlan& plan, const CampaignDir& dir, int jobs, bool progress, bool merge_only,
                       const std::string& command_line) {
  const std::vector<std::size_t> pending = pending_runs(plan, dir);
  dir.prepare(plan, self_executable());
  fmt::print(stderr, "{}: {} runs, {} already complete, {} to run{}\n", dir.root().string(), plan.size(),
             plan.size() - pending.size(), pending.size(), merge_only ? " (merge only)" : "");
  const int interrupted = merge_only || pending.empty() ? 0 : run_local(plan, pending, dir, jobs, progress);
  dir.merge(plan, command_line);
  return interrupted;
}

int campaign_command(const CampaignArgs& args) {
  return report_errors([&] { return campaign(args); });
}

} // namespace edgetrain
