// FedProx's proximal term (Li et al. 2020): the trainer adds mu x (w - w_global) to the gradient
// of the parameters it trains, and fedprox-partial's mu reaches the trained process.
#include "simulator/common/rng.hpp"
#include "simulator/learning/nn/trainer.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace edgetrain;
using namespace edgetrain::nn;

TEST_CASE("trainer: the proximal term pulls the trained parameters towards the anchor, by hand") {
  // 3 inputs -> 4 hidden (prunable) -> 2 outputs; half the hidden units trained.
  const ModelDescriptor m{"prox",
                          1,
                          1,
                          3,
                          2,
                          {{LayerKind::Flatten, "flatten", 0, 1, 1, 0, false},
                           {LayerKind::Dense, "h", 4, 1, 1, 0, true},
                           {LayerKind::Dense, "o", 2, 1, 1, 0, false}}};
  const NetShape shape = net_shape(m);
  Rng rng(3, "prox");
  const Params start = Params::init(shape, rng), anchor = Params::init(shape, rng);
  Eigen::MatrixXf x(4, 3);
  for (Eigen::Index j = 0; j < 3; ++j)
    for (Eigen::Index i = 0; i < 4; ++i)
      x(i, j) = static_cast<float>(rng.normal());
  const std::vector<int> y = {0, 1, 1, 0};
  Selection half = Selection::all(shape);
  half.kept[0] = {1, 2};
  Trainer t(shape);
  // One step from zero velocity: w' = w - lr (g + wd w + mu (w - anchor)). With and without mu
  // the data gradient g is the same (same w, same batch), so the two results differ by exactly
  // lr x mu x (w - anchor) on every trained parameter, and not at all elsewhere.
  const double lr = 0.1, mu = 0.5;
  const auto step = [&](double prox) {
    Params p = start, v = Params::zeros(shape);
    t.step(p, v, x, y, half, {lr, 0.9, 5e-4, 0, prox}, &anchor);
    return p;
  };
  const Params plain = step(0), prox = step(mu);
  for (int u = 0; u < 4; ++u) {
    const bool trained = u == 1 || u == 2;
    const float pull = static_cast<float>(lr * mu) * (start.b[0](u) - anchor.b[0](u));
    CHECK(prox.b[0](u) == doctest::Approx(plain.b[0](u) - (trained ? pull : 0.0f)).epsilon(1e-5));
    for (int j = 0; j < 3; ++j) {
      const float wpull = static_cast<float>(lr * mu) * (start.w[0](u, j) - anchor.w[0](u, j));
      CHECK(prox.w[0](u, j) == doctest::Approx(plain.w[0](u, j) - (trained ? wpull : 0.0f)).epsilon(1e-5));
    }
    if (!trained) CHECK(prox.b[0](u) == start.b[0](u)); // untrained units do not move at all
  }
  // The output layer's bias is trained by every sub-model.
  CHECK(prox.b[1](0) ==
        doctest::Approx(plain.b[1](0) - static_cast<float>(lr * mu) * (start.b[1](0) - anchor.b[1](0)))
            .epsilon(1e-5));
  Params p = start, v = Params::zeros(shape);
  CHECK_THROWS_AS(t.step(p, v, x, y, half, {lr, 0.9, 0, 0, mu}), std::invalid_argument); // no anchor
}

TEST_CASE("fedprox-partial: mu reaches the trained process") {
  // Two trained rounds on the quickstart: mu 0 is plain partial work; the default mu (0.01) pulls
  // every update towards the global model and so gives another loss.
  const auto loss = [](const std::string& mu) {
    testutil::TempDir d;
    const testutil::Proc p = testutil::run_edgetrain(
        "run " + testutil::quickstart() +
            " --set policy.name=fedprox-partial --set learning.process=trained --set training.max_rounds=2"
            " --set learning.trained.eval_samples=300 --out out --no-progress" +
            (mu.empty() ? "" : " --set policy.fedprox-partial.mu=" + mu),
        d.path());
    REQUIRE(p.code == 0);
    const auto rounds = testutil::csv_rows(testutil::read(d.path() / "out/rounds.csv"));
    REQUIRE(rounds.size() == 2);
    return rounds[1][5];
  };
  CHECK(loss("0.0") != loss(""));
}
