// Policies run end to end from a scenario, as users run them, on a small platform of three
// trainers (40, 10 and 3 GFLOP/s): the planning policies reach the target, PACT's pruning never
// goes back, an unreachable target gives the documented warning and fallback; each FL baseline
// shows its defining behaviour (who is dropped, what width, how many steps).
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

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
                     const std::string& extra = "") {
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
[policy]
name = "{}"
{})",
                     target, deadline, max_rounds, policy, extra);
}

struct Run {
  Proc proc;
  std::string summary, rounds, nodes;
};

Run run(const std::string& policy, double target, double deadline, int max_rounds = 60,
        const std::string& extra = "") {
  TempDir d;
  d.write("p.xml", kPlatform);
  d.write("s.toml", scenario(policy, target, deadline, max_rounds, extra));
  Run r;
  r.proc = testutil::run_edgetrain("run s.toml --out out --no-progress", d.path());
  if (r.proc.code == 0) {
    r.summary = testutil::read(d.path() / "out/summary.json");
    r.rounds = testutil::read(d.path() / "out/rounds.csv");
    r.nodes = testutil::read(d.path() / "out/nodes.csv");
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
  // The LeNet-5 calibration's floor is about 0.45: a target of 0.1 cannot be reached.
  const Run r = run("pact", 0.1, 60, 8);
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
  d.write("pareto.csv", "keep_conv1,flops_per_batch,speed,source\n0.5,100,0.5,trained\n");
  d.write("s.toml", scenario("distreal", 0.9, 600, 2, "[policy.distreal]\npareto = \"pareto.csv\"\n"));
  const Proc p = testutil::run_edgetrain("run s.toml --out out --no-progress", d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("pareto.csv:2") != std::string::npos);
  CHECK(p.err.find("expected 7 fields") != std::string::npos);
}
