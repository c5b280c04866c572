// Devices that choose their compression during the round (DISTREAL): the engine runs their local
// training one mini-batch at a time and asks before each; a speed trace that drops mid-round is
// seen at the next mini-batch. Checked against times worked out by hand on one trainer at 1 GF/s
// behind a 10 MB/s, 10 ms link, under CM02 (a transfer of S bytes takes latency + S / bandwidth).
#include "simulator/engine/simulation.hpp"
#include "simulator/learning/cost_model.hpp"

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

using namespace edgetrain;
using testutil::TempDir;

namespace {

constexpr double kBytes = 61706.0 * 4;    // LeNet-5, float32
constexpr double kTrainFlops = 2263920.0; // LeNet-5, per sample (see test_cost_model)
constexpr double kDown = 0.010 + kBytes / 1e7;

const char* kPlatform = R"(<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
<zone id="z" routing="Full">
  <host id="agg" speed="2Gf"><prop id="role" value="aggregator"/><prop id="wattage_per_state" value="50:100"/></host>
  <host id="t1" speed="1Gf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20"/></host>
  <link id="l1" bandwidth="10MBps" latency="10ms"/>
  <route src="agg" dst="t1"><link_ctn id="l1"/></route>
</zone></platform>
)";

std::vector<double> keep_all(double k) {
  ModelDescriptor m;
  REQUIRE(find_model("lenet5", m));
  return std::vector<double>(m.prunable_count(), k);
}

double step_flops(double keep, int batch) { // one mini-batch of LeNet-5 at `keep` on every layer
  ModelDescriptor m;
  REQUIRE(find_model("lenet5", m));
  return model_cost(m, Compression{keep_all(keep), 32, Compression::Mode::Dropout}).train_flops * batch;
}

struct Capture final : RunObserver {
  std::vector<RoundOutcome> outcomes;
  void on_round(const RoundRecord&, const RoundOutcome& o, const std::vector<NodeView>&) override {
    outcomes.push_back(o);
  }
};

// Runs one round of `policy` (or the scenario's own when null) with t1's speed trace `trace`.
struct OneRound {
  TempDir dir;
  Capture cap;
  OneRound(const std::string& trace, const std::string& training, std::unique_ptr<Policy> policy,
           const std::string& extra = "", const std::string& pareto = "") {
    dir.write("p.xml", kPlatform);
    dir.write("pareto.csv", pareto);
    dir.write("t.trace", "[host t1 speed]\n" + trace);
    const auto f = dir.write("s.toml", "[platform]\nfile = \"p.xml\"\ntraces = [\"t.trace\"]\n"
                                       "simgrid_cfg = [\"network/model:CM02\", \"network/crosstraffic:0\"]\n"
                                       "[training]\nmax_rounds = 1\n" +
                                           training + extra);
    Simulation sim(load_scenario(f), {}, false, std::move(policy));
    sim.run({&cap});
    REQUIRE(cap.outcomes.size() == 1);
    REQUIRE(cap.outcomes[0].nodes.size() == 2);
  }
  [[nodiscard]] const NodeOutcome& t1() const { return cap.outcomes[0].nodes[1]; }
};

// Option 0 (the whole model, under dropout) while t1 has at least 0.9 GF/s, option 1 (half of
// every layer) below; records what it was told.
struct SpeedChooser final : DeviceChooser {
  std::shared_ptr<std::vector<DeviceNow>> seen = std::make_shared<std::vector<DeviceNow>>();
  std::size_t bad = 0; // > 0: answers this out-of-range index
  [[nodiscard]] std::size_t choose(const DeviceNow& n) const override {
    seen->push_back(n);
    if (bad > 0) return bad;
    return n.flops_now >= 0.9e9 ? 0 : 1;
  }
};

class ChooserPolicy final : public Policy {
public:
  explicit ChooserPolicy(std::shared_ptr<SpeedChooser> c, double timeout, bool pruned_option = false)
      : c_(std::move(c)), timeout_(timeout), pruned_option_(pruned_option) {}
  RoundPlan decide(const RoundState& s) override {
    RoundPlan p;
    p.round_timeout_s = timeout_;
    Assignment a = full_model_assignment(s, 1, 4, 4);
    a.compression = Compression{keep_all(1), 32, Compression::Mode::Dropout};
    a.options = {a.compression,
                 Compression{keep_all(0.5), 32,
                             pruned_option_ ? Compression::Mode::Prune : Compression::Mode::Dropout}};
    a.chooser = c_;
    p.trainers.push_back(a);
    return p;
  }

private:
  std::shared_ptr<SpeedChooser> c_;
  double timeout_;
  bool pruned_option_; // a pruned (not dropout) option: a different download, not allowed
};

} // namespace

TEST_CASE("device choice: a speed drop mid-mini-batch is seen at the next one, at the hand-computed times") {
  // 4 mini-batches of 4 samples. At 1 GF/s each whole-model one takes 4 x kTrainFlops / 1e9 s. The
  // speed falls to 0.25 at 0.048 s, during the second: its last (0.0528 - 0.048) s of work then
  // takes 4 times longer. The third and fourth run the half model at 0.25 GF/s.
  auto chooser = std::make_shared<SpeedChooser>();
  OneRound r("0 1\n0.048 0.25\n", "", std::make_unique<ChooserPolicy>(chooser, 1.0));
  const double full = step_flops(1, 4), half = step_flops(0.5, 4);
  CHECK(full == doctest::Approx(4 * kTrainFlops));
  const double t1 = kDown + full / 1e9, t2_at_full = t1 + full / 1e9;
  const double t2 = 0.048 + (t2_at_full - 0.048) * 4;
  const double t4 = t2 + 2 * half / 0.25e9;
  const NodeOutcome& o = r.t1();
  CHECK(o.finished);
  CHECK(o.step_option == std::vector<std::size_t>{0, 0, 1, 1});
  CHECK(o.compute_s == doctest::Approx(t4 - kDown).epsilon(1e-6));
  CHECK(o.flops == doctest::Approx(2 * full + 2 * half));
  CHECK(o.keep_mean == doctest::Approx(0.75));
  CHECK(o.bytes == doctest::Approx(2 * kBytes)); // dropout moves the whole model both ways
  // What the device was told before each mini-batch.
  const std::vector<DeviceNow>& seen = *chooser->seen;
  REQUIRE(seen.size() == 4);
  const double starts[] = {kDown, t1, t2, t2 + half / 0.25e9};
  const double speeds[] = {1e9, 1e9, 0.25e9, 0.25e9};
  for (std::size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK(seen[i].steps_done == static_cast<int>(i));
    CHECK(seen[i].steps_left == 4 - static_cast<int>(i));
    CHECK(seen[i].seconds_left == doctest::Approx(1.0 - starts[i]).epsilon(1e-6));
    CHECK(seen[i].flops_now == doctest::Approx(speeds[i]));
    CHECK(seen[i].current == (i < 3 ? 0 : 1));
  }
}

TEST_CASE("device choice: a trainer cut by the timeout mid-mini-batch reports the FLOPs it did") {
  // Timeout at 0.07 s, in the third mini-batch (the half model, at 0.25 GF/s since 0.048 s).
  auto chooser = std::make_shared<SpeedChooser>();
  OneRound r("0 1\n0.048 0.25\n", "", std::make_unique<ChooserPolicy>(chooser, 0.07));
  const double full = step_flops(1, 4);
  const double t1 = kDown + full / 1e9, t2 = 0.048 + (t1 + full / 1e9 - 0.048) * 4;
  REQUIRE(t2 < 0.07);
  REQUIRE(t2 + step_flops(0.5, 4) / 0.25e9 > 0.07);
  const NodeOutcome& o = r.t1();
  CHECK_FALSE(o.finished);
  CHECK(o.flops == doctest::Approx(2 * full + (0.07 - t2) * 0.25e9).epsilon(1e-6));
  CHECK(o.compute_s == doctest::Approx(0.07 - kDown).epsilon(1e-6));
}

TEST_CASE("device choice error: a chooser answering an option that does not exist is a clear error") {
  auto chooser = std::make_shared<SpeedChooser>();
  chooser->bad = 5;
  try {
    OneRound r("0 1\n", "", std::make_unique<ChooserPolicy>(chooser, 1.0));
    FAIL("no error");
  } catch (const std::logic_error& e) {
    CHECK(std::string(e.what()) == "node 't1': the device chooser picked option 5 of 2");
  }
}

TEST_CASE("device choice error: an option that would change what the device downloads is refused") {
  try {
    OneRound r("0 1\n", "", std::make_unique<ChooserPolicy>(std::make_shared<SpeedChooser>(), 1.0, true));
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) ==
          "policy 'fedavg' returned an invalid plan for round 1: node 't1': option 1 is "
          "not a dropout compression with the assignment's bits");
  }
}

TEST_CASE("distreal: a device picks again when its speed drops mid-round, by its rule worked out here") {
  // Three Pareto vectors; 10 mini-batches of 4; a 0.2 s budget with a 10% margin. The rule: before
  // each mini-batch, the fastest-converging vector whose remaining mini-batches at the speed it
  // has now, plus the upload (latency + bytes / bandwidth, as long as the download took here), fit
  // in the time left less 0.1 x the budget.
  const double keeps[] = {1.0, 0.5, 0.25}, speeds[] = {1.0, 0.6, 0.3};
  std::string table = "keep_conv1,keep_conv2,keep_fc1,keep_fc2,flops_per_batch,speed,speed_low,speed_high,seeds,source\n";
  for (int v = 0; v < 3; ++v) {
    for (double k : keep_all(keeps[v]))
      table += fmt::format("{},", k);
    // a mini-batch's FLOPs (the policy recomputes them at the scenario's batch); speed, its
    // interval (unused by the rule), seeds
    table += fmt::format("{},{},{},{},0,predictor\n", step_flops(keeps[v], 4), speeds[v], speeds[v], speeds[v]);
  }
  const double drop_at = 0.06, budget = 0.2, upload = kDown;
  const auto speed_at = [&](double t) { return t < drop_at ? 1e9 : 0.25e9; };
  // The rule, step by step, on the speed trace.
  std::vector<std::size_t> expect;
  double t = kDown, flops = 0;
  for (int step = 0; step < 10; ++step) {
    std::size_t pick = 2; // the cheapest when none fits
    for (std::size_t v = 0; v < 3; ++v)
      if ((10 - step) * step_flops(keeps[v], 4) / speed_at(t) <= (budget - t) - 0.1 * budget - upload) {
        pick = v;
        break;
      }
    expect.push_back(pick);
    const double w = step_flops(keeps[pick], 4);
    flops += w;
    const double at_full = w / speed_at(t); // the work done before the drop, then the rest at 0.25
    t = (t < drop_at && t + at_full > drop_at) ? drop_at + (w - (drop_at - t) * 1e9) / 0.25e9 : t + at_full;
  }
  REQUIRE(expect.front() == 0);
  REQUIRE(expect.back() != 0);  // the case is worth testing: it does switch
  REQUIRE(t + upload < budget); // and it makes the budget

  OneRound r("0 1\n0.06 0.25\n", "local_steps = 10\nbatch = 4\n", nullptr,
             "[policy]\nname = \"distreal\"\n[policy.distreal]\nround_s = 0.2\npareto = \"pareto.csv\"\n",
             table);
  const NodeOutcome& o = r.t1();
  CHECK(o.finished);
  // Its first pick is the fastest-converging vector, so its options are the table in speed order.
  CHECK(o.step_option == expect);
  CHECK(o.flops == doctest::Approx(flops));
  CHECK(o.compute_s == doctest::Approx(t - kDown).epsilon(1e-6));
}
