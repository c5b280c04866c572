// The `trained` learning process: it learns with exactly the trainers that finished, is
// reproducible, and rejects what it cannot train.
#include "simulator/common/error.hpp"
#include "simulator/learning/learning_process.hpp"
#include "simulator/scenario/scenario.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

using namespace edgetrain;
using testutil::TempDir;

namespace {
struct Setup {
  Scenario s;
  ModelDescriptor m;
  std::vector<NodeData> data;
  Setup() {
    s.seed = 3;
    s.data.dataset = "synthetic";
    REQUIRE(find_model("synthetic-mlp", m));
    data.assign(4, {100, std::vector<double>(10, 0.1)});
    data[0].samples = 0; // the aggregator
  }
  std::unique_ptr<LearningProcess> make(const std::string& set = "", const Value& value = Value{}) {
    const LearningInfo& info = find_learning("trained");
    Params p = defaults(info.params);
    if (!set.empty()) {
      auto v = p.values();
      v[set] = value;
      p = Params(v);
    }
    return info.make({s, m, data}, p);
  }
};

// A round in which `planned` were asked to train and `finished` delivered.
LearningSnapshot round(LearningProcess& p, const std::vector<NodeId>& planned,
                       const std::vector<NodeId>& finished, Compression c = {}) {
  RoundPlan plan;
  RoundOutcome out;
  out.round = 1;
  for (NodeId n : planned) {
    Assignment a;
    a.node = n, a.local_steps = 5, a.batch = 20, a.compression = c;
    plan.trainers.push_back(a);
    NodeOutcome o;
    o.node = n, o.trained = true;
    o.finished = std::find(finished.begin(), finished.end(), n) != finished.end();
    out.nodes.push_back(o);
  }
  return p.advance(plan, out);
}
} // namespace

TEST_CASE("trained process: learns with exactly the trainers that finished") {
  Setup st;
  // Trainer 2 was planned but its update never arrived: the same as not planning it at all.
  auto a = st.make(), b = st.make(), c = st.make();
  const LearningSnapshot with_straggler = round(*a, {1, 2, 3}, {1, 3});
  const LearningSnapshot without = round(*b, {1, 3}, {1, 3});
  const LearningSnapshot everyone = round(*c, {1, 2, 3}, {1, 2, 3});
  CHECK(with_straggler.loss == without.loss);
  CHECK(with_straggler.accuracy == without.accuracy);
  CHECK(everyone.loss != without.loss);
  CHECK(everyone.loss < a->initial().loss); // it learns
  // Nobody delivered: the model does not move.
  auto d = st.make();
  CHECK(round(*d, {1, 2}, {}).loss == d->initial().loss);
}

TEST_CASE("trained process: the same for any thread count, different for another seed") {
  Setup st;
  auto one = st.make("threads", std::int64_t{1}), three = st.make("threads", std::int64_t{3});
  const double seed3 = round(*one, {1, 2, 3}, {1, 2, 3}).loss;
  CHECK(seed3 == round(*three, {1, 2, 3}, {1, 2, 3}).loss);
  st.s.seed = 4;
  CHECK(round(*st.make(), {1, 2, 3}, {1, 2, 3}).loss != seed3);
}

TEST_CASE("trained process: dropout and pruning train differently, and pruning does not come back") {
  Setup st;
  const std::vector<double> keep = {0.25};
  auto prune = st.make(), drop = st.make();
  const double pruned = round(*prune, {1, 2, 3}, {1, 2, 3}, {keep, 32, Compression::Mode::Prune}).loss;
  const double dropped = round(*drop, {1, 2, 3}, {1, 2, 3}, {keep, 32, Compression::Mode::Dropout}).loss;
  CHECK(pruned != dropped);
  // After pruning to a quarter, asking for the full model trains the same quarter: the result
  // equals a process that keeps asking for a quarter.
  auto again = st.make();
  round(*again, {1, 2, 3}, {1, 2, 3}, {keep, 32, Compression::Mode::Prune});
  CHECK(round(*prune, {1, 2, 3}, {1, 2, 3}).loss ==
        round(*again, {1, 2, 3}, {1, 2, 3}, {keep, 32, Compression::Mode::Prune}).loss);
}

TEST_CASE(
    "trained process: a device that chose its vector per mini-batch trains each with the one it chose") {
  Setup st;
  const Compression whole{{1.0}, 32, Compression::Mode::Dropout},
      quarter{{0.25}, 32, Compression::Mode::Dropout};
  // Node 1 trains 5 mini-batches; with options {whole, quarter}, `steps` says which each used.
  const auto chosen = [&](LearningProcess& p, const std::vector<std::size_t>& steps) {
    RoundPlan plan;
    Assignment a;
    a.node = 1, a.local_steps = 5, a.batch = 20, a.compression = whole, a.options = {whole, quarter};
    plan.trainers.push_back(a);
    RoundOutcome out;
    out.round = 1;
    NodeOutcome o;
    o.node = 1, o.trained = o.finished = true, o.step_option = steps;
    out.nodes.push_back(o);
    return p.advance(plan, out).loss;
  };
  auto all_quarter = st.make(), plain = st.make(), mixed = st.make(), all_whole = st.make();
  // Every mini-batch on the quarter equals an assignment of the quarter (the same draws).
  const double q = chosen(*all_quarter, {1, 1, 1, 1, 1});
  CHECK(q == round(*plain, {1}, {1}, quarter).loss);
  // A mix is neither.
  const double m = chosen(*mixed, {0, 0, 1, 1, 1}), w = chosen(*all_whole, {0, 0, 0, 0, 0});
  CHECK(m != w);
  CHECK(m != q);
}

TEST_CASE("trained process error: a model that does not fit the data, a missing data set") {
  Setup st;
  REQUIRE(find_model("lenet5", st.m));
  CHECK_THROWS_WITH_AS(st.make(), doctest::Contains("use model 'synthetic-mlp'"), InputError);
  st.s.data.dataset = "fashion-mnist";
  CHECK_THROWS_WITH_AS(st.make("data_dir", std::string("/nonexistent/fmnist")),
                       doctest::Contains("apt-get install dataset-fashion-mnist"), InputError);
}

TEST_CASE("trained process: a run on Fashion-MNIST is byte-identical when repeated") {
  TempDir d;
  d.write("s.toml",
          "[platform]\nfile = \"" + (testutil::source_dir() / "platforms/quickstart.xml").string() +
              "\"\n[data]\nsamples_per_node = 64\n[training]\nmax_rounds = 2\nlocal_steps = 2\n"
              "batch = 16\n[learning]\nprocess = \"trained\"\n[learning.trained]\neval_samples = 200\n");
  const auto a =
      testutil::run_edgetrain("run s.toml --out a --no-progress --set learning.trained.threads=1", d.path());
  const auto b =
      testutil::run_edgetrain("run s.toml --out b --no-progress --set learning.trained.threads=2", d.path());
  REQUIRE_MESSAGE(a.code == 0, a.err);
  REQUIRE_MESSAGE(b.code == 0, b.err);
  CHECK(testutil::read(d.path() / "a/rounds.csv") == testutil::read(d.path() / "b/rounds.csv"));
  CHECK(testutil::read(d.path() / "a/nodes.csv") == testutil::read(d.path() / "b/nodes.csv"));
}

TEST_CASE("trained process: updates are averaged with the trainers' sample counts as weights") {
  // Trainers 1 and 2 hold 100 and 300 samples. Each trains the same way whoever else trains (its
  // own seeded stream), so a round of one alone gives its local model; the round of both must be
  // (100 x the first + 300 x the second) / 400, parameter by parameter.
  Setup st;
  st.data[1].samples = 100, st.data[2].samples = 300;
  auto only1 = st.make(), only2 = st.make(), both = st.make();
  round(*only1, {1}, {1});
  round(*only2, {2}, {2});
  round(*both, {1, 2}, {1, 2});
  const std::vector<float> a = only1->parameters(), b = only2->parameters(), ab = both->parameters();
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() == ab.size());
  REQUIRE(!a.empty());
  double worst = 0, moved = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double ai = a[i], bi = b[i], abi = ab[i];
    const double expected = (100.0 * ai + 300.0 * bi) / 400.0;
    worst = std::max(worst, std::abs(abi - expected));
    moved = std::max(moved, std::abs(ai - bi));
  }
  CHECK(moved > 1e-3);  // the two local models differ: the weights matter
  CHECK(worst < 1e-6); // float sums of a few terms
}
