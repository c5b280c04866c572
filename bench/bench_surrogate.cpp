// The surrogate learning process's cost per round against the number of trainers: each round
// folds every finished trainer's contribution (per-layer keeps of one of the four compression
// modes, its label mix) into the loss model. Prints microseconds per round and per trainer.
// Run: build/bench/bench_surrogate [N ...]   (default 10 100 1000 10000 131072)
#include "simulator/learning/surrogate.hpp"
#include "simulator/scenario/scenario.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <map>

using namespace edgetrain;

namespace {
double microseconds_per_round(std::size_t n) {
  Scenario scenario;
  scenario.seed = 1;
  ModelDescriptor model;
  find_model("lenet5", model);
  // Node 0 the aggregator; trainers hold two to ten classes, 600 samples each.
  std::vector<NodeData> data(n + 1);
  for (std::size_t i = 1; i <= n; ++i) {
    data[i].samples = 600;
    data[i].label_mix.assign(10, 0.0);
    const std::size_t classes = 2 + i % 9;
    for (std::size_t c = 0; c < classes; ++c)
      data[i].label_mix[(i + c) % 10] = 1.0 / static_cast<double>(classes);
  }
  std::map<std::string, Value> params;
  for (const KeySpec& k : surrogate_learning_info().params)
    params[k.path] = k.def;
  params["skew_floor"] = 0.5; // the union label mix is worked out every round
  const auto process = surrogate_learning_info().make({scenario, model, data}, Params(params));
  RoundPlan plan;
  RoundOutcome outcome;
  outcome.nodes.push_back({}); // the aggregator
  const Compression::Mode modes[] = {Compression::Mode::Prune, Compression::Mode::Dropout,
                                     Compression::Mode::Nested, Compression::Mode::Submodel};
  const double keeps[] = {1.0, 0.75, 0.5, 0.3};
  for (std::size_t i = 1; i <= n; ++i) {
    Assignment a;
    a.node = static_cast<NodeId>(i);
    a.compression.mode = modes[i % 4];
    for (std::size_t l = 0; l < model.prunable_count(); ++l)
      a.compression.keep.push_back(keeps[(i + l) % 4]);
    NodeOutcome o;
    o.node = a.node, o.trained = o.finished = true, o.samples_processed = 320;
    o.keep_mean = a.compression.mean_keep();
    plan.trainers.push_back(a), outcome.nodes.push_back(o);
  }
  const int rounds = n >= 10000 ? 20 : 200;
  const auto t0 = std::chrono::steady_clock::now();
  double sink = 0;
  for (int r = 1; r <= rounds; ++r) {
    outcome.round = r;
    sink += process->advance(plan, outcome).loss;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!(sink > 0)) std::abort(); // keeps the rounds from being optimised away
  return 1e6 * s / rounds;
}
} // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes{10, 100, 1000, 10000, 131072};
  if (argc > 1) {
    sizes.clear();
    for (int i = 1; i < argc; ++i)
      sizes.push_back(static_cast<std::size_t>(std::strtoull(argv[i], nullptr, 10)));
  }
  fmt::print("{:>9} {:>16} {:>18}\n", "trainers", "us per round", "us per trainer");
  for (std::size_t n : sizes) {
    const double us = microseconds_per_round(n);
    fmt::print("{:>9} {:>16.1f} {:>18.3f}\n", n, us, us / static_cast<double>(n));
  }
}
