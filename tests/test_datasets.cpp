// Data sets and how their samples are dealt to nodes: Fashion-MNIST read from Debian's package,
// corrupt files, Dirichlet and shard statistics, FedProx's synthetic data from a seed.
#include "simulator/common/error.hpp"
#include "simulator/common/rng.hpp"
#include "simulator/learning/data/dataset.hpp"
#include "simulator/learning/data_split.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <cmath>
#include <fstream>
#include <numeric>
#include <set>

using namespace edgetrain;

namespace {
void write_gz(const std::filesystem::path& p, const std::vector<unsigned char>& bytes) {
  gzFile f = gzopen(p.string().c_str(), "wb");
  REQUIRE(f != nullptr);
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}
std::string error_of(const std::string& path) {
  try {
    read_idx_gz(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
// Label mixes of n trainers holding 100 samples each, split with `label_alpha` or `label_shards`.
std::vector<NodeData> split_many(std::size_t n, double label_alpha, std::int64_t label_shards) {
  Scenario s;
  s.seed = 9;
  s.data.dataset = "fashion-mnist";
  s.data.quantity_skew = "equal";
  s.data.samples_per_node = 100;
  s.data.label_alpha = label_alpha;
  s.data.label_shards = label_shards;
  return split_data(s, std::vector<std::string>(n, "h"), std::vector<bool>(n, true), 10);
}
} // namespace

TEST_CASE("fashion-mnist: Debian's package reads as 60,000 + 10,000 balanced, standardised images") {
  const DataSource d = load_fashion_mnist();
  CHECK(d.train.size() == 60000);
  CHECK(d.test.size() == 10000);
  CHECK(d.train.features() == 784);
  // The data set is balanced: 6,000 training and 1,000 test images per class.
  std::vector<int> train(10, 0), test(10, 0);
  for (int y : d.train.y)
    ++train[static_cast<std::size_t>(y)];
  for (int y : d.test.y)
    ++test[static_cast<std::size_t>(y)];
  CHECK(train == std::vector<int>(10, 6000));
  CHECK(test == std::vector<int>(10, 1000));
  const double mean = d.train.x.cast<double>().mean();
  const double var = (d.train.x.cast<double>().array() - mean).square().mean();
  CHECK(mean == doctest::Approx(0.0).epsilon(1e-4));
  CHECK(var == doctest::Approx(1.0).epsilon(1e-4));
}

TEST_CASE("fashion-mnist error: a missing package, bad magic, truncation, trailing bytes") {
  testutil::TempDir dir;
  const std::string missing = (dir.path() / "nowhere").string();
  try {
    load_fashion_mnist(missing);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("apt-get install dataset-fashion-mnist") != std::string::npos);
  }
  const auto p = dir.path() / "x.gz";
  write_gz(p, {0, 0, 0x0d, 1, 0, 0, 0, 2, 7, 7}); // 0x0d: floats, not bytes
  CHECK(error_of(p.string()).find("bad magic number") != std::string::npos);
  write_gz(p, {0, 0, 8, 1, 0, 0, 0, 5, 1, 2});
  CHECK(error_of(p.string()).find("truncated") != std::string::npos);
  write_gz(p, {0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3});
  CHECK(error_of(p.string()).find("trailing bytes") != std::string::npos);
  write_gz(p, {0, 0, 8, 1, 0, 0, 0, 2, 4, 5});
  const IdxArray ok = read_idx_gz(p.string());
  CHECK(ok.dims == std::vector<int>{2});
  CHECK(ok.data == std::vector<std::uint8_t>{4, 5});
  std::ofstream(dir.path() / "plain.gz") << "not gzip at all";
  CHECK(error_of((dir.path() / "plain.gz").string()).find("bad magic number") != std::string::npos);
}

TEST_CASE("data split: label shards give each node k classes in equal parts, classes used evenly") {
  const auto d = split_many(100, 0.0, 2);
  std::vector<int> used(10, 0);
  for (const NodeData& n : d) {
    int held = 0;
    for (std::size_t c = 0; c < 10; ++c)
      if (n.label_mix[c] > 0) {
        CHECK(n.label_mix[c] == doctest::Approx(0.5));
        ++held, ++used[c];
      }
    CHECK(held == 2);
  }
  // 200 shards over 10 classes: 20 each, give or take the decks' skipped repeats.
  for (int u : used) {
    CHECK(u >= 18);
    CHECK(u <= 22);
  }
}

TEST_CASE("data split: Dirichlet label mixes have the Dirichlet's mean and variance") {
  const auto d = split_many(4000, 0.5, 0);
  // Dir(0.5, ..., 0.5) over 10 classes: E[p] = 0.1, Var[p] = 0.1 x 0.9 / (10 x 0.5 + 1) = 0.015.
  for (std::size_t c : {std::size_t{0}, std::size_t{7}}) {
    double m = 0, v = 0;
    for (const NodeData& n : d)
      m += n.label_mix[c];
    m /= 4000.0;
    for (const NodeData& n : d)
      v += (n.label_mix[c] - m) * (n.label_mix[c] - m);
    v /= 3999.0;
    CHECK(m == doctest::Approx(0.1).epsilon(0.05));
    CHECK(v == doctest::Approx(0.015).epsilon(0.1));
  }
}

TEST_CASE("data split: samples are dealt by label mix, disjoint while the data last") {
  // 6 nodes x 100 samples from a pool of 1,000 (100 per class): nodes take label-mix shares.
  std::vector<int> labels;
  for (int i = 0; i < 1000; ++i)
    labels.push_back(i % 10);
  std::vector<NodeData> nodes(6);
  for (auto& n : nodes)
    n.samples = 100, n.label_mix.assign(10, 0.1);
  nodes[0].label_mix.assign(10, 0.0);
  nodes[0].label_mix[3] = 0.7, nodes[0].label_mix[4] = 0.3;
  nodes[5].samples = 0; // the aggregator
  Rng rng(1, "deal");
  const auto got = assign_samples(nodes, labels, {}, 10, rng);
  CHECK(got[5].empty());
  std::vector<int> per_class(10, 0);
  for (int i : got[0])
    ++per_class[static_cast<std::size_t>(labels[static_cast<std::size_t>(i)])];
  CHECK(per_class[3] == 70);
  CHECK(per_class[4] == 30);
  std::set<int> all;
  std::size_t total = 0;
  for (const auto& g : got) {
    all.insert(g.begin(), g.end());
    total += g.size();
  }
  // Class 3 is asked for 70 + 4 x 10 = 110 of its 100 samples: exactly 10 are used twice.
  CHECK(total == 500);
  CHECK(all.size() == 490);
}

TEST_CASE("synthetic data: reproducible from its seed, per device, skew grows with alpha") {
  const std::vector<std::int64_t> counts = {0, 200, 200, 200};
  const DataSource a = make_synthetic(counts, 1, 1, 3), b = make_synthetic(counts, 1, 1, 3);
  CHECK(a.train.x == b.train.x);
  CHECK(a.train.y == b.train.y);
  CHECK(a.train.size() == 600);
  CHECK(a.test.size() == 150);
  CHECK(a.train.features() == 60);
  CHECK(std::count(a.owner.begin(), a.owner.end(), 2) == 200);
  CHECK(make_synthetic(counts, 1, 1, 4).train.x != a.train.x);
  // Another device count does not move device 1's draws (a stream per device).
  const DataSource c = make_synthetic({0, 200}, 1, 1, 3);
  CHECK(c.train.x == a.train.x.topRows(200));
  // Label skew, the mean total-variation distance of each device's label mix from the pooled
  // one, is larger for Synthetic(1, 1) than for Synthetic(0, 0) on 20 devices.
  const auto skew = [](const DataSource& d, int devices) {
    std::vector<std::vector<double>> mix(static_cast<std::size_t>(devices), std::vector<double>(10, 0.0));
    std::vector<double> pooled(10, 0.0);
    for (std::size_t i = 0; i < d.train.y.size(); ++i) {
      mix[static_cast<std::size_t>(d.owner[i])][static_cast<std::size_t>(d.train.y[i])] += 1;
      pooled[static_cast<std::size_t>(d.train.y[i])] += 1.0 / static_cast<double>(d.train.y.size());
    }
    double tv = 0;
    for (auto& m : mix) {
      const double n = std::accumulate(m.begin(), m.end(), 0.0);
      for (std::size_t k = 0; k < 10; ++k)
        tv += 0.5 * std::abs(m[k] / n - pooled[k]) / devices;
    }
    return tv;
  };
  const std::vector<std::int64_t> twenty(20, 300);
  CHECK(skew(make_synthetic(twenty, 1, 1, 5), 20) > skew(make_synthetic(twenty, 0, 0, 5), 20));
}
