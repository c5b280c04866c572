// `edgetrain fidelity`: Kendall's tau-b and the error statistics against values worked out by hand,
// and the command on run folders built by hand (no run is simulated).
#include "simulator/campaign/fidelity.hpp"

#include "test_util.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

using namespace edgetrain;
using testutil::TempDir;
namespace fs = std::filesystem;

TEST_CASE("fidelity: Kendall's tau-b by hand, ties included") {
  const auto s = [](std::vector<double> v) {
    std::vector<RankScore> out;
    for (double x : v)
      out.push_back({x, 0});
    return out;
  };
  // One swapped pair of 6: (5 - 1) / 6.
  CHECK(*kendall_tau_b(s({1, 2, 3, 4}), s({1, 3, 2, 4})) == doctest::Approx(4.0 / 6));
  CHECK(*kendall_tau_b(s({1, 2, 3}), s({3, 2, 1})) == doctest::Approx(-1));
  // A tie on one side: S = 2 over sqrt((3 - 1) x (3 - 0)).
  CHECK(*kendall_tau_b(s({1, 1, 2}), s({1, 2, 3})) == doctest::Approx(2 / std::sqrt(6.0)));
  // The secondary score breaks a primary tie.
  CHECK(*kendall_tau_b({{-1, 5}, {-1, 3}}, {{-1, 9}, {-1, 1}}) == doctest::Approx(1));
  CHECK(*kendall_tau_b(s({2, 2}), s({7, 7})) == 1);
  CHECK(*kendall_tau_b(s({2, 2}), s({1, 7})) == 0);
  CHECK(!kendall_tau_b(s({1}), s({1})));
}

TEST_CASE("fidelity: rankings, taus and errors of a hand-made study") {
  const auto v = [](bool reached, double t, double e, double acc) { return RunVerdict{reached, t, e, acc}; };
  std::vector<FidelityPair> pairs = {
      // group g: trained ranks A (mean 11) < C (16) < B (reached once); the fast process A < B < C.
      {0, "g", "A", 1, v(true, 10, 100, .80), v(true, 8, 80, .85)},
      {1, "g", "A", 2, v(true, 12, 120, .82), v(true, 10, 100, .85)},
      {2, "g", "B", 1, v(true, 20, 200, .70), v(true, 30, 300, .75)},
      {3, "g", "B", 2, v(false, 0, 0, .60), v(true, 40, 400, .70)},
      {4, "g", "C", 1, v(true, 15, 90, .75), v(false, 0, 0, .70)},
      {5, "g", "C", 2, v(true, 17, 110, .77), v(true, 20, 150, .79)},
      // group h: the same verdicts under both.
      {6, "h", "A", 1, v(true, 5, 50, .9), v(true, 5, 50, .9)},
      {7, "h", "B", 1, v(true, 6, 40, .8), v(true, 6, 40, .8)},
  };
  const Fidelity f = measure_fidelity(pairs);
  REQUIRE(f.groups.size() == 2);
  const GroupFidelity& g = f.groups[0];
  CHECK(g.policies == std::vector<std::string>{"A", "B", "C"});
  CHECK(g.rank_trained == std::vector<int>{1, 3, 2});
  CHECK(g.rank_fast == std::vector<int>{1, 2, 3});
  // Time: (A, B) and (A, C) agree, (B, C) does not: 1/3. Energy: trained C (100) < A (110) < B,
  // fast A (90) < B (350) < C (reached once): only (A, B) agrees: -1/3. Accuracy: A > C > B both.
  CHECK(*g.tau_time == doctest::Approx(1.0 / 3));
  CHECK(*g.tau_energy == doctest::Approx(-1.0 / 3));
  CHECK(*g.tau_accuracy == doctest::Approx(1));
  CHECK(*f.groups[1].tau_time == 1);
  CHECK(*f.tau_time == doctest::Approx(1.0 / 3)); // the worst group
  CHECK(*f.tau_energy == doctest::Approx(-1.0 / 3));
  // Relative errors over the runs both reached: time 0.2, 1/6, 0.5, 3/17 (and 0, 0 in h).
  CHECK(g.rel_time.count == 4);
  CHECK(g.rel_time.median == doctest::Approx((3.0 / 17 + 0.2) / 2));
  CHECK(g.rel_time.max == doctest::Approx(0.5));
  CHECK(g.rel_energy.median == doctest::Approx((0.2 + 40.0 / 110) / 2));
  CHECK(f.rel_time.count == 6);
  CHECK(f.rel_time.median == doctest::Approx((1.0 / 6 + 3.0 / 17) / 2)); // 0, 0, 1/6, 3/17, 0.2, 0.5
  // Accuracy, in points: 5, 3, 5, 10, 5, 2 (then 0, 0).
  CHECK(g.abs_accuracy.median == doctest::Approx(5));
  CHECK(g.abs_accuracy.max == doctest::Approx(10));
  CHECK(f.abs_accuracy.median == doctest::Approx(4)); // 0, 0, 2, 3, 5, 5, 5, 10
  CHECK(f.reached_trained == 7);
  CHECK(f.reached_fast == 7);
  CHECK(f.reached_both == 6);
  CHECK(f.runs == 8);
}

TEST_CASE("fidelity: the trained runs' split-half agreement, seeds alternating, by hand") {
  const auto v = [](bool reached, double t, double e) { return RunVerdict{reached, t, e, 0.8}; };
  const RunVerdict any = v(true, 1, 1);
  std::vector<FidelityPair> pairs = {
      // group g, seeds 1 and 2. Time: seed 1 ranks A (10) < B (20) < C (30), seed 2 B (15) < A (25)
      // < C (35): (A, B) disagrees, the other two pairs agree, tau 1/3. Energy: seed 1 C < B < A,
      // seed 2 A < B < C (C unreached, so last): reversed, tau -1.
      {0, "g", "A", 1, v(true, 10, 300), any},
      {1, "g", "A", 2, v(true, 25, 100), any},
      {2, "g", "B", 1, v(true, 20, 200), any},
      {3, "g", "B", 2, v(true, 15, 200), any},
      {4, "g", "C", 1, v(true, 30, 100), any},
      {5, "g", "C", 2, v(false, 0, 0), any},
      // group k, seeds 4, 1, 3, 2 (listed out of order): halves {1, 3} and {2, 4}. A takes 10 s on
      // seeds 1 and 3, 50 s on 2 and 4; B 20 s always. Halves: A < B, then B < A: tau -1 (halves
      // {1, 2} and {3, 4} would give B < A twice, tau 1).
      {6, "k", "A", 4, v(true, 50, 1), any},
      {7, "k", "A", 1, v(true, 10, 1), any},
      {8, "k", "A", 3, v(true, 10, 1), any},
      {9, "k", "A", 2, v(true, 50, 1), any},
      {10, "k", "B", 4, v(true, 20, 1), any},
      {11, "k", "B", 1, v(true, 20, 1), any},
      {12, "k", "B", 3, v(true, 20, 1), any},
      {13, "k", "B", 2, v(true, 20, 1), any},
      // group h: one seed, no halves.
      {14, "h", "A", 1, v(true, 5, 50), any},
      {15, "h", "B", 1, v(true, 6, 40), any},
  };
  const Fidelity f = measure_fidelity(pairs);
  REQUIRE(f.groups.size() == 3);
  CHECK(*f.groups[0].self_tau_time == doctest::Approx(1.0 / 3));
  CHECK(*f.groups[0].self_tau_energy == doctest::Approx(-1));
  CHECK(*f.groups[1].self_tau_time == doctest::Approx(-1));
  CHECK(*f.groups[1].self_tau_energy == doctest::Approx(1)); // every energy ties: both halves agree
  CHECK_FALSE(f.groups[2].self_tau_time.has_value());
  CHECK(*f.self_tau_time == doctest::Approx(-1)); // the worst group
  CHECK(*f.self_tau_energy == doctest::Approx(-1));
}

namespace {
void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// plan.csv's run ids, in plan order.
std::vector<std::string> plan_ids(const fs::path& plan) {
  std::vector<std::string> ids;
  for (const auto& row : testutil::csv_rows(testutil::read(plan)))
    ids.push_back(row.at(1));
  return ids;
}

void summary(const fs::path& run, bool reached, double t, double e, double acc) {
  write(run / "summary.json",
        fmt::format("{{\n  \"policy\": \"x\",\n  \"reached_target\": {},\n  \"time_to_target_s\": {},\n"
                    "  \"energy_to_target_j\": {},\n  \"final_accuracy\": {}\n}}\n",
                    reached, reached ? fmt::format("{}", t) : "null", reached ? fmt::format("{}", e) : "null",
                    acc));
  write(run / "rounds.csv", "round,loss\n");
  write(run / "nodes.csv", "round,node\n");
}

std::string campaign_text(const std::string& extra = "") {
  return fmt::format("[campaign]\nname = \"f\"\nscenario = \"{}\"\nseeds = [1]\n{}"
                     "[[axis]]\nkey = \"policy.name\"\nvalues = [\"fedavg\", \"random\"]\n"
                     "[[axis]]\nkey = \"training.deadline_s\"\nvalues = [100, 200]\n",
                     testutil::quickstart(), extra);
}
} // namespace

TEST_CASE("fidelity command: run folders built by hand give the taus and errors worked out by hand") {
  TempDir d;
  const fs::path c = d.write("c.toml", campaign_text());
  // Nothing run: both plans are written, nothing is measured.
  auto p = testutil::run_edgetrain(fmt::format("fidelity {} -o out --merge-only", c.string()), d.path());
  CHECK(p.code == 1);
  const auto trained = plan_ids(d.path() / "out/trained/plan.csv"), fast = plan_ids(d.path() / "out/fast/plan.csv");
  REQUIRE(trained.size() == 4);
  REQUIRE(fast.size() == 4);
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(trained[i] != fast[i]); // learning.process differs, so do the runs
  // Plan order: fedavg at 100, fedavg at 200, random at 100, random at 200.
  // deadline 100: fedavg 10 s -> 12 s, random 20 s -> 15 s: same ranking (tau 1).
  // deadline 200: fedavg 10 s -> 30 s, random 20 s -> 25 s: reversed (tau -1).
  const double t_tr[] = {10, 10, 20, 20}, t_fa[] = {12, 30, 15, 25};
  for (std::size_t i = 0; i < 4; ++i) {
    summary(d.path() / "out/trained/runs" / trained[i], true, t_tr[i], 10 * t_tr[i], 0.8);
    summary(d.path() / "out/fast/runs" / fast[i], true, t_fa[i], 10 * t_fa[i], 0.83);
  }
  p = testutil::run_edgetrain(fmt::format("fidelity {} -o out --merge-only", c.string()), d.path());
  CHECK(p.code == 0);
  CHECK(p.out.find("deadline_s=100") != std::string::npos);
  const auto j = nlohmann::json::parse(testutil::read(d.path() / "out/fidelity.json"));
  CHECK(j["runs"] == 4);
  CHECK(j["fast_process"] == "surrogate");
  CHECK(j["kendall_tau_time"].get<double>() == doctest::Approx(-1)); // the worst group
  CHECK(j["kendall_tau_energy"].get<double>() == doctest::Approx(-1));
  CHECK(j["groups"][0]["group"] == "deadline_s=100");
  CHECK(j["groups"][0]["kendall_tau_time"].get<double>() == doctest::Approx(1));
  CHECK(j["groups"][1]["kendall_tau_time"].get<double>() == doctest::Approx(-1));
  // Errors 0.2, 0.25 | 2.0, 0.25: median 0.25, max 2; accuracy 3 points everywhere.
  CHECK(j["median_rel_error_time"].get<double>() == doctest::Approx(0.25));
  CHECK(j["max_rel_error_time"].get<double>() == doctest::Approx(2));
  CHECK(j["median_abs_error_accuracy_points"].get<double>() == doctest::Approx(3));
  CHECK(j["groups"][0]["policies"][1]["policy"] == "random");
  CHECK(j["trained_split_half_tau_time"].is_null()); // one seed: no halves to compare
  CHECK(testutil::csv_rows(testutil::read(d.path() / "out/fidelity.csv")).size() == 4);

  // A sample of 2 runs: one whole group-and-seed cell, both policies of one deadline.
  p = testutil::run_edgetrain(fmt::format("fidelity {} -o sampled --merge-only --sample 2", c.string()), d.path());
  const auto rows = testutil::csv_rows(testutil::read(d.path() / "sampled/trained/plan.csv"));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].at(3) != rows[1].at(3)); // policy.name
  CHECK(rows[0].at(4) == rows[1].at(4)); // training.deadline_s
}

TEST_CASE("fidelity command errors: a learning.process axis, the trained or an unknown fast process") {
  TempDir d;
  const fs::path axis = d.write("a.toml", campaign_text() + "[[axis]]\nkey = \"learning.process\"\n"
                                                            "values = [\"surrogate\"]\n");
  auto p = testutil::run_edgetrain(fmt::format("fidelity {} -o out", axis.string()), d.path());
  CHECK(p.code == 2);
  CHECK(p.err.rfind("error: ", 0) == 0);
  CHECK(p.err.find("learning.process") != std::string::npos);
  CHECK(!fs::exists(d.path() / "out"));
  const fs::path c = d.write("c.toml", campaign_text());
  p = testutil::run_edgetrain(fmt::format("fidelity {} -o out --fast trained", c.string()), d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("--fast") != std::string::npos);
  p = testutil::run_edgetrain(fmt::format("fidelity {} -o out --fast bogus", c.string()), d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("no learning process 'bogus'") != std::string::npos);
  CHECK(!fs::exists(d.path() / "out"));
}
