// Policies run end to end from a scenario, as users run them, on a small platform of three
// trainers (40, 10 and 3 GFLOP/s): the planning policies reach the target, PACT's pruning never
// goes back, an unreachable target gives the documented warning and fallback; each FL baseline
// shows its defining behaviour (who is dropped, what width, how many steps).
#include "policies/policy.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

using edgetrain::PolicyInfo;
using testutil::csv_rows;
using testutil::Proc;
using testutil::TempDir;

namespace {

// Three trainers of different speeds and power, two DVFS states each.
const char* kPlatform = R"(<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
<zone id="z" routing="Full">
  <host id="agg" speed="20Gf"><prop id="role" value="aggregator"/><prop id="wattage_per_state" value="20:40"/></host>
  <host id="fast" speed="40Gf,20Gf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="5:30, 4:12"/></host>
  <host id="mid" speed="10Gf,5Gf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="2:8, 2:4"/></host>
  <host id="slow" speed="3Gf,1.5Gf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="1:4, 1:2"/></host>
  <link id="l1" bandwidth="10MBps" latency="5ms"><prop id="wattage_range" value="1:3"/></link>
  <link id="l2" bandwidth="10MBps" latency="5ms"><prop id="wattage_range" value="1:3"/></link>
  <link id="l3" bandwidth="5MBps" latency="10ms"><prop id="wattage_range" value="1:3"/></link>
  <route src="agg" dst="fast"><link_ctn id="l1"/></route>
  <route src="agg" dst="mid"><link_ctn id="l2"/></route>
  <route src="agg" dst="slow"><link_ctn id="l3"/></route>
</zone></platform>
)";

std::string scenario(const std::string& policy, double target, double deadline, int max_rounds = 60,
                     const std::string& extra = "", const std::string& training = "") {
  return fmt::format(R"([platform]
file = "p.xml"
[model]
name = "lenet5"
[data]
dataset = "fashion-mnist"
total_samples = 6000
[training]
local_steps = 20
batch = 32
target_loss = {}
deadline_s = {}
max_rounds = {}
{}
[policy]
name = "{}"
{})",
                     target, deadline, max_rounds, training, policy, extra);
}

struct Run {
  Proc proc;
  std::string summary, rounds, nodes, resolved;
};

Run run(const std::string& policy, double target, double deadline, int max_rounds = 60,
        const std::string& extra = "", const std::string& training = "") {
  TempDir d;
  d.write("p.xml", kPlatform);
  d.write("s.toml", scenario(policy, target, deadline, max_rounds, extra, training));
  Run r;
  r.proc = testutil::run_edgetrain("run s.toml --out out --no-progress", d.path());
  if (r.proc.code == 0) {
    r.summary = testutil::read(d.path() / "out/summary.json");
    r.rounds = testutil::read(d.path() / "out/rounds.csv");
    r.nodes = testutil::read(d.path() / "out/nodes.csv");
    r.resolved = testutil::read(d.path() / "out/resolved.toml");
  }
  return r;
}

} // namespace

TEST_CASE("planning policies: each runs from a scenario and reaches a reachable target") {
  for (const char* policy : {"pact", "optimum", "greedy", "fastest-first", "fedavg-pruned"}) {
    CAPTURE(policy);
    const Run r = run(policy, 0.9, 600);
    REQUIRE(r.proc.code == 0);
    CHECK(r.summary.find("\"reached_target\": true") != std::string::npos);
  }
}

TEST_CASE("planning policies: PACT's pruning level never goes back, and every trainer of a round has it") {
  const Run r = run("pact", 0.7, 600);
  REQUIRE(r.proc.code == 0);
  // nodes.csv: round,node,host,role,trained,finished,...,keep_mean (column 12)
  std::map<int, std::vector<double>> keep;
  for (const auto& c : csv_rows(r.nodes))
    if (c[3] == "trainer" && c[4] == "1") keep[std::stoi(c[0])].push_back(std::stod(c[12]));
  REQUIRE(keep.size() >= 2);
  double previous = 1.0;
  for (const auto& [round, ks] : keep) {
    CAPTURE(round);
    for (double k : ks)
      CHECK(k == doctest::Approx(ks.front()));
    CHECK(ks.front() <= previous + 1e-12);
    previous = ks.front();
  }
}

TEST_CASE("planning policies: an unreachable target is a warning and the fallback still trains") {
  // The shipped LeNet-5 predictor's floor is about 0.01: a target of 0.001 cannot be reached.
  const Run r = run("pact", 0.001, 60, 8);
  REQUIRE(r.proc.code == 0);
  CHECK(r.proc.err.find("is at or below the predicted floor") != std::string::npos);
  CHECK(r.proc.err.find("falling back to the plan reaching the lowest predicted loss") != std::string::npos);
  const auto rs = csv_rows(r.rounds);
  REQUIRE(rs.size() >= 2);
  CHECK(std::stod(rs.back()[5]) < std::stod(rs.front()[5])); // the loss went down
  CHECK(r.summary.find("\"reached_target\": false") != std::string::npos);
}

// A run that must fail cleanly; returns stderr.
std::string failing(const std::string& policy, const std::string& extra) {
  TempDir d;
  d.write("p.xml", kPlatform);
  d.write("s.toml", scenario(policy, 0.9, 600) + extra);
  const Proc p = testutil::run_edgetrain("run s.toml --out out --no-progress", d.path());
  CHECK(p.code == 2);
  return p.err;
}

TEST_CASE("planning policies: the optimum refuses a platform too large for it, with the key to change") {
  const std::string err = failing("optimum", "[policy.optimum]\nmax_nodes = 2\n");
  CHECK(err.find("policy.optimum.max_nodes") != std::string::npos);
  CHECK(err.find("at most 2") != std::string::npos);
}

TEST_CASE("planning policies error: levels that do not start at 1 or do not decrease") {
  const std::string err = failing("pact", "[policy.pact]\nlevels = [1.0, 0.5, 0.75]\n");
  CHECK(err.find("s.toml") != std::string::npos);
  CHECK(err.find("policy.pact.levels: must start at 1 and decrease strictly") != std::string::npos);
}

namespace {
// nodes.csv rows of round 1's trainers, by host: finished (col 5), flops (8), keep_mean (12).
struct Row {
  bool finished = false;
  double flops = 0, keep = 0;
};
std::map<std::string, Row> first_round(const Run& r) {
  std::map<std::string, Row> out;
  for (const auto& c : csv_rows(r.nodes))
    if (c[0] == "1" && c[3] == "trainer" && c[4] == "1")
      out[c[2]] = {c[5] == "1", std::stod(c[8]), std::stod(c[12])};
  return out;
}
constexpr double kSampleFlops = 2263920; // LeNet-5 training FLOPs per sample (the cost model's)
} // namespace

TEST_CASE("fl baselines: heterofl gives each device the widest width whose square fits its share") {
  // Shares of the fastest (40 Gf): 1, 0.25 and 0.075: widths 1, 0.5 (0.25 <= 0.25), 0.25 (0.0625 <= 0.075).
  const auto r = first_round(run("heterofl", 0.9, 600, 2));
  CHECK(r.at("fast").keep == doctest::Approx(1.0));
  CHECK(r.at("mid").keep == doctest::Approx(0.5));
  CHECK(r.at("slow").keep == doctest::Approx(0.25));
}

TEST_CASE("fl baselines: fed-dropout trains every device at the one keep fraction") {
  const auto r = first_round(run("fed-dropout", 0.9, 600, 2, "[policy.fed-dropout]\nkeep = 0.6\n"));
  REQUIRE(r.size() == 3);
  for (const auto& [host, row] : r)
    CHECK(row.keep == doctest::Approx(0.6));
}

TEST_CASE("fl baselines: fedavg-deadline drops the straggler at round_s") {
  // Compute alone: 20 x 32 x 2,263,920 FLOPs = 1.45 GFLOP: 0.036 s on fast, 0.145 s on mid,
  // 0.483 s on slow. A 0.4 s round cannot take slow's update.
  const auto r =
      first_round(run("fedavg-deadline", 0.9, 600, 2, "[policy.fedavg-deadline]\nround_s = 0.4\n"));
  CHECK(r.at("fast").finished);
  CHECK(r.at("mid").finished);
  CHECK_FALSE(r.at("slow").finished);
}

TEST_CASE("fl baselines: fedprox-partial gives slow devices fewer local steps, at least one") {
  const auto r = first_round(run("fedprox-partial", 0.9, 600, 2));
  const double full = 20 * 32 * kSampleFlops;
  CHECK(r.at("fast").flops == doctest::Approx(full)); // fits the median device's round time
  CHECK(r.at("slow").flops < full);
  CHECK(r.at("slow").flops >= 32 * kSampleFlops);
  CHECK(r.at("mid").flops >= r.at("slow").flops);
  // With a budget every device meets, everyone runs every step.
  const auto all =
      first_round(run("fedprox-partial", 0.9, 600, 2, "[policy.fedprox-partial]\nround_s = 1000\n"));
  for (const auto& [host, row] : all)
    CHECK(row.flops == doctest::Approx(full));
}

TEST_CASE("distreal: each device takes the fastest-converging vector its speed fits in the budget") {
  // A 0.6 s round: the 40-GFLOP/s device fits the full model; the 3-GFLOP/s one needs 0.48 s of
  // compute for it alone, on top of its transfers, so it drops filters; everyone's update arrives.
  const auto r = first_round(run("distreal", 0.9, 600, 2, "[policy.distreal]\nround_s = 0.6\n"));
  REQUIRE(r.size() == 3);
  CHECK(r.at("fast").keep == doctest::Approx(1.0));
  CHECK(r.at("slow").keep < 1.0);
  CHECK(r.at("mid").keep >= r.at("slow").keep);
  for (const auto& [host, row] : r) {
    CAPTURE(host);
    CHECK(row.finished);
  }
}

TEST_CASE("distreal error: a Pareto table that does not fit the model") {
  TempDir d;
  d.write("p.xml", kPlatform);
  d.write("pareto.csv", "keep_conv1,keep_conv2,keep_fc1,keep_fc2,flops_per_batch,speed,speed_low,speed_high,seeds,"
                        "source\n0.5,100,0.5,trained\n");
  d.write("s.toml", scenario("distreal", 0.9, 600, 2, "[policy.distreal]\npareto = \"pareto.csv\"\n"));
  const Proc p = testutil::run_edgetrain("run s.toml --out out --no-progress", d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("pareto.csv:2") != std::string::npos);
  CHECK(p.err.find("expected 10 fields") != std::string::npos); // LeNet-5: 4 keeps and 6 columns
  // A table for another model: its header says so.
  d.write("pareto.csv", "keep_conv1,flops_per_batch,speed,speed_low,speed_high,seeds,source\n0.5,1,1,1,1,1,trained\n");
  const Proc q = testutil::run_edgetrain("run s.toml --out out --no-progress", d.path());
  CHECK(q.code == 2);
  CHECK(q.err.find("pareto.csv:1: the header must be keep_conv1,keep_conv2,keep_fc1,keep_fc2,") != std::string::npos);
}

// The engine's rules hold for every registered policy, so a new policy is covered without a new
// test: nothing past the deadline, no trainer past the scenario's round timeout, no trainer past
// the step bound (30, under PACT's 2 x 20 steps). The deadline (0.5 s) falls inside a round of
// every policy here.
TEST_CASE("run rules: every registered policy is held to the deadline, the timeout and the bounds") {
  const double deadline = 0.5, timeout = 0.3;
  for (const PolicyInfo& info : edgetrain::policy_registry()) {
    CAPTURE(info.name);
    const Run r = run(info.name, 0.05, deadline, 60, "",
                      fmt::format("round_timeout_s = {}\nmax_local_steps = 30\nmax_batch = 32", timeout));
    REQUIRE(r.proc.code == 0);
    // The target (0.05) is out of reach: every policy trains until the deadline stops it.
    CHECK(r.summary.find("\"stop_reason\": \"deadline\"") != std::string::npos);
    const auto at = r.summary.find("\"sim_time_s\": ");
    REQUIRE(at != std::string::npos);
    CHECK(std::stod(r.summary.substr(at + 14)) <= deadline);
    const auto rounds = csv_rows(r.rounds);
    REQUIRE(!rounds.empty());
    CHECK(std::stod(rounds.back()[2]) == doctest::Approx(deadline).epsilon(1e-9)); // cut there
    int trained = 0;
    // rounds.csv: round,start_s,end_s,...
    for (const auto& row : csv_rows(r.rounds)) {
      CHECK(std::stod(row[2]) <= deadline);
      CHECK(std::stod(row[2]) - std::stod(row[1]) <= timeout + 1e-3); // + the aggregation
    }
    // nodes.csv: round,node,host,role,trained,finished,compute_s,comm_s,flops,...
    for (const auto& row : csv_rows(r.nodes)) {
      if (row[3] != "trainer" || row[4] != "1") continue;
      ++trained;
      CHECK(std::stod(row[6]) + std::stod(row[7]) <= timeout * (1 + 1e-9));
      CHECK(std::stod(row[8]) <= 30 * 32 * kSampleFlops * (1 + 1e-9));
    }
    CHECK(trained > 0);
  }
}

TEST_CASE("predictor: planners plan with their own shipped predictor, not the surrogate's parameters") {
  for (const char* policy : {"pact", "optimum", "greedy", "fastest-first", "distreal"}) {
    CAPTURE(policy);
    const Run r = run(policy, 0.9, 600, 3);
    REQUIRE(r.proc.code == 0);
    CHECK(r.summary.find("\"policy_predictor\": \"auto: configs/predictors/lenet5-fashion-mnist.toml\"") !=
          std::string::npos);
    CHECK(r.summary.find("upper bound") == std::string::npos);
    CHECK(r.resolved.find("predictor = \"auto\"  # configs/predictors/lenet5-fashion-mnist.toml: fitted on "
                          "another design and seed than learning.surrogate.*") != std::string::npos);
  }
  // The shipped predictor is a calibration apart from the surrogate's (another design and seed).
  const std::string cal = testutil::read(testutil::source_dir() / "configs/calibration/lenet5-fashion-mnist.toml");
  const std::string pred = testutil::read(testutil::source_dir() / "configs/predictors/lenet5-fashion-mnist.toml");
  const auto fitted = [](const std::string& f) { return f.substr(f.find("[learning.surrogate]")); };
  CHECK(fitted(cal) != fitted(pred));
  CHECK(pred.find("seed 2") != std::string::npos);
  CHECK(cal.find("seed 1") != std::string::npos);
}

TEST_CASE("predictor: oracle is labelled an upper bound, and refused under the trained process") {
  const Run r = run("pact", 0.9, 600, 3, "[policy.pact]\npredictor = \"oracle\"\n");
  REQUIRE(r.proc.code == 0);
  CHECK(r.rounds != run("pact", 0.9, 600, 3).rounds); // the model played is the file's, not the oracle's
  CHECK(r.summary.find("\"policy_predictor\": \"oracle\"") != std::string::npos);
  CHECK(r.summary.find("\"policy_predictor_note\": \"an upper bound") != std::string::npos);
  CHECK(r.proc.out.find("upper bound") != std::string::npos); // on the console too
  CHECK(r.resolved.find("predictor = \"oracle\"  # learning.surrogate.* itself: an upper bound") !=
        std::string::npos); // and in resolved.toml
  const Run t = run("pact", 0.9, 600, 3, "[policy.pact]\npredictor = \"oracle\"\n[learning]\nprocess = \"trained\"\n");
  CAPTURE(t.proc.err);
  CHECK(t.proc.code == 2);
  CHECK(t.proc.err.find("s.toml:18:13: policy.pact.predictor: oracle is the surrogate process's own") !=
        std::string::npos);
}

TEST_CASE("predictor error: a missing, malformed or other model's file, at its line, nothing written") {
  TempDir d;
  d.write("p.xml", kPlatform);
  const std::string fitted = "[fitted_for]\nmodel = \"lenet5\"\ndataset = \"fashion-mnist\"\nform = 5\n";
  d.write("bad.toml", fitted + "[learning.surrogate]\nfloor_loss = \"low\"\n");
  d.write("nofit.toml", "[learning.surrogate]\nfloor_loss = 0.3\n");
  d.write("table.toml", "fitted_for = \"lenet5\"\n[learning.surrogate]\nfloor_loss = 0.3\n");
  d.write("mlp.toml", testutil::read(testutil::source_dir() / "configs/calibration/mlp-fashion-mnist.toml"));
  d.write("unknown.toml", fitted + "[learning.surrogate]\nfloor = 0.3\n");
  const struct {
    const char* file;
    const char* expect;
  } cases[] = {
      {"nope.toml", "s.toml:18:13: policy.pact.predictor: no predictor file"},
      {"bad.toml", "bad.toml:6:14: learning.surrogate.floor_loss: expected number, got string \"low\""},
      {"unknown.toml", "unknown.toml:6:1: learning.surrogate.floor: unknown key"},
      {"nofit.toml", "nofit.toml: fitted_for: missing: the file must say what it was fitted for"},
      {"table.toml", "table.toml:1:14: fitted_for: expected a table"},
      {"mlp.toml", "fitted_for: fitted for model 'mlp' on 'fashion-mnist', but the run trains 'lenet5'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.file);
    d.write("s.toml", scenario("pact", 0.9, 600, 3, fmt::format("[policy.pact]\npredictor = \"{}\"\n", c.file)));
    const Proc p = testutil::run_edgetrain("run s.toml --out out --no-progress", d.path());
    CHECK(p.code == 2);
    CAPTURE(p.err);
    CHECK(p.err.find(c.expect) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(d.path() / "out"));
  }
}

TEST_CASE("predictor: a file named relative to the scenario, and resolved.toml repeats the run") {
  TempDir d;
  d.write("p.xml", kPlatform);
  d.write("mine.toml", testutil::read(testutil::source_dir() / "configs/predictors/lenet5-fashion-mnist.toml"));
  d.write("s.toml", scenario("pact", 0.9, 600, 3, "[policy.pact]\npredictor = \"mine.toml\"\n"));
  REQUIRE(testutil::run_edgetrain("run s.toml --out a --no-progress", d.path()).code == 0);
  CHECK(testutil::read(d.path() / "a/summary.json").find("\"policy_predictor\": \"mine.toml\"") != std::string::npos);
  // From another folder, by its resolved.toml alone: the same rounds.
  std::filesystem::create_directory(d.path() / "elsewhere");
  REQUIRE(testutil::run_edgetrain("run ../a/resolved.toml --out ../b --no-progress", d.path() / "elsewhere").code == 0);
  CHECK(testutil::read(d.path() / "a/rounds.csv") == testutil::read(d.path() / "b/rounds.csv"));
}

TEST_CASE("optimum: started from PACT's plan, it plays a plan to the target, never the fallback") {
  // The exact search begins with PACT's plan as its incumbent. PACT charges its plan
  // conservatively, so on the quickstart the search finds a plan at or below that charge every
  // round; a wrong incumbent (one no plan beats) would send it to the fallback path to the
  // lowest loss, which warns once.
  TempDir d;
  const Proc p = testutil::run_edgetrain(
      "run " + (testutil::source_dir() / "configs/quickstart.toml").string() +
          " --set policy.name=optimum --out out --no-progress",
      d.path());
  REQUIRE_MESSAGE(p.code == 0, p.err);
  CHECK(p.err.find("falling back") == std::string::npos);
  const std::string summary = testutil::read(d.path() / "out" / "summary.json");
  CHECK(summary.find("\"reached_target\": true") != std::string::npos);
}

TEST_CASE("optimum: when its search finds nothing cheaper, it plays PACT's round, so a spent budget replays PACT") {
  // With a budget of one expansion the search never gets past its root: PACT's plan (the
  // incumbent) stands every round, and the optimum must play PACT's first round of it, not its
  // fallback. So the whole run is PACT's, round for round (same knobs, same slot length).
  TempDir d;
  const std::string quick = (testutil::source_dir() / "configs/quickstart.toml").string();
  const Proc a = testutil::run_edgetrain(
      "run " + quick + " --set policy.name=optimum --set policy.optimum.max_expansions=1 --out opt --no-progress",
      d.path());
  REQUIRE_MESSAGE(a.code == 0, a.err);
  CHECK(a.err.find("max_expansions") != std::string::npos); // the spent budget is logged
  CHECK(a.err.find("falling back") == std::string::npos);
  REQUIRE(testutil::run_edgetrain("run " + quick + " --set policy.name=pact --out pact --no-progress", d.path()).code ==
          0);
  const std::string opt = testutil::read(d.path() / "opt/rounds.csv");
  CHECK(opt.size() > 200);
  CHECK(opt == testutil::read(d.path() / "pact/rounds.csv"));
}
