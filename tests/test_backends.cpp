// The cluster back ends against the real thing: a one-node Slurm (munged, slurmctld and slurmd
// started here as root, with a slurm.conf in a temporary folder, and stopped at the end) running
// the campaign as a job array, and GNU parallel on localhost. Both must merge to the same tables
// as the local pool. Debian's slurm-wlm, munge and parallel are in the README's install line.
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

using testutil::Proc;
using testutil::TempDir;
namespace fs = std::filesystem;

namespace {

std::string campaign() {
  return fmt::format(
      "[campaign]\nname = \"b\"\nscenario = \"{}\"\nseeds = [1, 2]\n[campaign.set]\n"
      "\"training.max_rounds\" = 3\n[[axis]]\nkey = \"policy.name\"\nvalues = [\"fedavg\", \"greedy\"]\n",
      testutil::quickstart());
}

int sh(const std::string& script) {
  const int s = std::system(("/bin/sh -c '" + script + "'").c_str());
  return WIFEXITED(s) ? WEXITSTATUS(s) : -1;
}

// A one-node Slurm for the test's lifetime.
class Slurm {
public:
  explicit Slurm(const fs::path& dir) : dir_(dir) {
    REQUIRE_MESSAGE(::geteuid() == 0, "the Slurm test starts slurmd as root");
    REQUIRE_MESSAGE(sh("command -v slurmctld && command -v slurmd && command -v munged") == 0,
                    "slurm-wlm and munge are not installed");
    // munged: the one running, or ours (as the munge user, which owns its key and folders).
    if (sh("pgrep -x munged >/dev/null") != 0) {
      REQUIRE(
          sh("mkdir -p /run/munge && chown munge:munge /run/munge && runuser -u munge -- /usr/sbin/munged") ==
          0);
      started_munge_ = true;
    }
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::string node = host;
    node = node.substr(0, node.find('.'));
    const int port = 20000 + static_cast<int>(::getpid() % 20000);
    fs::create_directories(dir / "state");
    fs::create_directories(dir / "spool");
    std::ofstream(dir / "slurm.conf") << fmt::format(
        "ClusterName=edgetrain\nSlurmctldHost={0}\nSlurmUser=root\nSlurmdUser=root\nAuthType=auth/munge\n"
        "StateSaveLocation={1}/state\nSlurmdSpoolDir={1}/spool\nSlurmctldPidFile={1}/ctld.pid\n"
        "SlurmdPidFile={1}/d.pid\nSlurmctldPort={2}\nSlurmdPort={3}\nProctrackType=proctrack/linuxproc\n"
        "TaskPlugin=task/none\nSelectType=select/cons_tres\nSelectTypeParameters=CR_Core\nReturnToService=2\n"
        "MpiDefault=none\nSlurmctldLogFile={1}/ctld.log\nSlurmdLogFile={1}/d.log\nMaxArraySize=3\n"
        "NodeName={0} CPUs={4} State=UNKNOWN\nPartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE "
        "State=UP\n",
        node, dir.string(), port, port + 1, ::sysconf(_SC_NPROCESSORS_ONLN));
    conf_ = (dir / "slurm.conf").string();
    REQUIRE(sh(fmt::format("slurmctld -f {0} && slurmd -f {0}", conf_)) == 0);
    // Ready when the node is idle.
    REQUIRE(sh(fmt::format(
                "for i in $(seq 100); do SLURM_CONF={} sinfo -h -o %t 2>/dev/null | grep -q idle && exit 0; "
                "sleep 0.2; done; exit 1",
                conf_)) == 0);
  }
  ~Slurm() {
    sh(fmt::format("kill $(cat {0}/d.pid) $(cat {0}/ctld.pid) 2>/dev/null", dir_.string()));
    if (started_munge_) sh("pkill -x munged");
  }
  [[nodiscard]] const std::string& conf() const { return conf_; }

private:
  fs::path dir_;
  std::string conf_;
  bool started_munge_ = false;
};

} // namespace

TEST_CASE("backends: Slurm job arrays and GNU parallel make the same tables as the local pool, and stop "
          "with the campaign") {
  TempDir d;
  d.write("c.toml", campaign());
  d.write("slow.toml", testutil::slow_campaign("[1, 2, 3]"));
  REQUIRE(testutil::run_edgetrain("campaign c.toml -o local -j 2", d.path()).code == 0);
  {
    Slurm slurm(d.path() / "slurm");
    ::setenv("SLURM_CONF", slurm.conf().c_str(), 1); // sbatch, sinfo, squeue read it
    // MaxArraySize=3 (the test's slurm.conf): the 4 runs go as two arrays of 2.
    const Proc p = testutil::run_edgetrain(
        "campaign c.toml -o viaslurm --backend slurm -j 2 --sbatch=--time=10", d.path());
    CHECK_MESSAGE(p.code == 0, p.err);
    CHECK(p.err.find("submitting 4 array tasks in 2 job arrays") != std::string::npos);
    for (const char* f : {"viaslurm/slurm-1.sbatch", "viaslurm/slurm-2.sbatch"}) {
      CAPTURE(f);
      const std::string script = testutil::read(d.path() / f);
      CHECK(script.find("#SBATCH --array=1-2%2\n") != std::string::npos);
      CHECK(script.find("#SBATCH --time=10\n") != std::string::npos);
    }
    // Ctrl-C (SIGINT to the process group) once a task runs: the campaign cancels its array,
    // merges and dies by SIGINT.
    const int code = testutil::signal_when(d.path(), "campaign slow.toml -o slurmstop --backend slurm -j 1",
                                           "squeue -h -t R 2>/dev/null | grep -q .", "INT", true);
    const std::string err = testutil::read(d.path() / "signalled.err");
    CHECK_MESSAGE(code == 130, err);
    CHECK(err.find("interrupted: scancel") != std::string::npos);
    CHECK(sh("for i in $(seq 100); do [ -z \"$(squeue -h)\" ] && exit 0; sleep 0.1; done; exit 1") == 0);
    CHECK(fs::exists(d.path() / "slurmstop/runs.csv"));
    ::unsetenv("SLURM_CONF");
  }
  const Proc par = testutil::run_edgetrain(
      "campaign c.toml -o viaparallel --backend parallel -j 2 --sshlogin :", d.path());
  CHECK_MESSAGE(par.code == 0, par.err);
  for (const char* out : {"viaslurm", "viaparallel"}) {
    CAPTURE(out);
    CHECK(testutil::read(d.path() / out / "runs.csv") == testutil::read(d.path() / "local/runs.csv"));
    CHECK(testutil::read(d.path() / out / "rounds.csv") == testutil::read(d.path() / "local/rounds.csv"));
    CHECK(testutil::read(d.path() / out / "nodes.csv") == testutil::read(d.path() / "local/nodes.csv"));
  }
  // GNU parallel, sent SIGTERM 0.15 s after it starts (while it still ignores SIGTERM: a single
  // signal would be lost), stops before its runs are done, and its runs go with it.
  const int code =
      testutil::signal_when(d.path(), "campaign slow.toml -o parallelstop --backend parallel -j 1",
                            "pgrep -f '[p]arallel --will-cite' >/dev/null && sleep 0.15", "TERM");
  CHECK(code == 143);
  CHECK(testutil::read(d.path() / "signalled.err").find("stopping GNU parallel") != std::string::npos);
  CHECK(sh("pgrep -f \"parallelstop/[r]uns/\" >/dev/null") != 0); // waited for before the merge
  CHECK(testutil::complete_runs(d.path() / "parallelstop/runs") < 3);
}

TEST_CASE("backends error: an unreachable Slurm is an error before anything is written") {
  TempDir d;
  d.write("c.toml", campaign());
  ::setenv("SLURM_CONF", (d.path() / "no-such-slurm.conf").c_str(), 1);
  const Proc p = testutil::run_edgetrain("campaign c.toml -o out --backend slurm", d.path());
  ::unsetenv("SLURM_CONF");
  CHECK(p.code == 2);
  CHECK(p.err == fmt::format("error: --backend slurm: SLURM_CONF={}/no-such-slurm.conf does not exist\n",
                             d.path().string()));
  CHECK_FALSE(fs::exists(d.path() / "out"));
}
