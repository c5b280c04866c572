// Federated Dropout (Caldas et al. 2018) as the trained process plays it, Compression::Mode::Submodel:
// one random sub-model per node and round, trained at every mini-batch, averaged back over the
// clients that held each parameter; and a whole quickstart run moving only the sub-model's bytes.
#include "simulator/common/rng.hpp"
#include "simulator/learning/cost_model.hpp"
#include "simulator/learning/local_units.hpp"
#include "simulator/learning/nn/masked_average.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

using namespace edgetrain;

namespace {
Layer flatten() {
  return {LayerKind::Flatten, "flatten", 0, 1, 1, 0, false};
}
Layer dense(const char* name, int out, bool prunable) {
  return {LayerKind::Dense, name, out, 1, 1, 0, prunable};
}
// 3 inputs -> 8 hidden units (prunable) -> 6 hidden (prunable) -> 2 outputs: small enough to
// follow unit by unit, with two slots so that a draw per slot shows.
ModelDescriptor tiny() {
  return {"tiny", 1, 1, 3, 2, {flatten(), dense("h1", 8, true), dense("h2", 6, true), dense("o", 2, false)}};
}
const Compression kHalf{{0.5, 0.5}, 32, Compression::Mode::Submodel};

// The selections of `steps` mini-batches of one node's round under `c`.
std::vector<nn::Selection> steps_of(const nn::NetShape& shape, const nn::Selection& alive,
                                    const Compression& c, NodeId node, int round, int steps = 6) {
  LocalUnits units(shape, alive, 11, node, round);
  Rng step_rng(11, "steps");
  std::vector<nn::Selection> out;
  for (int i = 0; i < steps; ++i)
    out.push_back(units.next(c, step_rng));
  return out;
}
} // namespace

TEST_CASE("fed-dropout: a node trains one random sub-model for its whole round") {
  const nn::NetShape shape = nn::net_shape(tiny());
  const nn::Selection alive = nn::Selection::all(shape);
  const auto round1 = steps_of(shape, alive, kHalf, 1, 1);
  // Half of each layer (4 of 8, 3 of 6), the same units at every mini-batch.
  REQUIRE(round1[0].kept.size() == 2);
  CHECK(round1[0].kept[0].size() == 4);
  CHECK(round1[0].kept[1].size() == 3);
  CHECK(round1[0].scale == std::vector<float>{2.0f, 2.0f}); // inverted dropout, as nn::Selection does
  for (const nn::Selection& s : round1)
    CHECK(s.kept == round1[0].kept);
  // Not merely the first units (HeteroFL's nested sub-model), and drawn again for another node or
  // round; the same again for the same node and round (seeded).
  std::set<std::vector<std::vector<int>>> draws;
  for (NodeId node : {NodeId{1}, NodeId{2}, NodeId{3}})
    for (int round : {1, 2, 3})
      draws.insert(steps_of(shape, alive, kHalf, node, round, 1)[0].kept);
  CHECK(draws.size() >= 8); // 9 draws of 70 x 20 possible ones: collisions are rare, none here
  CHECK(steps_of(shape, alive, kHalf, 2, 3, 1)[0].kept == steps_of(shape, alive, kHalf, 2, 3, 1)[0].kept);
  // DISTREAL's dropout at the same keep draws anew each mini-batch: the modes differ.
  Compression per_batch = kHalf;
  per_batch.mode = Compression::Mode::Dropout;
  const auto dropped = steps_of(shape, alive, per_batch, 1, 1);
  CHECK(dropped[0].kept != dropped[1].kept);
}

TEST_CASE("fed-dropout: a sub-model is drawn among the units pruning left") {
  const nn::NetShape shape = nn::net_shape(tiny());
  nn::Selection alive = nn::Selection::all(shape);
  alive.kept[0] = {0, 2, 4, 6}; // odd units of h1 pruned for good
  const auto s = steps_of(shape, alive, kHalf, 1, 1);
  CHECK(s[0].kept[0].size() == 4); // round(8 x 0.5) = 4 of the 4 alive
  CHECK(s[0].kept[0] == alive.kept[0]);
}

TEST_CASE("fed-dropout: two clients' sub-models averaged back, untouched parameters keep the global value") {
  // Two clients train their own sub-model for 4 real SGD steps, weighted 1 and 3 in the average.
  const nn::NetShape shape = nn::net_shape(tiny());
  const nn::Selection alive = nn::Selection::all(shape);
  Rng init(5, "init"), data(5, "data");
  const nn::Params global = nn::Params::init(shape, init);
  nn::Trainer trainer(shape);
  nn::MaskedAverage avg(shape);
  std::vector<nn::Params> local;
  std::vector<nn::Selection> held;
  for (NodeId node : {NodeId{1}, NodeId{2}}) {
    LocalUnits units(shape, alive, 9, node, 1);
    Rng step_rng(9, "steps");
    nn::Params p = global, velocity = nn::Params::zeros(shape);
    for (int step = 0; step < 4; ++step) {
      Eigen::MatrixXf x(5, 3);
      for (Eigen::Index j = 0; j < 3; ++j)
        for (Eigen::Index i = 0; i < 5; ++i)
          x(i, j) = static_cast<float>(data.normal());
      const nn::Selection& s = units.next(kHalf, step_rng);
      if (step == 0) held.push_back(s); // the round's one sub-model (the first test)
      trainer.step(p, velocity, x, {0, 1, 0, 1, 1}, s, {0.1, 0.5, 0, 0});
    }
    avg.add(p, units.touched(), node == 1 ? 1.0 : 3.0);
    local.push_back(std::move(p));
  }
  const nn::Params out = avg.result(global);
  const auto holds = [&](std::size_t client, int slot, int unit) {
    const auto& k = held[client].kept[static_cast<std::size_t>(slot)];
    return std::find(k.begin(), k.end(), unit) != k.end();
  };
  // h1's weights and biases: row u is held by the clients whose sub-model has unit u of h1.
  int untouched = 0, shared = 0, alone = 0;
  for (int u = 0; u < 8; ++u) {
    const bool a = holds(0, 0, u), b = holds(1, 0, u);
    const float got = out.b[0](u), g = global.b[0](u), va = local[0].b[0](u), vb = local[1].b[0](u);
    if (!a && !b) {
      CHECK(got == g); // no client held it: the global value, bit for bit
      CHECK(out.w[0].row(u) == global.w[0].row(u));
      ++untouched;
    } else if (a && b) {
      CHECK(got == doctest::Approx((1 * va + 3 * vb) / 4.0f));
      ++shared;
    } else {
      CHECK(got == doctest::Approx(a ? va : vb)); // one holder: its value, whatever the other did
      alone += (a ? va : vb) != g;                // it moved (a unit whose ReLU stayed off would not)
    }
  }
  // h2's weight (v, u) is held by a client that has both unit v of h2 and unit u of h1.
  for (int v = 0; v < 6; ++v)
    for (int u = 0; u < 8; ++u)
      if (!(holds(0, 1, v) && holds(0, 0, u)) && !(holds(1, 1, v) && holds(1, 0, u)))
        CHECK(out.w[1](v, u) == global.w[1](v, u));
  // Two draws of 4 of 8 units leave, for these seeds, some units to both and some to none.
  CHECK(untouched > 0);
  CHECK(shared > 0);
  CHECK(alone > 0);
  // Parameters a client's sub-model did not hold stay at the global value in its own update too.
  for (int u = 0; u < 8; ++u)
    if (!holds(0, 0, u)) CHECK(local[0].b[0](u) == global.b[0](u));
}

TEST_CASE("fed-dropout: a quickstart run moves each trainer's sub-model, not the whole model") {
  // LeNet-5 at keep 0.75 has 35,105 parameters (test_cost_model.cpp): 140,420 B down, 140,420 B up
  // at 32 bits, and 20 steps x 32 samples x 1,491,800 FLOPs = 954,752,000 FLOPs of training.
  // FedAvg moves 61,706 x 4 = 246,824 B each way.
  testutil::TempDir d;
  const testutil::Proc p =
      testutil::run_edgetrain("run " + testutil::quickstart() +
                                  " --set policy.name=fed-dropout --set training.max_rounds=2 --out out "
                                  "--no-progress",
                              d.path());
  REQUIRE(p.code == 0);
  const auto rounds = testutil::csv_rows(testutil::read(d.path() / "out/rounds.csv"));
  REQUIRE(rounds.size() == 2);
  for (const auto& r : rounds) { // round, ..., trainers_planned (3), trainers_finished (4), ..., bytes_down
                                 // (10), bytes_up (11)
    const double trainers = std::stod(r[3]);
    CHECK(trainers > 0);
    CHECK(r[4] == r[3]);
    CHECK(std::stod(r[10]) == trainers * 140420);
    CHECK(std::stod(r[11]) == trainers * 140420);
  }
  int trained = 0;
  for (const auto& n : testutil::csv_rows(testutil::read(d.path() / "out/nodes.csv")))
    if (n[4] == "1") { // trained: flops (8), bytes down + up (9), keep_mean (12)
      ++trained;
      CHECK(std::stod(n[8]) == doctest::Approx(954752000.0));
      CHECK(std::stod(n[9]) == 2 * 140420);
      CHECK(std::stod(n[12]) == doctest::Approx(0.75));
    }
  CHECK(trained == std::stoi(rounds[0][3]) + std::stoi(rounds[1][3]));
}
