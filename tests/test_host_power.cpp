// Host power as SimGrid 3.32 reads wattage_per_state: Idle:Epsilon:AllCores per pstate, k of n
// cores busy drawing Epsilon + (AllCores - Epsilon) x k / n (src/plugins/host_energy.cpp). One
// round on a tiny platform under CM02 without crosstraffic (a transfer of S bytes on one link takes
// latency + S / bandwidth), joules worked out by hand from the platform's figures.
#include "simulator/engine/simulation.hpp"
#include "simulator/platform/catalog.hpp"

#include "test_util.hpp"

#include <doctest/doctest.h>

using namespace edgetrain;

namespace {

constexpr double kBytes = 61706.0 * 4;    // LeNet-5, float32
constexpr double kTrainFlops = 2263920.0; // LeNet-5, per sample (see test_cost_model)

// A 4-core aggregator (Idle 20, Epsilon 40, AllCores 100 W) and a 4-core trainer (10, 15, 30 W)
// behind one unmetered 10 MB/s, 10 ms link.
const char* kPlatform = R"(<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
<zone id="z" routing="Full">
  <host id="agg" speed="2Gf" core="4"><prop id="role" value="aggregator"/><prop id="wattage_per_state" value="20:40:100"/></host>
  <host id="t1" speed="1Gf" core="4"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:15:30"/></host>
  <link id="l1" bandwidth="10MBps" latency="10ms"/>
  <route src="agg" dst="t1"><link_ctn id="l1"/></route>
</zone></platform>
)";

struct Rows final : RunObserver {
  std::vector<RoundOutcome> outcomes;
  void on_round(const RoundRecord&, const RoundOutcome& o, const std::vector<NodeView>&) override {
    outcomes.push_back(o);
  }
};

} // namespace

TEST_CASE("host power: one busy core of four draws Epsilon + (AllCores - Epsilon) / 4, four draw AllCores") {
  testutil::TempDir dir;
  dir.write("p.xml", kPlatform);
  const auto f = dir.write("s.toml", "[platform]\nfile = \"p.xml\"\n"
                                     "simgrid_cfg = [\"network/model:CM02\", \"network/crosstraffic:0\"]\n"
                                     "[training]\nlocal_steps = 2\nbatch = 4\nmax_rounds = 1\n");
  Simulation sim(load_scenario(f), {}, false);
  Rows rows;
  sim.run({&rows});
  REQUIRE(rows.outcomes.size() == 1);
  const RoundOutcome& o = rows.outcomes[0];
  const double down = 0.010 + kBytes / 1e7, up = down;
  const double compute = 8 * kTrainFlops / 4e9;  // 8 samples spread over 4 cores of 1 Gf
  const double aggregate = 2 * 61706.0 / 2e9;    // one actor: ONE core of 2 Gf
  const double round = down + compute + up + aggregate;
  REQUIRE(o.end_s - o.start_s == doctest::Approx(round).epsilon(1e-9));
  // Aggregator: idle 20 W until the update is in, then 1 of 4 cores busy: 40 + (100 - 40) / 4 = 55 W.
  // (Read as "one core busy", the middle figure would give 40 W.)
  CHECK(o.nodes[0].energy_j == doctest::Approx(20 * (round - aggregate) + 55 * aggregate).epsilon(1e-9));
  // Trainer: idle 10 W while transferring, all 4 cores busy while computing: AllCores, 30 W.
  CHECK(o.nodes[1].energy_j == doctest::Approx(10 * (down + up) + 30 * compute).epsilon(1e-9));
}

TEST_CASE("host power: the catalog's Epsilon figures give back the one-core-busy figures they came from") {
  // P1 = Epsilon + (AllCores - Epsilon) / n must be the one-core-busy watts the catalog's comments
  // derive Epsilon from (Epsilon = (n P1 - AllCores) / (n - 1)), pstate 0, to the catalog's rounding.
  const Catalog c = load_catalog(default_catalog_path());
  const struct {
    const char* device;
    double one_core_busy;
  } cases[] = {{"rpi4", 4.06}, {"rpi5", 5.04}, {"phone-mid", 2.30}, {"phone-flagship", 4.47},
               {"laptop", 13.80}, {"edge-server", 119.50}};
  for (const auto& k : cases) {
    CAPTURE(k.device);
    const DeviceClass& d = c.devices.at(k.device);
    const double e = d.watts_epsilon[0], all = d.watts_all_cores[0];
    CHECK(e + (all - e) / d.cores == doctest::Approx(k.one_core_busy).epsilon(0.005));
  }
  // One-core hosts (GPUs): Epsilon = Idle (EST, see the catalog's header).
  for (const char* gpu : {"jetson-nano", "jetson-xavier-nx", "jetson-orin-nano", "cloud-gpu"})
    CHECK(c.devices.at(gpu).watts_epsilon == c.devices.at(gpu).watts_idle);
}
