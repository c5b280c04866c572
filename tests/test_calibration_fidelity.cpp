// `edgetrain calibrate --fidelity DIR`: the header line read off a fidelity folder, and folders
// measured on other parameters, another model or no completed run refused.
#include "simulator/cli/calibration_fidelity.hpp"
#include "simulator/common/error.hpp"
#include "simulator/learning/calibrate.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

using namespace edgetrain;
using testutil::TempDir;

namespace {
LossModel fitted() {
  LossModel m;
  m.plateau = 0.4, m.samples_scale = 1234.5, m.accuracy_table = {0.9, 0.5, 0.1};
  return m;
}
// A run's resolved.toml with these parameters (what a surrogate run writes).
std::string resolved(const LossModel& m, const std::string& model = "lenet5",
                     const std::vector<double>& layer_weights = {}) {
  std::string t = fmt::format("[model]\nname = \"{}\"\n[learning.surrogate]\n", model);
  for (const auto& [k, v] : surrogate_values(m))
    t += fmt::format("{} = {}\n", k, v);
  t += "accuracy_table = [";
  for (std::size_t i = 0; i < m.accuracy_table.size(); ++i)
    t += fmt::format("{}{}", i ? ", " : "", m.accuracy_table[i]);
  t += "]\n";
  if (!layer_weights.empty()) t += fmt::format("layer_weights = [{}]\n", fmt::join(layer_weights, ", "));
  return t;
}
// A fidelity folder of two fast runs (the second failed: not checked) on `m`.
void folder(const TempDir& d, const LossModel& m, const std::string& model = "lenet5",
            const std::vector<double>& layer_weights = {}) {
  d.write("fidelity.json", R"({"fast_process": "surrogate", "campaign": "/x/configs/campaigns/quick.toml",
    "runs": 12, "kendall_tau_time": 0.4667, "kendall_tau_energy": 0.3333, "kendall_tau_accuracy": 0.2,
    "trained_split_half_tau_time": 0.6, "trained_split_half_tau_energy": 0.2, "median_rel_error_time": 0.1234,
    "max_rel_error_time": 0.75, "median_abs_error_accuracy_points": 1.26, "max_abs_error_accuracy_points": 2.3})");
  // An axis before the policy's, as a campaign over platforms has: the columns are found by name.
  d.write("fast/runs.csv", "run,run_id,platform.file,policy.name,seed,status\n1,aaa,p.xml,fedavg,1,ok\n"
                           "2,bbb,p.xml,fedavg,2,failed\n");
  d.write("fast/runs/aaa/resolved.toml", resolved(m, model, layer_weights));
}
} // namespace

TEST_CASE("calibrate --fidelity: the header line holds the folder's figures") {
  TempDir d;
  folder(d, fitted());
  const std::vector<std::string> notes = fidelity_notes({d.path().string()}, fitted(), {}, "lenet5");
  REQUIRE(notes.size() == 1);
  CHECK(notes[0] == "fidelity on quick (12 pairs, worst group): tau time 0.47, energy 0.33, final accuracy 0.20 "
                    "(training against itself, seed halves: 0.60, 0.20); time to target error median 12% "
                    "(max 75%); final accuracy error 1.3 (2.3) points");
}

TEST_CASE("calibrate --fidelity error: other parameters, another model, no completed run, not a folder") {
  TempDir d;
  LossModel other = fitted();
  other.plateau = 0.5; // one parameter off: the folder measured another fit
  folder(d, other);
  CHECK_THROWS_WITH(fidelity_notes({d.path().string()}, fitted(), {}, "lenet5"),
                    doctest::Contains("learning.surrogate.plateau: 0.5 there, 0.4 in this fit"));
  other = fitted();
  other.accuracy_table.back() = 0.2;
  folder(d, other);
  CHECK_THROWS_WITH(fidelity_notes({d.path().string()}, fitted(), {}, "lenet5"), doctest::Contains("accuracy_table"));
  folder(d, fitted(), "mlp");
  CHECK_THROWS_WITH(fidelity_notes({d.path().string()}, fitted(), {}, "lenet5"),
                    doctest::Contains("model.name: the campaign trains 'mlp', this fit is for 'lenet5'"));
  folder(d, fitted());
  d.write("fast/runs.csv", "run,run_id,policy.name,seed,status\n1,aaa,fedavg,1,failed\n");
  CHECK_THROWS_WITH(fidelity_notes({d.path().string()}, fitted(), {}, "lenet5"),
                    doctest::Contains("no completed fast run"));
  d.write("fast/runs.csv", "run,id,policy.name,seed,status\n1,aaa,fedavg,1,ok\n");
  CHECK_THROWS_WITH(fidelity_notes({d.path().string()}, fitted(), {}, "lenet5"), doctest::Contains(":1: no run_id column"));
  CHECK_THROWS_AS(fidelity_notes({(d.path() / "nothing").string()}, fitted(), {}, "lenet5"), InputError);
}

TEST_CASE("calibrate --fidelity: a fit with layer weights needs a folder measured on those weights") {
  TempDir d;
  const std::vector<double> w{0.1, 0.2, 0.3, 0.4};
  folder(d, fitted()); // measured before the weights were fitted
  CHECK_THROWS_WITH(fidelity_notes({d.path().string()}, fitted(), w, "lenet5"), doctest::Contains("layer_weights"));
  folder(d, fitted(), "lenet5", {0.1, 0.2, 0.3, 0.5});
  CHECK_THROWS_WITH(fidelity_notes({d.path().string()}, fitted(), w, "lenet5"), doctest::Contains("layer_weights"));
  folder(d, fitted(), "lenet5", w);
  CHECK(fidelity_notes({d.path().string()}, fitted(), w, "lenet5").size() == 1);
  // and a fit without them refuses a folder that had some
  CHECK_THROWS_WITH(fidelity_notes({d.path().string()}, fitted(), {}, "lenet5"), doctest::Contains("layer_weights"));
}
