// The per-layer weights' fit (layer_fit.hpp) and the layer_weights key: a short run's drop by
// hand, recovery of known weights and exponent, and the inputs it refuses.
#include "simulator/common/error.hpp"
#include "simulator/learning/layer_fit.hpp"
#include "simulator/learning/surrogate.hpp"
#include "simulator/scenario/scenario.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

using namespace edgetrain;

namespace {
Scenario quickstart() {
  return load_scenario(testutil::source_dir() / "configs/quickstart.toml");
}
ModelDescriptor lenet() {
  ModelDescriptor m;
  REQUIRE(find_model("lenet5", m));
  return m;
}
LossModel truth() {
  LossModel m;
  m.initial_loss = std::log(10.0);
  m.floor_loss = 0.3, m.skew_floor = 0, m.skew_exponent = 0, m.plateau = 0.2, m.tail_exponent = 1;
  m.samples_scale = 5000, m.dropout_rate = 0.6, m.participation_exponent = 0.5;
  m.layer_weight = {0.1, 0.2, 0.3, 0.4};
  return m;
}
} // namespace

TEST_CASE("layer fit: one trainer's one-round drop with per-layer keeps, by hand") {
  const Scenario s = quickstart();
  const std::vector<double> keep{1.0, 0.25, 0.5, 0.75};
  const std::vector<Contribution> round = short_run_round(s, 10, 1, 7, keep);
  REQUIRE(round.size() == 1);
  const Contribution& c = round[0];
  // the scenario's steps and batch, the design's 600 samples a node
  CHECK(c.samples_processed == 20 * 32);
  CHECK(c.own_samples == 600);
  CHECK(c.layer_keep == keep);
  CHECK(c.mode == Compression::Mode::Dropout);
  // K = sum w_l k_l = 0.1 + 0.05 + 0.15 + 0.3 = 0.6; one trainer: its value K^0.6 x distinct
  // samples, times each layer's share of units updated (sum w_l k_l = K again); the gap starts
  // whole (g = 1): exp(-rate / scale x 1 x (1 - plateau)). The floor stays (dropout).
  const double K = 0.6, distinct = 600 * (1 - std::exp(-640.0 / 600));
  const double rate = std::pow(K, 0.6) * distinct * K / 5000;
  const double expected = (std::log(10.0) - 0.3) * (1 - std::exp(-rate * 0.8));
  CHECK(model_drop(truth(), round, 1) == doctest::Approx(expected).epsilon(1e-12));
  // the first two layers' keeps swapped: the heavier conv2 now whole, K = 0.025 + 0.2 + 0.15 + 0.3
  const std::vector<Contribution> swapped = short_run_round(s, 10, 1, 7, {0.25, 1.0, 0.5, 0.75});
  const double K2 = 0.675, rate2 = std::pow(K2, 0.6) * distinct * K2 / 5000;
  CHECK(model_drop(truth(), swapped, 1) ==
        doctest::Approx((std::log(10.0) - 0.3) * (1 - std::exp(-rate2 * 0.8))).epsilon(1e-12));
}

TEST_CASE("layer fit: recovers known layer weights and dropout exponent from exact speeds") {
  const Scenario s = quickstart();
  const ModelDescriptor m = lenet();
  const LossModel t = truth();
  // 24 vectors of the DSE's grid (a fixed scramble), and the full model, over two seeds: the
  // drops the true model gives.
  const double grid[] = {0.25, 0.5, 0.75, 1.0};
  std::vector<std::vector<double>> vectors{{1, 1, 1, 1}};
  for (int i = 0; i < 24; ++i)
    vectors.push_back({grid[i % 4], grid[(i * 3 + 1) % 4], grid[(i / 2 + i) % 4], grid[(i / 4) % 4]});
  std::vector<DseMeasurement> measured;
  for (const std::uint64_t seed : {std::uint64_t{1}, std::uint64_t{2}})
    for (const auto& v : vectors)
      measured.push_back({v, seed, 5, 3, model_drop(t, short_run_round(s, 10, 3, seed, v), 5)});
  LossModel start = t;
  start.dropout_rate = 2.0; // what the curves' fit alone gave LeNet-5
  start.layer_weight.clear();
  const LayerFit f = fit_layer_weights(start, s, m, measured, 4, "cache.csv");
  REQUIRE(f.weight.size() == 4);
  CAPTURE(f.weight);
  CAPTURE(f.dropout_rate);
  for (std::size_t l = 0; l < 4; ++l)
    CHECK(f.weight[l] == doctest::Approx(t.layer_weight[l]).epsilon(0.02));
  CHECK(f.dropout_rate == doctest::Approx(0.6).epsilon(0.02));
  CHECK(f.vectors <= 24); // the scramble repeats some; the full model is not counted
  CHECK(f.rmse_fitted < 2e-3);
  CHECK(f.rmse_heldout < 5e-3);
  CHECK(f.rmse_flops > 10 * f.rmse_fitted);
  CHECK(f.tau_fitted > 0.97); // near-equal speeds may swap under the prior's slight pull
}

TEST_CASE("layer fit error: a vector of another model, too few vectors, a malformed cache") {
  const Scenario s = quickstart();
  const ModelDescriptor m = lenet();
  std::vector<DseMeasurement> measured{{{1, 1, 1, 1}, 1, 2, 2, 0.5}, {{0.5, 0.5, 1, 1}, 1, 2, 2, 0.3}};
  CHECK_THROWS_WITH_AS(fit_layer_weights(truth(), s, m, measured, 4, "c.csv"),
                       doctest::Contains("1 vectors measured beside the full model, too few"), InputError);
  measured.push_back({{0.5, 0.5, 1}, 1, 2, 2, 0.3});
  CHECK_THROWS_WITH_AS(fit_layer_weights(truth(), s, m, measured, 4, "c.csv"),
                       doctest::Contains("a vector of 3 keeps, and lenet5 has 4 prunable layers"), InputError);
  testutil::TempDir d;
  const auto cache = [&](const std::string& text) {
    d.write("c.csv", text);
    return (d.path() / "c.csv").string();
  };
  const std::string header = "keep,seed,rounds,nodes,loss_drop\n";
  CHECK(read_dse_cache(cache(header + "0.5;1,3,8,4,0.25\n")).at(0).keep == std::vector<double>{0.5, 1});
  CHECK_THROWS_WITH(read_dse_cache(cache(header + "0.5;1,3,8,4,0.25\n0.5;x,1,8,4,0.1\n")),
                    doctest::Contains("c.csv:3: malformed DSE cache line: keep 'x'"));
  CHECK_THROWS_WITH(read_dse_cache(cache(header + "0.5;1.5,1,8,4,0.1\n")), doctest::Contains(":2:"));
  CHECK_THROWS_WITH(read_dse_cache(cache(header + "0.5,1,8,0,0.1\n")), doctest::Contains("nodes is not a count"));
  CHECK_THROWS_WITH(read_dse_cache(cache(header + "0.5,1,8,4\n")), doctest::Contains("4 fields, expected 5"));
  CHECK_THROWS_WITH(read_dse_cache(cache(header + "0.5,1,8,4,nan\n")), doctest::Contains("loss_drop 'nan'"));
  CHECK_THROWS_WITH(read_dse_cache(cache("keep,loss_drop\n")), doctest::Contains("older edgetrain"));
  CHECK_THROWS_AS(read_dse_cache((d.path() / "none.csv").string()), InputError);
}

TEST_CASE("layer_weights key: normalised, the FLOP shares without it, refused with another layer count") {
  const ModelDescriptor m = lenet();
  LossModel x;
  x.layer_weight = {1, 1, 1, 2};
  resolve_layer_weights(x, m, "here");
  CHECK(x.layer_weight == std::vector<double>{0.2, 0.2, 0.2, 0.4});
  x.layer_weight.clear();
  resolve_layer_weights(x, m, "here");
  CHECK(x.layer_weight == layer_weights(m));
  x.layer_weight = {0.5, 0.5};
  CHECK_THROWS_WITH_AS(resolve_layer_weights(x, m, "f.toml:3:1"),
                       doctest::Contains("learning.surrogate.layer_weights: 2 weights summing to 1, and lenet5 has 4"),
                       InputError);
  x.layer_weight = {0, 0, 0, 0};
  CHECK_THROWS_AS(resolve_layer_weights(x, m, "here"), InputError);
  // from a scenario: the key reaches the surrogate's model
  const Scenario s = load_scenario(testutil::source_dir() / "configs/quickstart.toml",
                                   {Override{"learning.surrogate.layer_weights", "[0.4, 0.3, 0.2, 0.1]"}});
  CHECK(calibrated_loss_model(s, 10).layer_weight == std::vector<double>{0.4, 0.3, 0.2, 0.1});
}
