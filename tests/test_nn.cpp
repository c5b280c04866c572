// The Eigen trainer: gradients against finite differences, FLOPs against the cost model, masked
// averaging by hand, learning a separable problem, determinism.
#include "simulator/common/rng.hpp"
#include "simulator/learning/cost_model.hpp"
#include "simulator/learning/nn/masked_average.hpp"
#include "simulator/learning/nn/trainer.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace edgetrain;
using namespace edgetrain::nn;

namespace {
Layer conv(const char* name, int out, int kernel, int stride, int pad) {
  return {LayerKind::Conv2d, name, out, kernel, stride, pad, true};
}
Layer pool(int k) {
  return {LayerKind::MaxPool2d, "pool", 0, k, k, 0, false};
}
Layer flatten() {
  return {LayerKind::Flatten, "flatten", 0, 1, 1, 0, false};
}
Layer dense(const char* name, int out, bool prunable) {
  return {LayerKind::Dense, name, out, 1, 1, 0, prunable};
}

// Every layer type: padded and strided convolutions, pooling, flatten, hidden and output dense.
ModelDescriptor tiny_cnn() {
  return {"tiny-cnn",
          2,
          8,
          8,
          3,
          {conv("c1", 3, 3, 1, 1), pool(2), conv("c2", 4, 3, 2, 1), flatten(), dense("f1", 5, true),
           dense("f2", 3, false)}};
}

ModelDescriptor catalog(const char* name) {
  ModelDescriptor m;
  REQUIRE(find_model(name, m));
  return m;
}

Eigen::MatrixXf random_inputs(Rng& rng, Eigen::Index n, Eigen::Index d) {
  Eigen::MatrixXf x(n, d);
  for (Eigen::Index j = 0; j < d; ++j)
    for (Eigen::Index i = 0; i < n; ++i)
      x(i, j) = static_cast<float>(rng.normal());
  return x;
}

// Central differences of the selected sub-network's loss, for every parameter.
void check_gradient(const ModelDescriptor& model, const Selection* sel) {
  const NetShape shape = net_shape(model);
  Rng rng(7, "gradcheck");
  Params p = Params::init(shape, rng);
  for (auto& b : p.b)
    for (Eigen::Index i = 0; i < b.size(); ++i)
      b(i) = static_cast<float>(0.1 * rng.normal());
  const Eigen::MatrixXf x = random_inputs(rng, 6, shape.input_size());
  const std::vector<int> y = {0, 1, 2, 1, 0, 2};
  const Selection s = sel ? *sel : Selection::all(shape);
  Trainer t(shape);
  Params grad;
  t.gradient(p, x, y, s, grad);
  const auto loss = [&](const Params& q) { return t.evaluate(q, x, y, s).loss; };
  const float eps = 1e-3f;
  int checked = 0, zero_outside = 0, kinks = 0;
  double worst = 0;
  for (std::size_t l = 0; l < p.w.size(); ++l) {
    const auto probe = [&](float& v, float g) {
      const float old = v;
      const double at = loss(p);
      v = old + eps;
      const double up = loss(p);
      v = old - eps;
      const double down = loss(p);
      v = old;
      const double e = static_cast<double>(eps), a = static_cast<double>(g);
      const auto off = [&](double numeric) { return std::abs(numeric - a) / (1e-3 + std::abs(numeric)); };
      const double central = off((up - down) / (2 * e));
      // A ReLU or max-pooling kink within eps spoils the central difference: then the analytic
      // gradient must match the one-sided difference on the side without the kink.
      const double one_sided = std::min(off((up - at) / e), off((at - down) / e));
      if (central > 0.02) ++kinks;
      worst = std::max(worst, std::min(central, one_sided));
      if (g == 0.0f && up == down) ++zero_outside;
      ++checked;
    };
    for (Eigen::Index j = 0; j < p.w[l].cols(); ++j)
      for (Eigen::Index i = 0; i < p.w[l].rows(); ++i)
        probe(p.w[l](i, j), grad.w[l](i, j));
    for (Eigen::Index i = 0; i < p.b[l].size(); ++i)
      probe(p.b[l](i), grad.b[l](i));
  }
  CHECK(checked == p.count());
  // Float differences of a smooth-almost-everywhere loss: within 2%; kinks are few.
  CHECK(worst < 0.02);
  CHECK(kinks <= checked / 20);
  if (sel) CHECK(zero_outside > 0); // the dropped units have exactly zero gradient and no effect
}
} // namespace

TEST_CASE("trainer: gradients match finite differences for every layer type") {
  check_gradient(tiny_cnn(), nullptr);
}

TEST_CASE("trainer: a sub-network's gradient matches finite differences and is zero elsewhere") {
  const NetShape shape = net_shape(tiny_cnn());
  Selection s;
  s.kept = {{0, 2}, {1, 3}, {0, 1, 4}};
  check_gradient(tiny_cnn(), &s);
  s.scale = {1.5f, 2.0f, 5.0f / 3.0f}; // inverted-dropout scales on the kept units' outputs
  check_gradient(tiny_cnn(), &s);
  // Every weight of a dropped unit, and every weight reading a dropped unit, has zero gradient.
  Rng rng(3, "x");
  Params p = Params::init(shape, rng), grad;
  Trainer t(shape);
  t.gradient(p, random_inputs(rng, 4, shape.input_size()), {0, 1, 2, 0}, s, grad);
  CHECK(grad.w[0].row(1).isZero());
  CHECK(grad.b[0](1) == 0.0f);
  CHECK(grad.w[1].middleCols(1 * 9, 9).isZero()); // c2 reads c1's unit 1: 9 columns per unit
  CHECK(grad.w[1].row(0).isZero());
  CHECK(grad.w[2].middleCols(0, 4).isZero()); // f1 reads c2's unit 0: a 2x2 block of features
  CHECK(grad.w[3].col(2).isZero());           // f2 reads f1's unit 2
  CHECK_FALSE(grad.w[3].col(4).isZero());
}

TEST_CASE("trainer: FLOPs performed equal the cost model's, full and with dropout") {
  for (const char* name : {"lenet5", "vgg-small", "mlp"}) {
    CAPTURE(name);
    const ModelDescriptor m = catalog(name);
    const NetShape shape = net_shape(m);
    Rng rng(11, "flops");
    Params p = Params::init(shape, rng), v = Params::zeros(shape);
    const Eigen::MatrixXf x = random_inputs(rng, 16, shape.input_size());
    const std::vector<int> y(16, 3);
    Trainer t(shape);
    t.step(p, v, x, y, Selection::all(shape), {});
    CHECK(t.flops() == doctest::Approx(16 * model_cost(m).train_flops).epsilon(1e-12));
    std::vector<double> keep;
    for (std::size_t i = 0; i < shape.slot_units.size(); ++i)
      keep.push_back(i % 2 == 0 ? 0.5 : 0.3);
    t.reset_flops();
    t.step(p, v, x, y, Selection::random(shape, keep, rng), {});
    CHECK(t.flops() == doctest::Approx(16 * model_cost(m, {keep, 32}).train_flops).epsilon(1e-12));
    t.reset_flops(); // HeteroFL's nested sub-model costs the same as any other of that width
    t.step(p, v, x, y, Selection::first(shape, keep), {});
    CHECK(t.flops() == doctest::Approx(16 * model_cost(m, {keep, 32}).train_flops).epsilon(1e-12));
  }
}

TEST_CASE("selection: a nested sub-model keeps the first units, among those still alive") {
  const NetShape shape = net_shape(catalog("lenet5")); // conv 6, conv 16, dense 120, dense 84
  const Selection s = Selection::first(shape, {0.5, 0.25, 0.5, 0.5});
  REQUIRE(s.kept.size() == 4);
  CHECK(s.kept[0] == std::vector<int>{0, 1, 2});
  CHECK(s.kept[1] == std::vector<int>{0, 1, 2, 3});
  CHECK(s.kept[2].size() == 60);
  CHECK(s.kept[2].back() == 59);
  CHECK(s.scale[0] == doctest::Approx(2.0f)); // 6 available / 3 kept
  Selection alive = Selection::all(shape);
  alive.kept[0] = {1, 3, 4, 5}; // units 0 and 2 pruned
  const Selection within = Selection::first(shape, {0.5, 1, 1, 1}, &alive);
  CHECK(within.kept[0] == std::vector<int>{1, 3, 4}); // round(6 x 0.5) = 3 of the 4 alive
  CHECK(within.scale[0] == doctest::Approx(4.0f / 3.0f));
}

TEST_CASE("masked averaging: three trainers with overlapping units, by hand") {
  // 2 inputs -> 4 hidden units (prunable) -> 2 outputs.
  const ModelDescriptor m{"avg", 1, 1, 2, 2, {flatten(), dense("h", 4, true), dense("o", 2, false)}};
  const NetShape shape = net_shape(m);
  Params global = Params::zeros(shape);
  global.w[0].setConstant(0.5f);
  global.b[0].setConstant(0.5f);
  global.w[1].setConstant(0.5f);
  global.b[1].setConstant(0.5f);
  // Trainers A, B, C hold 1, 2, 3 samples and keep hidden units {0,1}, {1,2}, {0,2}; their
  // parameters are all 1, 2 and 4. Unit 3 is trained by nobody.
  const std::vector<std::vector<int>> kept = {{0, 1}, {1, 2}, {0, 2}};
  const float value[] = {1, 2, 4};
  MaskedAverage avg(shape);
  for (int i = 0; i < 3; ++i) {
    Params local = global;
    for (auto& w : local.w)
      w.setConstant(value[i]);
    for (auto& b : local.b)
      b.setConstant(value[i]);
    Touched t = Touched::zeros(shape);
    t.mark(shape, Selection{{kept[static_cast<std::size_t>(i)]}, {}});
    avg.add(local, t, i + 1);
  }
  const Params out = avg.result(global);
  // Unit 0: A and C, (1*1 + 3*4) / 4; unit 1: A and B, (1*1 + 2*2) / 3; unit 2: B and C, (2*2 + 3*4) / 5.
  const float h[] = {13.0f / 4, 5.0f / 3, 16.0f / 5};
  for (int u = 0; u < 3; ++u) {
    CHECK(out.w[0](u, 0) == doctest::Approx(h[u]));
    CHECK(out.w[0](u, 1) == doctest::Approx(h[u]));
    CHECK(out.b[0](u) == doctest::Approx(h[u]));
    CHECK(out.w[1](0, u) == doctest::Approx(h[u])); // the output layer's column for unit u
    CHECK(out.w[1](1, u) == doctest::Approx(h[u]));
  }
  CHECK(out.w[0](3, 0) == 0.5f); // untouched: keeps the global value
  CHECK(out.b[0](3) == 0.5f);
  CHECK(out.w[1](0, 3) == 0.5f);
  CHECK(out.b[1](0) == doctest::Approx((1 * 1 + 2 * 2 + 3 * 4) / 6.0)); // every trainer's output bias
}

TEST_CASE("masked averaging: with nothing dropped it is FedAvg") {
  const NetShape shape = net_shape(tiny_cnn());
  Rng rng(5, "fedavg");
  const Params global = Params::init(shape, rng);
  const Params a = Params::init(shape, rng), b = Params::init(shape, rng);
  Touched all = Touched::zeros(shape);
  all.mark(shape, Selection::all(shape));
  MaskedAverage avg(shape);
  avg.add(a, all, 100);
  avg.add(b, all, 300);
  const Params out = avg.result(global);
  for (std::size_t l = 0; l < out.w.size(); ++l) {
    CHECK(out.w[l].isApprox(0.25f * a.w[l] + 0.75f * b.w[l], 1e-6f));
    CHECK(out.b[l].isApprox(0.25f * a.b[l] + 0.75f * b.b[l], 1e-6f));
  }
}

TEST_CASE("trainer: learns a separable problem to near 100% accuracy, deterministically") {
  // Ten classes, each a fixed random 28x28 pattern plus noise.
  const NetShape shape = net_shape(catalog("mlp"));
  Rng rng(1, "separable");
  const Eigen::MatrixXf protos = random_inputs(rng, 10, 784);
  const auto sample = [&](Eigen::Index n, std::vector<int>& y) {
    Eigen::MatrixXf x = 0.8f * random_inputs(rng, n, 784);
    y.resize(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i) {
      y[static_cast<std::size_t>(i)] = static_cast<int>(rng.below(10));
      x.row(i) += protos.row(y[static_cast<std::size_t>(i)]);
    }
    return x;
  };
  std::vector<int> ytr, yte;
  const Eigen::MatrixXf xtr = sample(640, ytr), xte = sample(500, yte);
  const auto train = [&](std::uint64_t seed) {
    Rng init(seed, "init"), drop(seed, "dropout");
    Params p = Params::init(shape, init), v = Params::zeros(shape);
    Trainer t(shape);
    for (int epoch = 0; epoch < 3; ++epoch)
      for (Eigen::Index s = 0; s < 640; s += 32) {
        const std::vector<int> yb(ytr.begin() + s, ytr.begin() + s + 32);
        t.step(p, v, xtr.middleRows(s, 32), yb, Selection::random(shape, {0.75, 0.75}, drop),
               {0.01, 0.9, 5e-4});
      }
    return p;
  };
  const Params p = train(42);
  Trainer t(shape);
  const Evaluation e = t.evaluate(p, xte, yte, Selection::all(shape));
  CHECK(e.accuracy > 0.98);
  CHECK(e.loss < 0.1);
  const Params again = train(42);
  for (std::size_t l = 0; l < p.w.size(); ++l)
    CHECK(p.w[l] == again.w[l]); // bit for bit
}

TEST_CASE("trainer: gradient clipping bounds a step to lr x clip_norm") {
  const NetShape shape = net_shape(tiny_cnn());
  Rng rng(13, "clip");
  const Params p0 = Params::init(shape, rng);
  const Eigen::MatrixXf x = random_inputs(rng, 6, shape.input_size());
  const std::vector<int> y = {0, 1, 2, 1, 0, 2};
  Trainer t(shape);
  Params grad;
  t.gradient(p0, x, y, Selection::all(shape), grad);
  double g2 = 0;
  for (std::size_t l = 0; l < grad.w.size(); ++l)
    g2 += static_cast<double>(grad.w[l].squaredNorm() + grad.b[l].squaredNorm());
  const double norm = std::sqrt(g2);
  const auto step_norm = [&](double clip) {
    Params p = p0, v = Params::zeros(shape);
    t.step(p, v, x, y, Selection::all(shape), {0.1, 0.0, 0.0, clip});
    double d2 = 0;
    for (std::size_t l = 0; l < p.w.size(); ++l)
      d2 += static_cast<double>((p.w[l] - p0.w[l]).squaredNorm() + (p.b[l] - p0.b[l]).squaredNorm());
    return std::sqrt(d2);
  };
  // Plain SGD moves by lr x |g|; clipped to half the norm, by lr x |g| / 2; a clip above the
  // norm changes nothing.
  CHECK(step_norm(0) == doctest::Approx(0.1 * norm).epsilon(1e-4));
  CHECK(step_norm(norm / 2) == doctest::Approx(0.1 * norm / 2).epsilon(1e-4));
  CHECK(step_norm(norm * 2) == doctest::Approx(0.1 * norm).epsilon(1e-4));
}
