// Splitting data among trainers: counts add up, per-host counts win, label mixes are distributions.
#include "simulator/common/error.hpp"
#include "simulator/learning/data_split.hpp"

#include <doctest/doctest.h>

#include <numeric>

using namespace edgetrain;

namespace {
Scenario base() {
  Scenario s;
  s.seed = 5;
  s.data.dataset = "fashion-mnist";
  s.data.quantity_skew = "equal";
  return s;
}
const std::vector<std::string> kHosts = {"agg", "a", "b", "c", "d"};
const std::vector<bool> kTrainer = {false, true, true, true, true};

std::int64_t sum(const std::vector<NodeData>& d) {
  return std::accumulate(d.begin(), d.end(), std::int64_t{0},
                         [](auto a, const NodeData& n) { return a + n.samples; });
}
} // namespace

TEST_CASE("data split: equal split of 10 samples over 4 trainers gives 3, 3, 2, 2") {
  Scenario s = base();
  s.data.total_samples = 10;
  const auto d = split_data(s, kHosts, kTrainer, 10);
  CHECK(d[0].samples == 0); // the aggregator holds no data
  CHECK(d[1].samples == 3);
  CHECK(d[2].samples == 3);
  CHECK(d[3].samples == 2);
  CHECK(d[4].samples == 2);
}

TEST_CASE("data split: default total is the data set size of 60,000 with per-host counts taken out first") {
  Scenario s = base();
  s.data.by_host = {{"b", 1000}};
  const auto d = split_data(s, kHosts, kTrainer, 10);
  CHECK(d[2].samples == 1000);
  CHECK(d[1].samples == 59000 / 3 + 1); // 19,667 + 19,667 + 19,666 = 59,000
  CHECK(sum(d) == 60000);
}

TEST_CASE("data split: samples_per_node gives every trainer the same count") {
  Scenario s = base();
  s.data.samples_per_node = 77;
  const auto d = split_data(s, kHosts, kTrainer, 10);
  for (std::size_t i = 1; i < d.size(); ++i)
    CHECK(d[i].samples == 77);
}

TEST_CASE("data split: lognormal keeps the total and varies the counts, reproducibly") {
  Scenario s = base();
  s.data.quantity_skew = "lognormal";
  s.data.quantity_sigma = 1.0;
  s.data.total_samples = 1000;
  const auto d = split_data(s, kHosts, kTrainer, 10);
  CHECK(sum(d) == 1000);
  bool varied = false;
  for (std::size_t i = 2; i < d.size(); ++i)
    varied |= d[i].samples != d[1].samples;
  CHECK(varied);
  const auto again = split_data(s, kHosts, kTrainer, 10);
  for (std::size_t i = 0; i < d.size(); ++i)
    CHECK(again[i].samples == d[i].samples);
}

TEST_CASE("data split: fewer samples than trainers is an input error") {
  Scenario s = base();
  s.data.total_samples = 3;
  CHECK_THROWS_AS(split_data(s, kHosts, kTrainer, 10), InputError);
}

TEST_CASE("data split: label mixes are uniform for IID and skewed distributions for Dirichlet") {
  Scenario s = base();
  auto iid = split_data(s, kHosts, kTrainer, 10);
  CHECK(label_skew(iid[1].label_mix) == doctest::Approx(0.0));
  s.data.label_alpha = 0.1;
  auto skewed = split_data(s, kHosts, kTrainer, 10);
  for (std::size_t i = 1; i < skewed.size(); ++i) {
    const auto& m = skewed[i].label_mix;
    CHECK(std::accumulate(m.begin(), m.end(), 0.0) == doctest::Approx(1.0));
    // Dirichlet(0.1) over 10 classes puts most mass on a class or two: far from uniform.
    CHECK(label_skew(m) > 0.3);
  }
  // By hand: all mass on one of 10 classes is 0.9 away from uniform.
  std::vector<double> one(10, 0.0);
  one[3] = 1.0;
  CHECK(label_skew(one) == doctest::Approx(0.9));
}
