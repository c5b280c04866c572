// Scenario loading: defaults, overrides, and every kind of bad input with its location.
#include "simulator/common/error.hpp"
#include "simulator/scenario/scenario.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

using namespace edgetrain;
using testutil::TempDir;

namespace {
// Loads `toml` written to a temp folder next to an (empty-content) platform file, returns the
// InputError message, or "" when it loads.
std::string error_of(const std::string& toml, const std::vector<Override>& o = {}) {
  TempDir d;
  d.write("p.xml", "<platform/>");
  const auto f = d.write("s.toml", toml);
  try {
    load_scenario(f, o);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
} // namespace

TEST_CASE("scenario: a minimal file gets every default, and the platform path is resolved") {
  TempDir d;
  d.write("plat/p.xml", "<platform/>");
  const auto f = d.write("conf/s.toml", "[platform]\nfile = \"../plat/p.xml\"\n");
  const Scenario s = load_scenario(f);
  CHECK(s.name == "s");
  CHECK(s.seed == 1);
  CHECK(s.platform_file == (d.path() / "plat/p.xml"));
  CHECK(s.model == "lenet5");
  CHECK(s.training.local_steps == 10);
  CHECK(s.training.batch == 32);
  CHECK(s.training.deadline_s == 86400.0);
  CHECK(s.training.round_timeout_s == 0.0);
  CHECK(s.policy == "fedavg");
  CHECK(s.learning == "surrogate");
  // The surrogate's parameters: the shipped calibration for LeNet-5 on Fashion-MNIST.
  CHECK(s.learning_params.text("calibration") == "auto");
  CHECK(s.where("learning.surrogate.samples_scale").find("configs/calibration/lenet5-fashion-mnist.toml:") !=
        std::string::npos);
  // resolved.toml names every schema key.
  const std::string r = resolved_toml(s);
  for (const KeySpec& k : scenario_schema()) {
    const std::string leaf = k.path.substr(k.path.rfind('.') + 1);
    CHECK_MESSAGE(r.find("\n" + leaf + " = ") != std::string::npos, k.path);
  }
  CHECK(r.find("SimGrid 3.32") != std::string::npos);
  // Without calibration, the schema's defaults.
  d.write("conf/s2.toml", "[platform]\nfile = \"../plat/p.xml\"\n[learning.surrogate]\ncalibration = \"\"\n");
  CHECK(load_scenario(d.path() / "conf/s2.toml").learning_params.number("samples_scale") == 30000.0);
}

TEST_CASE("scenario: --set overrides, typed or bare words, and policy parameters") {
  TempDir d;
  d.write("p.xml", "<platform/>");
  const auto f = d.write("s.toml", "[platform]\nfile = \"p.xml\"\n[training]\nbatch = 16\n");
  const Scenario s = load_scenario(f, {{"training.batch", "64"},
                                       {"policy.name", "random"},
                                       {"policy.random.k", "5"},
                                       {"training.deadline_s", "10"}});
  CHECK(s.training.batch == 64);
  CHECK(s.policy == "random");
  CHECK(s.policy_params.integer("k") == 5);
  CHECK(s.training.deadline_s == 10.0); // an integer is accepted for a number
}

TEST_CASE("scenario: [data.samples] per host") {
  TempDir d;
  d.write("p.xml", "<platform/>");
  const auto f =
      d.write("s.toml", "[platform]\nfile = \"p.xml\"\n[data.samples]\nrpi-1 = 500\n\"odd name\" = 7\n");
  const Scenario s = load_scenario(f);
  CHECK(s.data.by_host.at("rpi-1") == 500);
  CHECK(s.data.by_host.at("odd name") == 7);
  CHECK(s.where("data.samples.rpi-1").find("s.toml:4:") != std::string::npos);
}

TEST_CASE("scenario error: malformed TOML names file, line and column") {
  const std::string e = error_of("[platform]\nfile = \"p.xml\"\n[training\nbatch = 3\n");
  CHECK(e.find("s.toml:3:") != std::string::npos);
}

TEST_CASE("scenario error: missing file") {
  try {
    load_scenario("/nonexistent/s.toml");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("/nonexistent/s.toml: cannot read scenario") != std::string::npos);
  }
}

TEST_CASE("scenario error: unknown key with the nearest valid one") {
  const std::string e = error_of("[platform]\nfile = \"p.xml\"\n[training]\nbath = 3\n");
  CHECK(e.find("s.toml:4:1: training.bath: unknown key (did you mean 'training.batch'?)") !=
        std::string::npos);
  const std::string t = error_of("[platform]\nfile = \"p.xml\"\n[trainig]\nbatch = 3\n");
  CHECK(t.find("s.toml:3:2: trainig: unknown table (did you mean 'training'?)") != std::string::npos);
  const std::string w = error_of("[platform]\nfile = \"p.xml\"\nbatch = 3\n"); // right key, wrong table
  CHECK(w.find("s.toml:3:1: platform.batch: unknown key (did you mean 'training.batch'?)") !=
        std::string::npos);
}

TEST_CASE("scenario error: wrong type") {
  CHECK(error_of("[platform]\nfile = \"p.xml\"\n[[training]]\nbatch = 3\n")
            .find("training: expected a table") != std::string::npos);
  const std::string e = error_of("[platform]\nfile = \"p.xml\"\n[training]\nbatch = \"big\"\n");
  CHECK(e.find("s.toml:4:9: training.batch: expected integer, got string \"big\"") != std::string::npos);
  CHECK(error_of("[platform]\nfile = \"p.xml\"\n[training]\nlocal_steps = 2.5\n").find("expected integer") !=
        std::string::npos);
}

TEST_CASE("scenario error: out-of-range values") {
  CHECK(error_of("[platform]\nfile = \"p.xml\"\n[training]\ndeadline_s = -5\n")
            .find("training.deadline_s: must be > 0, got -5.0") != std::string::npos);
  CHECK(error_of("[platform]\nfile = \"p.xml\"\n[data]\nsamples_per_node = -3\n")
            .find("data.samples_per_node: must be >= 0, got -3") != std::string::npos);
  CHECK(error_of("[platform]\nfile = \"p.xml\"\n[data.samples]\nx = 0\n")
            .find("data.samples.x: must be >= 1") != std::string::npos);
  CHECK(error_of("[platform]\nfile = \"p.xml\"\n[model]\nupdate_bits = 64\n")
            .find("model.update_bits: must be >= 1 and <= 32, got 64") != std::string::npos);
  CHECK(error_of("[platform]\nfile = \"p.xml\"\n[training]\ntarget_loss = nan\n").find("got nan") !=
        std::string::npos);
}

TEST_CASE("scenario error: unknown policy lists the valid ones") {
  const std::string e = error_of("[platform]\nfile = \"p.xml\"\n[policy]\nname = \"fedavgg\"\n");
  CHECK(
      e.find(
          "policy.name: 'fedavgg' is not one of: fedavg, fedavg-pruned, random, greedy, fastest-first, pact, "
          "optimum, fedavg-deadline, fed-dropout, heterofl, fedprox-partial, distreal (did you mean "
          "'fedavg'?)") != std::string::npos);
  CHECK(error_of("[platform]\nfile = \"p.xml\"\n[policy.nosuch]\nk = 1\n").find("unknown policy table") !=
        std::string::npos);
}

TEST_CASE("scenario error: platform file missing or not given") {
  CHECK(error_of("[platform]\nfile = \"nope.xml\"\n").find("s.toml:2:8: platform.file: no such file") !=
        std::string::npos);
  CHECK(error_of("[training]\nbatch = 3\n").find("platform.file: required key missing") != std::string::npos);
}

TEST_CASE("scenario error: bad --set names the override") {
  CHECK(error_of("[platform]\nfile = \"p.xml\"\n", {{"training.batch", "-1"}})
            .find("--set training.batch: training.batch: must be >= 1 and <= 1000000000, got -1") !=
        std::string::npos);
  CHECK(error_of("[platform]\nfile = \"p.xml\"\n", {{"training.bach", "2"}}).find("--set training.bach") !=
        std::string::npos);
  CHECK(error_of("[platform]\nfile = \"p.xml\"\n", {{"training..batch", "2"}}).find("malformed key path") !=
        std::string::npos);
}
