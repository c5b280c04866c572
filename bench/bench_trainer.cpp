// The Eigen trainer's benchmarks (not tests):
//   bench_trainer [--epochs E] [--gemm-threads T]
// 1. Throughput of SGD steps on LeNet-5 and the small VGG (batch 64, full and half-width), in
//    GFLOP/s, against plain Eigen GEMMs of the very shapes the trainer multiplies: the ratio says
//    how much im2col, gathering and the element-wise work cost on top of the products.
// 2. One federated round of the `trained` learning process: 10 trainers x 600 Fashion-MNIST
//    samples, one local epoch of batch 32 each, LeNet-5, with its evaluation.
// 3. LeNet-5 on all of Fashion-MNIST on one node for E epochs (default 5), SGD with momentum 0.9
//    and step LR (default 0.01), batch 32: test accuracy after each epoch.
#include "simulator/common/rng.hpp"
#include "simulator/learning/data/dataset.hpp"
#include "simulator/learning/learning_process.hpp"
#include "simulator/learning/nn/trainer.hpp"
#include "simulator/scenario/scenario.hpp"

#include <Eigen/Core>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace edgetrain;
using Clock = std::chrono::steady_clock;

namespace {
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

Eigen::MatrixXf randn(Eigen::Index r, Eigen::Index c, Rng& rng) {
  Eigen::MatrixXf m(r, c);
  for (Eigen::Index j = 0; j < c; ++j)
    for (Eigen::Index i = 0; i < r; ++i)
      m(i, j) = static_cast<float>(rng.normal());
  return m;
}

// The GEMMs one SGD step performs on the selected sub-network, with random operands.
double gemm_reference(const nn::NetShape& shape, const nn::Selection& s, Eigen::Index batch, int reps,
                      Rng& rng, double& flops) {
  struct G {
    Eigen::MatrixXf a, b, c;
    int kind; // 0: a * b^T, 1: a^T * b, 2: a * b
  };
  std::vector<G> gs;
  for (std::size_t i = 0; i < shape.weighted_ops.size(); ++i) {
    const nn::OpShape& op = shape.weighted(static_cast<int>(i));
    const Eigen::Index rows =
        op.slot >= 0 ? static_cast<Eigen::Index>(s.kept[static_cast<std::size_t>(op.slot)].size())
                     : op.out_units;
    const Eigen::Index ins =
        op.in_slot >= 0 ? static_cast<Eigen::Index>(s.kept[static_cast<std::size_t>(op.in_slot)].size())
                        : op.in_units;
    const Eigen::Index m = batch * op.out_positions(), k = ins * op.in_group;
    gs.push_back({randn(m, k, rng), randn(rows, k, rng), {}, 0});               // forward: col x W^T
    gs.push_back({randn(m, rows, rng), randn(m, k, rng), {}, 1});               // weight gradient: dY^T x col
    if (i > 0) gs.push_back({randn(m, rows, rng), randn(rows, k, rng), {}, 2}); // input gradient
  }
  flops = 0;
  for (const G& g : gs) {
    const Eigen::Index m = g.kind == 1 ? g.a.cols() : g.a.rows();
    const Eigen::Index k = g.kind == 1 ? g.a.rows() : g.a.cols();
    const Eigen::Index n = g.kind == 0 ? g.b.rows() : g.b.cols();
    flops += 2.0 * static_cast<double>(m * n * k);
  }
  const auto t0 = Clock::now();
  for (int r = 0; r < reps; ++r)
    for (G& g : gs) {
      if (g.kind == 0)
        g.c.noalias() = g.a * g.b.transpose();
      else if (g.kind == 1)
        g.c.noalias() = g.a.transpose() * g.b;
      else
        g.c.noalias() = g.a * g.b;
    }
  return seconds_since(t0) / reps;
}

void throughput(const char* name, double keep, Rng& rng) {
  ModelDescriptor m;
  find_model(name, m);
  const nn::NetShape shape = nn::net_shape(m);
  const nn::Selection s =
      keep < 1 ? nn::Selection::random(shape, std::vector<double>(shape.slot_units.size(), keep), rng)
               : nn::Selection::all(shape);
  const Eigen::Index batch = 64;
  nn::Params p = nn::Params::init(shape, rng), v = nn::Params::zeros(shape);
  const Eigen::MatrixXf x = randn(batch, shape.input_size(), rng);
  std::vector<int> y(static_cast<std::size_t>(batch));
  for (auto& l : y)
    l = static_cast<int>(rng.below(10));
  nn::Trainer t(shape);
  t.step(p, v, x, y, s, {0.001, 0.9, 0}); // warm-up
  t.reset_flops();
  const int reps = std::string(name) == "vgg-small" ? 20 : 100;
  auto t0 = Clock::now();
  for (int r = 0; r < reps; ++r)
    t.step(p, v, x, y, s, {0.001, 0.9, 0});
  const double step_s = seconds_since(t0) / reps, gflops = t.flops() / reps / step_s / 1e9;
  double ref_flops = 0;
  gemm_reference(shape, s, batch, 2, rng, ref_flops); // warm-up
  const double ref_s = gemm_reference(shape, s, batch, reps, rng, ref_flops);
  const double ref_gflops = ref_flops / ref_s / 1e9;
  fmt::print("{:<10} keep {:<4} batch {}  step {:7.2f} ms  {:6.2f} GFLOP/s   same GEMMs alone {:6.2f} "
             "GFLOP/s   ratio {:.2f}\n",
             name, keep, batch, step_s * 1e3, gflops, ref_gflops, gflops / ref_gflops);
}

void one_round() {
  ModelDescriptor m;
  find_model("lenet5", m);
  Scenario s;
  s.seed = 1;
  s.data.dataset = "fashion-mnist";
  std::vector<NodeData> data(11);
  for (std::size_t i = 1; i < data.size(); ++i)
    data[i] = {600, std::vector<double>(10, 0.1)};
  data[0].label_mix.assign(10, 0.1); // the aggregator holds nothing
  const LearningInfo& info = find_learning("trained");
  auto t0 = Clock::now();
  auto process = info.make({s, m, data}, defaults(info.params));
  const double setup = seconds_since(t0);
  RoundPlan plan;
  RoundOutcome outcome;
  outcome.round = 1;
  for (NodeId i = 1; i <= 10; ++i) {
    plan.trainers.push_back({i, 19, 32, {}, 0}); // 19 x 32 = 608: one pass over 600 samples
    NodeOutcome o;
    o.node = i, o.trained = o.finished = true;
    outcome.nodes.push_back(o);
  }
  t0 = Clock::now();
  const LearningSnapshot after = process->advance(plan, outcome);
  fmt::print("one round, 10 trainers x 600 samples, LeNet-5, 19 steps of 32 each: {:.2f} s "
             "(loss {:.3f} -> {:.3f}, accuracy {:.3f}; data set loading and setup {:.2f} s)\n",
             seconds_since(t0), process->initial().loss, after.loss, after.accuracy, setup);
}

void centralised(int epochs, double lr) {
  const DataSource d = load_fashion_mnist();
  ModelDescriptor m;
  find_model("lenet5", m);
  const nn::NetShape shape = nn::net_shape(m);
  Rng rng(1, "bench.centralised");
  nn::Params p = nn::Params::init(shape, rng), v = nn::Params::zeros(shape);
  nn::Trainer t(shape);
  const nn::Selection all = nn::Selection::all(shape);
  std::vector<int> order(static_cast<std::size_t>(d.train.size()));
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = static_cast<int>(i);
  const auto t0 = Clock::now();
  for (int e = 1; e <= epochs; ++e) {
    for (std::size_t j = order.size(); j > 1; --j)
      std::swap(order[j - 1], order[rng.below(j)]);
    for (std::size_t start = 0; start + 32 <= order.size(); start += 32) {
      Eigen::MatrixXf xb(32, 784);
      std::vector<int> yb(32);
      for (std::size_t k = 0; k < 32; ++k) {
        xb.row(static_cast<Eigen::Index>(k)) = d.train.x.row(order[start + k]);
        yb[k] = d.train.y[static_cast<std::size_t>(order[start + k])];
      }
      t.step(p, v, xb, yb, all, {lr, 0.9, 5e-4});
    }
    const nn::Evaluation ev = t.evaluate(p, d.test.x, d.test.y, all);
    fmt::print("epoch {}: test accuracy {:.4f}, test loss {:.4f} ({:.0f} s so far)\n", e, ev.accuracy,
               ev.loss, seconds_since(t0));
  }
}
} // namespace

int main(int argc, char** argv) {
  int epochs = 5, gemm_threads = 1;
  double lr = 0.01;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--epochs" && i + 1 < argc)
      epochs = std::atoi(argv[++i]);
    else if (a == "--lr" && i + 1 < argc)
      lr = std::atof(argv[++i]);
    else if (a == "--gemm-threads" && i + 1 < argc)
      gemm_threads = std::atoi(argv[++i]);
    else {
      fmt::print(stderr, "usage: bench_trainer [--epochs E] [--lr LR] [--gemm-threads T]\n");
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0); // a line at a time, also into a file
  Eigen::setNbThreads(gemm_threads);
  fmt::print("Eigen {}.{}.{}, {} GEMM thread(s)\n", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION,
             EIGEN_MINOR_VERSION, Eigen::nbThreads());
  Rng rng(3, "bench.trainer");
  for (const char* name : {"lenet5", "vgg-small"})
    for (double keep : {1.0, 0.5})
      throughput(name, keep, rng);
  one_round();
  Eigen::setNbThreads(gemm_threads); // the process sets its own
  if (epochs > 0) centralised(epochs, lr);
  return 0;
}
