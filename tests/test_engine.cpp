// The round engine on tiny platforms built in the test, against times and joules worked out by
// hand. SimGrid runs with network/model:CM02 and crosstraffic off, under which a transfer of S
// bytes on one link takes exactly latency + S / bandwidth (REFERENCES.md), so every figure below
// follows from the platform's numbers.
#include "simulator/engine/simgrid_config.hpp"
#include "simulator/engine/simulation.hpp"

#include "test_util.hpp"
#include <simgrid/s4u/Host.hpp>

#include <doctest/doctest.h>

#include <cmath>

using namespace edgetrain;
using testutil::TempDir;

namespace {

constexpr double kBytes = 61706.0 * 4;    // LeNet-5, float32: 246,824 B
constexpr double kTrainFlops = 2263920.0; // LeNet-5, per sample (see test_cost_model)

const char* kHeader = R"(<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
<zone id="z" routing="Full">
  <host id="agg" speed="2Gf"><prop id="role" value="aggregator"/><prop id="wattage_per_state" value="50:100"/></host>
)";

struct Capture final : RunObserver {
  std::vector<RoundRecord> records;
  std::vector<RoundOutcome> outcomes;
  std::vector<unsigned long> pstates_after; // each host's pstate once the round is over
  void on_round(const RoundRecord& r, const RoundOutcome& o, const std::vector<NodeView>& views) override {
    records.push_back(r);
    outcomes.push_back(o);
    pstates_after.clear();
    for (const NodeView& v : views)
      pstates_after.push_back(simgrid::s4u::Host::by_name(v.host)->get_pstate());
  }
};

// Plays one round on `platform_body` (hosts, links and routes after the aggregator) with 2 local
// steps of batch 4 (8 samples) per trainer.
struct OneRound {
  TempDir dir;
  Capture cap;
  RunResult result;
  OneRound(const std::string& platform_body, const std::string& extra_toml = "",
           std::unique_ptr<Policy> policy = nullptr, const std::string& traces = "", int rounds = 1) {
    dir.write("p.xml", std::string(kHeader) + platform_body + "</zone></platform>\n");
    dir.write("t.trace", traces);
    const auto f = dir.write(
        "s.toml", "[platform]\nfile = \"p.xml\"\n"
                  "simgrid_cfg = [\"network/model:CM02\", \"network/crosstraffic:0\"]\n" +
                      std::string(traces.empty() ? "" : "traces = [\"t.trace\"]\n") +
                      "[training]\nlocal_steps = 2\nbatch = 4\nmax_rounds = " + std::to_string(rounds) +
                      "\n" + extra_toml);
    Simulation sim(load_scenario(f), {}, false, std::move(policy));
    result = sim.run({&cap});
    REQUIRE(cap.outcomes.size() == static_cast<std::size_t>(rounds));
  }
  const NodeOutcome& node(NodeId id) const {
    for (const NodeOutcome& n : cap.outcomes[0].nodes)
      if (n.node == id) return n;
    FAIL("no row for node " << id);
    return cap.outcomes[0].nodes[0];
  }
};

const std::string kOneTrainer = R"(
  <host id="t1" speed="1Gf,0.5Gf" pstate="0"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20, 5:8"/></host>
  <link id="l1" bandwidth="10MBps" latency="10ms"><prop id="wattage_range" value="1:3"/></link>
  <route src="agg" dst="t1"><link_ctn id="l1"/></route>
)";

// Two trainers at 1 Gf (10 W idle, 20 W busy), each behind its own 10 MB/s, 10 ms link (l1, l2);
// `t1_props` are extra <prop> elements of t1.
std::string two_trainers(const std::string& t1_props = "") {
  return R"(
  <host id="t1" speed="1Gf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20"/>)" +
         t1_props + R"(</host>
  <host id="t2" speed="1Gf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20"/></host>
  <link id="l1" bandwidth="10MBps" latency="10ms"/>
  <link id="l2" bandwidth="10MBps" latency="10ms"/>
  <route src="agg" dst="t1"><link_ctn id="l1"/></route>
  <route src="agg" dst="t2"><link_ctn id="l2"/></route>
)";
}

// A policy that sends node 1 at a given pstate, for the DVFS check.
class PstatePolicy final : public Policy {
public:
  explicit PstatePolicy(int pstate) : pstate_(pstate) {}
  RoundPlan decide(const RoundState& s) override {
    RoundPlan p;
    p.trainers.push_back(full_model_assignment(s, 1, 2, 4));
    p.trainers.back().pstate = pstate_;
    return p;
  }

private:
  int pstate_;
};

} // namespace

TEST_CASE("engine: one trainer's round time and joules equal the hand computation") {
  OneRound r(kOneTrainer);
  const double down = 0.010 + kBytes / 1e7;     // latency + size / bandwidth
  const double compute = 8 * kTrainFlops / 1e9; // 8 samples on 1 Gf
  const double up = down;
  const double aggregate = 2 * 61706.0 / 2e9; // 2 FLOPs per parameter on 2 Gf
  const double round = down + compute + up + aggregate;

  const RoundRecord& rec = r.cap.records[0];
  CHECK(rec.end_s == doctest::Approx(round).epsilon(1e-6));
  const NodeOutcome& t = r.node(1);
  CHECK(t.finished);
  CHECK(t.compute_s == doctest::Approx(compute).epsilon(1e-6));
  CHECK(t.comm_s == doctest::Approx(down + up).epsilon(1e-6));
  CHECK(t.flops == doctest::Approx(8 * kTrainFlops));
  CHECK(t.bytes == doctest::Approx(2 * kBytes));
  // Trainer: idle 10 W while transferring, 20 W computing (one core, pstate 0).
  CHECK(t.energy_j == doctest::Approx(10 * (down + up) + 20 * compute).epsilon(1e-6));
  // Aggregator: 50 W idle the whole round, 100 W while aggregating.
  const NodeOutcome& a = r.node(0);
  CHECK(a.energy_j == doctest::Approx(50 * round + 50 * aggregate).epsilon(1e-6));
  CHECK(rec.energy_compute_j == doctest::Approx(t.energy_j + a.energy_j).epsilon(1e-9));
  // Link: 1 W idle all round, 3 W while a transfer is on it. SimGrid 3.32's link_energy plugin
  // counts a link as fully busy for a transfer's whole duration, its latency phase included.
  CHECK(rec.energy_network_j == doctest::Approx(1 * round + 2 * (down + up)).epsilon(1e-6));
  CHECK(rec.energy_total_j == doctest::Approx(rec.energy_compute_j + rec.energy_network_j));
  CHECK(rec.bytes_down == doctest::Approx(kBytes));
  CHECK(rec.bytes_up == doctest::Approx(kBytes));
}

TEST_CASE("engine: a lower DVFS state computes slower at its own wattage") {
  OneRound r(kOneTrainer, "", std::make_unique<PstatePolicy>(1));
  const double down = 0.010 + kBytes / 1e7, compute = 8 * kTrainFlops / 0.5e9;
  const NodeOutcome& t = r.node(1);
  CHECK(t.pstate == 1);
  CHECK(t.compute_s == doctest::Approx(compute).epsilon(1e-6));
  CHECK(t.energy_j == doctest::Approx(5 * 2 * down + 8 * compute).epsilon(1e-6));
}

TEST_CASE("engine: a multi-core trainer splits its work over all cores at all-cores power") {
  OneRound r(R"(
  <host id="t1" speed="1Gf" core="4"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:15:30"/></host>
  <link id="l1" bandwidth="10MBps" latency="10ms"/>
  <route src="agg" dst="t1"><link_ctn id="l1"/></route>
)");
  const double down = 0.010 + kBytes / 1e7, compute = 8 * kTrainFlops / 4e9;
  const NodeOutcome& t = r.node(1);
  CHECK(t.compute_s == doctest::Approx(compute).epsilon(1e-6));
  CHECK(t.energy_j == doctest::Approx(10 * 2 * down + 30 * compute).epsilon(1e-6));
  // No wattage_range on l1: its energy is not known, so nothing is counted for it.
  CHECK(r.cap.records[0].energy_network_j == 0.0);
}

TEST_CASE("engine: two trainers behind one shared link split its bandwidth") {
  OneRound r(R"(
  <host id="t1" speed="1Gf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20"/></host>
  <host id="t2" speed="1Gf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20"/></host>
  <link id="shared" bandwidth="10MBps" latency="10ms"/>
  <route src="agg" dst="t1"><link_ctn id="shared"/></route>
  <route src="agg" dst="t2"><link_ctn id="shared"/></route>
)");
  // Both downloads share 10 MB/s: each gets 5 MB/s. Same for both uploads.
  const double down = 0.010 + kBytes / 5e6, compute = 8 * kTrainFlops / 1e9;
  for (NodeId id : {NodeId{1}, NodeId{2}}) {
    CHECK(r.node(id).comm_s == doctest::Approx(2 * down).epsilon(1e-6));
    CHECK(r.node(id).compute_s == doctest::Approx(compute).epsilon(1e-6));
  }
  // Aggregation of two updates: 2 x 2 x 61,706 FLOPs on 2 Gf.
  CHECK(r.cap.records[0].end_s == doctest::Approx(2 * down + compute + 4 * 61706.0 / 2e9).epsilon(1e-6));
}

TEST_CASE("engine: a slow trainer is dropped by the round timeout and its energy still counts") {
  OneRound r(R"(
  <host id="fast" speed="1Gf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20"/></host>
  <host id="slow" speed="10Mf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20"/></host>
  <link id="lf" bandwidth="10MBps" latency="10ms"/>
  <link id="ls" bandwidth="10MBps" latency="10ms"/>
  <route src="agg" dst="fast"><link_ctn id="lf"/></route>
  <route src="agg" dst="slow"><link_ctn id="ls"/></route>
)",
             "round_timeout_s = 0.5\n");
  const double down = 0.010 + kBytes / 1e7;
  const double cut_compute = 0.5 - down; // the slow node computes from `down` until the timeout
  const NodeOutcome& slow = r.node(2);
  const NodeOutcome& fast = r.node(1);
  CHECK(fast.finished);
  CHECK_FALSE(slow.finished);
  CHECK(slow.trained);
  CHECK(slow.compute_s == doctest::Approx(cut_compute).epsilon(1e-6));
  CHECK(slow.flops == doctest::Approx(cut_compute * 1e7).epsilon(1e-6)); // work done, not planned
  CHECK(slow.bytes == doctest::Approx(kBytes));                          // the model only
  CHECK(slow.energy_j == doctest::Approx(10 * down + 20 * cut_compute).epsilon(1e-6));
  const RoundRecord& rec = r.cap.records[0];
  CHECK(rec.trainers_planned == 2);
  CHECK(rec.trainers_finished == 1);
  // The round ends at the timeout plus aggregating the one update received.
  CHECK(rec.end_s == doctest::Approx(0.5 + 2 * 61706.0 / 2e9).epsilon(1e-6));
  CHECK(rec.energy_compute_j ==
        doctest::Approx(fast.energy_j + slow.energy_j + r.node(0).energy_j).epsilon(1e-9));
  CHECK(rec.bytes_up == doctest::Approx(kBytes));
}

TEST_CASE("engine: a host without power properties has unknown energy, not zero") {
  OneRound r(R"(
  <host id="t1" speed="1Gf"><prop id="role" value="trainer"/></host>
  <link id="l1" bandwidth="10MBps" latency="10ms"/>
  <route src="agg" dst="t1"><link_ctn id="l1"/></route>
)");
  CHECK(std::isnan(r.node(1).energy_j));
  CHECK(r.cap.records[0].hosts_energy_unknown == 1);
  CHECK(r.cap.records[0].energy_compute_j == doctest::Approx(r.node(0).energy_j));
}

TEST_CASE("engine: an invalid plan from a policy is a clear error and not a crash") {
  TempDir dir;
  dir.write("p.xml", std::string(kHeader) + kOneTrainer + "</zone></platform>\n");
  const auto f = dir.write("s.toml", "[platform]\nfile = \"p.xml\"\n");
  Simulation sim(load_scenario(f), {}, false, std::make_unique<PstatePolicy>(7)); // t1 has 2 pstates
  try {
    sim.run({});
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) ==
          "policy 'fedavg' returned an invalid plan for round 1: node 't1': pstate 7 outside [0, 1]");
  }
}

TEST_CASE("engine: a multi-core trainer cut by the timeout reports the FLOPs it did") {
  OneRound r(R"(
  <host id="t1" speed="0.1Gf" core="4"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:15:30"/></host>
  <link id="l1" bandwidth="10MBps" latency="10ms"/>
  <route src="agg" dst="t1"><link_ctn id="l1"/></route>
)",
             "round_timeout_s = 0.05\n");
  const double down = 0.010 + kBytes / 1e7, computing = 0.05 - down;
  const NodeOutcome& t = r.node(1);
  CHECK_FALSE(t.finished);
  CHECK(t.flops == doctest::Approx(computing * 4 * 0.1e9).epsilon(1e-6)); // 4 cores of 0.1 Gf
  CHECK(t.energy_j == doctest::Approx(10 * down + 30 * computing).epsilon(1e-6));
}

TEST_CASE("engine: a trainer cut mid-upload reports the bytes that left and its link's energy") {
  OneRound r(R"(
  <host id="t1" speed="1Gf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20"/></host>
  <link id="l1" bandwidth="1MBps" latency="10ms"><prop id="wattage_range" value="1:3"/></link>
  <route src="agg" dst="t1"><link_ctn id="l1"/></route>
)",
             "round_timeout_s = 0.4\n");
  const double down = 0.010 + kBytes / 1e6, compute = 8 * kTrainFlops / 1e9;
  const double uploading = 0.4 - down - compute; // of which the first 10 ms are latency
  const double sent = (uploading - 0.010) * 1e6;
  const NodeOutcome& t = r.node(1);
  CHECK_FALSE(t.finished);
  CHECK(t.bytes_down == doctest::Approx(kBytes));
  CHECK(t.bytes_up == doctest::Approx(sent).epsilon(1e-6));
  CHECK(t.bytes == doctest::Approx(kBytes + sent).epsilon(1e-6));
  CHECK(t.comm_s == doctest::Approx(down + uploading).epsilon(1e-6));
  const RoundRecord& rec = r.cap.records[0];
  CHECK(rec.trainers_finished == 0);
  CHECK(rec.end_s == doctest::Approx(0.4)); // no update received: nothing to aggregate
  CHECK(rec.bytes_up == doctest::Approx(sent).epsilon(1e-6));
  CHECK(rec.energy_network_j == doctest::Approx(1 * 0.4 + 2 * (down + uploading)).epsilon(1e-6));
  CHECK(t.energy_j == doctest::Approx(10 * (down + uploading) + 20 * compute).epsilon(1e-6));
}

TEST_CASE("engine: a trainer returns to its platform pstate after the round") {
  OneRound r(kOneTrainer, "", std::make_unique<PstatePolicy>(1));
  CHECK(r.node(1).pstate == 1);
  CHECK(r.cap.pstates_after[1] == 0);
}

namespace {
// Records what a policy is shown, then ends the run.
class Peek final : public Policy {
public:
  explicit Peek(std::vector<NodeView>& seen, double* factors = nullptr) : seen_(seen), factors_(factors) {}
  RoundPlan decide(const RoundState& s) override {
    seen_.assign(s.nodes.begin(), s.nodes.end());
    if (factors_) factors_[0] = s.latency_factor, factors_[1] = s.bandwidth_factor;
    RoundPlan p;
    p.stop = true;
    return p;
  }

private:
  std::vector<NodeView>& seen_;
  double* factors_;
};
} // namespace

TEST_CASE("engine: policies see each node's bottleneck bandwidth including a WiFi station's own rate") {
  std::vector<NodeView> seen;
  double factors[2] = {0, 0};
  Simulation sim(load_scenario(testutil::source_dir() / "configs/quickstart.toml"), {}, false,
                 std::make_unique<Peek>(seen, factors));
  sim.run({});
  const auto find = [&](const std::string& host) {
    for (const NodeView& v : seen)
      if (v.host == host) return v;
    FAIL("no node " << host);
    return NodeView{};
  };
  // quickstart.xml: rpi4-3 at WiFi rate 2 (24 Mbit/s), rpi5-1 at rate 0 (250 Mbit/s), both
  // behind a 1 Gbit/s LAN; phone-mid-1 on LTE, 6 Mbit/s up and 13 down.
  CHECK(find("rpi4-3").up_bps == doctest::Approx(24e6 / 8));
  CHECK(find("rpi4-3").down_bps == doctest::Approx(24e6 / 8));
  CHECK(find("rpi5-1").up_bps == doctest::Approx(250e6 / 8));
  CHECK(find("phone-mid-1").up_bps == doctest::Approx(6e6 / 8));
  CHECK(find("phone-mid-1").down_bps == doctest::Approx(13e6 / 8));
  CHECK(find("rpi4-1").flops_peak == doctest::Approx(4 * 3.0e9)); // 4 cores of 3.0 Gf
  CHECK(find("rpi4-1").flops_per_pstate.size() == 4);
  // SimGrid's default LV08 network model: latency x 13.01, bandwidth x 0.97 (REFERENCES.md).
  CHECK(factors[0] == doctest::Approx(13.01));
  CHECK(factors[1] == doctest::Approx(0.97));
}

TEST_CASE("traces: a host at 50% speed takes twice the hand-computed compute time") {
  OneRound r(kOneTrainer, "", nullptr, "[host t1 speed]\n0 0.5\n");
  CHECK(r.node(1).compute_s == doctest::Approx(2 * 8 * kTrainFlops / 1e9).epsilon(1e-6));
  CHECK(r.node(1).flops == doctest::Approx(8 * kTrainFlops));
}

TEST_CASE("traces: a node switched off mid-round does not finish and is offline the next round") {
  // t1 goes off at 0.04 s, while computing (its download ends at 0.0347 s, compute lasts 0.02 s),
  // and never comes back; t2 trains normally. FedAvg only plans online nodes.
  OneRound r(two_trainers(R"(<prop id="wattage_off" value="1"/>)"), "", nullptr,
             "[host t1 state]\n0 1\n0.04 0\n", 2);
  const double down = 0.010 + kBytes / 1e7;
  const NodeOutcome& t1 = r.cap.outcomes[0].nodes[1];
  REQUIRE(t1.node == 1);
  CHECK(t1.trained);
  CHECK_FALSE(t1.finished);
  CHECK(t1.compute_s == doctest::Approx(0.04 - down).epsilon(1e-6));
  CHECK(t1.flops == doctest::Approx((0.04 - down) * 1e9).epsilon(1e-6));
  CHECK(t1.energy_j == doctest::Approx(10 * down + 20 * (0.04 - down)).epsilon(1e-6)); // until it failed
  CHECK(r.cap.records[0].trainers_finished == 1);
  // Round 2: only t2 is planned.
  CHECK(r.cap.records[1].trainers_planned == 1);
  CHECK(r.cap.outcomes[1].nodes.size() == 2); // the aggregator and t2
  CHECK(r.cap.outcomes[1].nodes[1].node == 2);
}

TEST_CASE("battery: a trainer's battery empties at the hand-computed time and the node stops") {
  // 0.0001 Wh = 0.36 J. The download (idle, 10 W) takes `down` s and uses 10 x down J; the rest
  // lasts (0.36 - 10 x down) / 20 s of computing at 20 W.
  OneRound r(two_trainers(R"(<prop id="battery_wh" value="0.0001"/>)"));
  const double down = 0.010 + kBytes / 1e7;
  const double computing = (0.36 - 10 * down) / 20;
  const NodeOutcome& t1 = r.node(1);
  CHECK_FALSE(t1.finished);
  CHECK(t1.compute_s == doctest::Approx(computing).epsilon(1e-6));
  CHECK(t1.energy_j == doctest::Approx(0.36).epsilon(1e-6)); // the whole battery
  CHECK(r.node(2).finished);
  CHECK(r.cap.records[0].trainers_finished == 1);
}

TEST_CASE("battery: an emptied node comes back when its charging window opens") {
  // t1 empties in round 1 (as in the test above), is offline while rounds of about 0.09 s go by,
  // and switches back on at 0.5 s when its charging window opens: from then on FedAvg plans it.
  OneRound r(two_trainers(R"(<prop id="battery_wh" value="0.0001"/><prop id="battery_charge_w" value="1"/>
    <prop id="battery_charge_windows" value="0.5-100"/><prop id="battery_charge_period" value="1000"/>)"),
             "", nullptr, "", 8);
  CHECK(r.cap.records[0].trainers_finished == 1);
  for (const RoundRecord& rec : r.cap.records) {
    CHECK_MESSAGE(rec.trainers_planned == (rec.start_s >= 0.5 ? 2 : 1 + (rec.round == 1 ? 1 : 0)),
                  "round " << rec.round);
    if (rec.start_s >= 0.5) CHECK(rec.trainers_finished == 2); // trains on the charger
  }
  CHECK(r.cap.records.back().start_s >= 0.5);
}

TEST_CASE("traces: a trainer behind a link that is off is offline and not planned") {
  OneRound r(two_trainers(), "", nullptr, "[link l1 state]\n0 0\n");
  CHECK(r.cap.records[0].trainers_planned == 1);
  CHECK(r.cap.outcomes[0].nodes[1].node == 2);
}

TEST_CASE("engine: trainer actors and their proxies get 64 KiB stacks") {
  // The whole suite passes at 8 KiB and overflows at 4 KiB (simgrid_config.hpp): 64 leaves room.
  Simulation sim(load_scenario(testutil::source_dir() / "configs/quickstart.toml"), {}, false);
#ifdef EDGETRAIN_SANITIZED_TESTS
  CHECK(round_actor_stack_kib() == 1024); // a sanitizer build's frames are larger
#else
  CHECK(round_actor_stack_kib() == 64);
#endif
}

TEST_CASE("engine: trainer actors and their proxies get the contexts/stack-size a user gives") {
  Simulation sim(load_scenario(testutil::source_dir() / "configs/quickstart.toml"), {"--cfg=contexts/stack-size:96"},
                 false);
  CHECK(round_actor_stack_kib() == 96);
}
