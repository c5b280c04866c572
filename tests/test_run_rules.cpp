// The engine owns the run's rules (run_rules.hpp, round_play.hpp): nothing runs past the deadline,
// a round still running then is stopped there with its work and energy counted, the scenario's
// round timeout is a ceiling on every plan, and steps and batch are filled in and clipped. Checked
// over several rounds against joules worked out by hand, on a one-trainer platform under CM02
// with crosstraffic off (a transfer of S bytes takes latency + S / bandwidth exactly).
#include "simulator/common/error.hpp"
#include "simulator/engine/simulation.hpp"

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <cmath>

using namespace edgetrain;
using testutil::TempDir;

namespace {

constexpr double kBytes = 61706.0 * 4;    // LeNet-5, float32
constexpr double kTrainFlops = 2263920.0; // LeNet-5, per sample (test_cost_model)

// The aggregator (2 Gf, 50 W idle, 100 W busy) and one trainer (1 Gf, 10 W idle, 20 W busy)
// behind a 10 MB/s, 10 ms link drawing 1 W idle and 3 W busy; more hosts, links and routes may follow.
std::string platform(const std::string& hosts = "", const std::string& links = "", const std::string& routes = "") {
  return R"(<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
<zone id="z" routing="Full">
  <host id="agg" speed="2Gf"><prop id="role" value="aggregator"/><prop id="wattage_per_state" value="50:100"/></host>
  <host id="t1" speed="1Gf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20"/></host>
)" + hosts + R"(
  <link id="l1" bandwidth="10MBps" latency="10ms"><prop id="wattage_range" value="1:3"/></link>
)" + links + R"(
  <route src="agg" dst="t1"><link_ctn id="l1"/></route>
)" + routes + "</zone></platform>\n";
}

struct Capture final : RunObserver {
  std::vector<RoundRecord> records;
  std::vector<RoundOutcome> outcomes;
  void on_round(const RoundRecord& r, const RoundOutcome& o, const std::vector<NodeView>&) override {
    records.push_back(r);
    outcomes.push_back(o);
  }
};

struct Run {
  TempDir dir;
  Capture cap;
  RunResult result;
  Run(const std::string& xml, const std::string& training, std::unique_ptr<Policy> policy = nullptr,
      const std::string& trace = "") {
    dir.write("p.xml", xml);
    dir.write("t.trace", trace);
    const auto f = dir.write("s.toml", "[platform]\nfile = \"p.xml\"\n" +
                                           std::string(trace.empty() ? "" : "traces = [\"t.trace\"]\n") +
                                           "simgrid_cfg = [\"network/model:CM02\", \"network/crosstraffic:0\"]\n"
                                       "[training]\nlocal_steps = 2\nbatch = 4\nstop_at_target = false\n" +
                                           training);
    Simulation sim(load_scenario(f), {}, false, std::move(policy));
    result = sim.run({&cap});
  }
  const NodeOutcome& node(std::size_t round, NodeId id) const {
    for (const NodeOutcome& n : cap.outcomes.at(round).nodes)
      if (n.node == id) return n;
    FAIL("no row for node " << id);
    return cap.outcomes[0].nodes[0];
  }
};

// One whole round of the one-trainer platform (2 steps of batch 4), by hand.
const double kDown = 0.010 + kBytes / 1e7, kCompute = 8 * kTrainFlops / 1e9, kUp = kDown;
const double kAggregate = 2 * 61706.0 / 2e9; // 2 FLOPs a parameter on 2 Gf
const double kRound = kDown + kCompute + kUp + kAggregate;
const double kTrainerJ = 10 * (kDown + kUp) + 20 * kCompute;
const double kAggJ = 50 * kRound + 50 * kAggregate; // idle all round, busy while aggregating
const double kLinkJ = 1 * kRound + 2 * (kDown + kUp); // busy during both transfers, latency included

// Sends t1 with the given steps, batch and round timeout, and, when present, node 2 with (0, 0).
class AskingPolicy final : public Policy {
public:
  AskingPolicy(int steps, int batch, double timeout) : steps_(steps), batch_(batch), timeout_(timeout) {}
  RoundPlan decide(const RoundState& s) override {
    RoundPlan p;
    p.trainers.push_back(full_model_assignment(s, 1, steps_, batch_));
    if (s.nodes.size() > 2) p.trainers.push_back(full_model_assignment(s, 2));
    p.round_timeout_s = timeout_;
    return p;
  }

private:
  int steps_, batch_;
  double timeout_;
};

} // namespace

TEST_CASE("run rules: a round running at the deadline is stopped there, its work and energy counted") {
  // Two whole rounds, then the deadline halfway through the third round's computation.
  const double deadline = 2 * kRound + kDown + kCompute / 2;
  Run r(platform(), fmt::format("max_rounds = 10\ndeadline_s = {:.17g}\n", deadline));
  REQUIRE(r.cap.records.size() == 3);
  CHECK(r.result.stop_reason == "deadline");
  CHECK(r.result.sim_time_s == doctest::Approx(deadline).epsilon(1e-9));
  CHECK(r.result.sim_time_s <= deadline);
  for (int k = 0; k < 2; ++k) { // rounds 1 and 2: whole, each the hand-computed round
    const RoundRecord& rec = r.cap.records[static_cast<std::size_t>(k)];
    CHECK(rec.start_s == doctest::Approx(k * kRound).epsilon(1e-9));
    CHECK(rec.end_s == doctest::Approx((k + 1) * kRound).epsilon(1e-9));
    CHECK(rec.trainers_finished == 1);
    CHECK(rec.energy_trainers_j == doctest::Approx(kTrainerJ).epsilon(1e-6));
    CHECK(rec.energy_aggregator_j == doctest::Approx(kAggJ).epsilon(1e-6));
    CHECK(rec.energy_network_j == doctest::Approx(kLinkJ).epsilon(1e-6));
  }
  // Round 3: the model went down, half the computation was done; no update, no aggregation.
  const RoundRecord& cut = r.cap.records[2];
  const double lasted = kDown + kCompute / 2;
  CHECK(cut.end_s == doctest::Approx(deadline).epsilon(1e-9));
  CHECK(cut.trainers_finished == 0);
  const NodeOutcome& t = r.node(2, 1);
  CHECK_FALSE(t.finished);
  CHECK(t.flops == doctest::Approx(4 * kTrainFlops).epsilon(1e-6));
  CHECK(t.bytes == doctest::Approx(kBytes));
  CHECK(cut.energy_trainers_j == doctest::Approx(10 * kDown + 20 * kCompute / 2).epsilon(1e-6));
  CHECK(cut.energy_aggregator_j == doctest::Approx(50 * lasted).epsilon(1e-6));
  CHECK(cut.energy_network_j == doctest::Approx(1 * lasted + 2 * kDown).epsilon(1e-6));
  // The books over the three rounds add up.
  const double total = 2 * (kTrainerJ + kAggJ + kLinkJ) + cut.energy_trainers_j + cut.energy_aggregator_j +
                       cut.energy_network_j;
  CHECK(cut.energy_total_j == doctest::Approx(total).epsilon(1e-9));
  CHECK(r.result.history.back().energy_total_j == doctest::Approx(
                                                      2 * (kTrainerJ + kAggJ + kLinkJ) + 10 * kDown +
                                                      20 * kCompute / 2 + 50 * lasted + lasted + 2 * kDown)
                                                      .epsilon(1e-6));
}

TEST_CASE("run rules: a round whose aggregation the deadline cuts counts no update") {
  const double deadline = kRound - kAggregate / 2; // the update arrived, its aggregation cannot end
  Run r(platform(), fmt::format("max_rounds = 10\ndeadline_s = {:.17g}\n", deadline));
  REQUIRE(r.cap.records.size() == 1);
  const RoundRecord& rec = r.cap.records[0];
  CHECK(rec.end_s == doctest::Approx(deadline).epsilon(1e-9));
  CHECK(rec.trainers_finished == 0);
  CHECK_FALSE(r.cap.outcomes[0].aggregated);
  CHECK(rec.loss == r.result.initial.loss); // nothing was learnt
  CHECK(rec.energy_trainers_j == doctest::Approx(kTrainerJ).epsilon(1e-6));
  CHECK(rec.energy_aggregator_j ==
        doctest::Approx(50 * deadline + 50 * (kAggregate / 2)).epsilon(1e-6)); // busy until cut
}

TEST_CASE("run rules: no round starts once the deadline is reached") {
  Run r(platform(), fmt::format("max_rounds = 10\ndeadline_s = {:.17g}\n", kRound));
  REQUIRE(r.cap.records.size() == 1);
  CHECK(r.cap.records[0].trainers_finished == 1); // its aggregation ends at the deadline: in time
  CHECK(r.result.stop_reason == "deadline");
  CHECK(r.result.sim_time_s == doctest::Approx(kRound).epsilon(1e-9));
}

// (No ';' in test names: CTest would cut the name there, and the test would run nothing.)
TEST_CASE("run rules: steps and batch left at 0 are the scenario's, and clipped to the bounds") {
  const std::string t2 = R"(
  <host id="t2" speed="1Gf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20"/></host>
)";
  Run r(platform(t2, R"(<link id="l2" bandwidth="10MBps" latency="10ms"/>)",
                 R"(<route src="agg" dst="t2"><link_ctn id="l2"/></route>)"), "max_rounds = 3\nmax_local_steps = 3\nmax_batch = 4\n",
        std::make_unique<AskingPolicy>(1000, 1000, 0));
  REQUIRE(r.cap.records.size() == 3);
  for (std::size_t k = 0; k < 3; ++k) {
    CHECK(r.node(k, 1).flops == doctest::Approx(3 * 4 * kTrainFlops)); // clipped to 3 steps of 4
    CHECK(r.node(k, 2).flops == doctest::Approx(2 * 4 * kTrainFlops)); // the scenario's 2 of 4
    CHECK(r.node(k, 1).samples_processed == 12);
    CHECK(r.node(k, 2).samples_processed == 8);
  }
}

TEST_CASE("run rules: training.round_timeout_s caps a policy's longer timeout") {
  const std::string slow = R"(
  <host id="slow" speed="10Mf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20"/></host>
)";
  const std::string link = R"(<link id="ls" bandwidth="10MBps" latency="10ms"/>)";
  const std::string route = R"(<route src="agg" dst="slow"><link_ctn id="ls"/></route>)";
  // The policy asks for 100 s; the scenario allows 0.5 s. The slow node needs 8 x 2.26 MFLOP at
  // 10 MFLOP/s = 1.8 s of computation: it is cut at 0.5 s, in each of the two rounds.
  Run r(platform(slow, link, route), "max_rounds = 2\nround_timeout_s = 0.5\n", std::make_unique<AskingPolicy>(0, 0, 100));
  REQUIRE(r.cap.records.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) {
    const RoundRecord& rec = r.cap.records[k];
    CHECK(rec.trainers_finished == 1);
    CHECK(rec.end_s - rec.start_s == doctest::Approx(0.5 + kAggregate).epsilon(1e-6));
    const NodeOutcome& s = r.node(k, 1); // nodes: the aggregator, then trainers by name (slow, t1)
    CHECK_FALSE(s.finished);
    CHECK(s.compute_s == doctest::Approx(0.5 - kDown).epsilon(1e-6));
    CHECK(s.energy_j == doctest::Approx(10 * kDown + 20 * (0.5 - kDown)).epsilon(1e-6));
  }
}

TEST_CASE("run rules: with every trainer off, the engine waits up to the deadline, not past it") {
  // t1 is off from the start (a state trace): no round can be played. With idle_wait_s 30 and the
  // deadline at 100 s the engine asks at 0, 30, 60 and 90 s, waits the last 10 s and stops at 100.
  Run r(platform(), "max_rounds = 10\ndeadline_s = 100\nidle_wait_s = 30\n", nullptr,
        "[host t1 state]\n0 0\n");
  CHECK(r.cap.records.empty());
  CHECK(r.result.stop_reason == "deadline");
  CHECK(r.result.sim_time_s == doctest::Approx(100).epsilon(1e-12));
}

TEST_CASE("run rules error: the scenario's own steps or batch above their ceilings") {
  TempDir d;
  d.write("p.xml", platform());
  for (const auto& [keys, expect] :
       {std::pair{"local_steps = 20\nmax_local_steps = 15\n",
                  "s.toml:4:15: training.local_steps: 20 is above training.max_local_steps = 15"},
        std::pair{"batch = 32\nmax_batch = 16\n", "s.toml:4:9: training.batch: 32 is above training.max_batch = 16"}}) {
    CAPTURE(keys);
    const auto f = d.write("s.toml", std::string("[platform]\nfile = \"p.xml\"\n[training]\n") + keys);
    try {
      (void)load_scenario(f);
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK(std::string(e.what()).find(expect) != std::string::npos);
    }
  }
}
