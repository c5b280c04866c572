// Calibration files: written by `edgetrain calibrate`, read by the surrogate through the scenario,
// with the scenario's own keys winning; mistakes in them are input errors.
#include "simulator/common/error.hpp"
#include "simulator/scenario/scenario.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

using namespace edgetrain;
using testutil::TempDir;

namespace {
std::string scenario(const std::string& extra) {
  return "[platform]\nfile = \"" + (testutil::source_dir() / "platforms/quickstart.xml").string() +
         "\"\n[learning.surrogate]\n" + extra;
}
double param(const Scenario& s, const std::string& key) {
  return s.learning_params.number(key);
}
} // namespace

TEST_CASE("calibration: a file's values are used, the scenario's own keys win, resolved shows both") {
  TempDir d;
  d.write("cal.toml", "# fitted\n[learning.surrogate]\nfloor_loss = 0.42\nsamples_scale = 12345.0\n");
  d.write("s.toml", scenario("calibration = \"cal.toml\"\nsamples_scale = 999.0\n"));
  const Scenario s = load_scenario(d.path() / "s.toml");
  CHECK(param(s, "floor_loss") == 0.42);
  CHECK(param(s, "samples_scale") == 999.0);       // set in the scenario
  CHECK(param(s, "skew_exponent") == 0.7);         // in neither: the default
  CHECK(s.where("learning.surrogate.floor_loss").find("cal.toml:3:") != std::string::npos);
  const std::string resolved = resolved_toml(s);
  CHECK(resolved.find("floor_loss = 0.42") != std::string::npos);
  // "" turns calibration off.
  d.write("s2.toml", scenario("calibration = \"\"\n"));
  CHECK(param(load_scenario(d.path() / "s2.toml"), "floor_loss") == 0.25);
}

TEST_CASE("calibration: \"auto\" with no file for the model warns, naming the path it looked for") {
  TempDir d, empty;
  d.write("s.toml", scenario(""));
  const Scenario s = load_scenario(d.path() / "s.toml", {}, empty.path());
  REQUIRE(s.warnings.size() == 1);
  CHECK(s.warnings[0].find("no calibration shipped for model 'lenet5' on 'fashion-mnist' (looked for " +
                           (empty.path() / "lenet5-fashion-mnist.toml").string() + ")") != std::string::npos);
  CHECK(param(s, "floor_loss") == 0.25); // the key's default
  // The shipped folder has one; a trained run does not run on these keys; "" asks for none.
  CHECK(load_scenario(d.path() / "s.toml").warnings.empty());
  CHECK(load_scenario(d.path() / "s.toml", {{"learning.process", "trained"}}, empty.path()).warnings.empty());
  CHECK(load_scenario(d.path() / "s.toml", {{"learning.surrogate.calibration", "\"\""}}, empty.path())
            .warnings.empty());
}

TEST_CASE("calibration error: a missing file, a foreign key, a bad value, malformed TOML") {
  TempDir d;
  d.write("s.toml", scenario("calibration = \"nope.toml\"\n"));
  CHECK_THROWS_WITH_AS(load_scenario(d.path() / "s.toml"), doctest::Contains("no such file"), InputError);
  d.write("s.toml", scenario("calibration = \"cal.toml\"\n"));
  d.write("cal.toml", "[learning.surrogate]\nfloor_loss = 0.4\n[training]\nbatch = 3\n");
  CHECK_THROWS_WITH_AS(
      load_scenario(d.path() / "s.toml"),
      doctest::Contains("cal.toml:4:9: training.batch: a calibration file sets learning.surrogate.* "
                        "parameters only"),
      InputError);
  d.write("cal.toml", "[learning.surrogate]\nfloor_loss = -1.0\n");
  CHECK_THROWS_WITH_AS(load_scenario(d.path() / "s.toml"), doctest::Contains("cal.toml:2:"), InputError);
  d.write("cal.toml", "[learning.surrogate\n");
  CHECK_THROWS_WITH_AS(load_scenario(d.path() / "s.toml"), doctest::Contains("cal.toml:1:"), InputError);
}

TEST_CASE("calibration: a file of this loss-model form is read, an older or a newer one is refused") {
  TempDir d;
  d.write("s.toml", scenario("calibration = \"cal.toml\"\n"));
  const std::string head = "[fitted_for]\nmodel = \"lenet5\"\ndataset = \"fashion-mnist\"\n";
  d.write("cal.toml", head + "form = 5\n[learning.surrogate]\nskew_floor = 0.7\naccuracy_table = [0.9, 0.5, 0.1]\n");
  Scenario s = load_scenario(d.path() / "s.toml");
  CHECK(param(s, "skew_floor") == 0.7);
  CHECK(s.learning_params.numbers("accuracy_table") == std::vector<double>{0.9, 0.5, 0.1});
  // Form 1 (no form key) and form 2 had a linear skew penalty: refused, with what to do.
  d.write("cal.toml", head + "[learning.surrogate]\ncompression_rate = 1.7\n");
  CHECK_THROWS_WITH_AS(load_scenario(d.path() / "s.toml"),
                       doctest::Contains("cal.toml:1:1: fitted_for.form: fitted to loss-model form 1, older than "
                                         "this edgetrain's 5: refit it"),
                       InputError);
  for (const char* older : {"3", "4"}) { // one exponent for every trainer count; no skew_shape
    d.write("cal.toml", head + "form = " + older + "\n[learning.surrogate]\ncompression_rate = 1.7\n");
    const std::string expected = std::string("cal.toml:4:8: fitted_for.form: fitted to loss-model form ") + older + ", older";
    CHECK_THROWS_WITH_AS(load_scenario(d.path() / "s.toml"), doctest::Contains(expected.c_str()), InputError);
  }
  d.write("cal.toml", head + "form = 2\n[learning.surrogate]\ncompression_rate = 1.7\n");
  CHECK_THROWS_WITH_AS(load_scenario(d.path() / "s.toml"),
                       doctest::Contains("cal.toml:4:8: fitted_for.form: fitted to loss-model form 2, older"),
                       InputError);
  d.write("cal.toml", head + "form = 9\n[learning.surrogate]\ncompression_rate = 1.7\n");
  CHECK_THROWS_WITH_AS(load_scenario(d.path() / "s.toml"),
                       doctest::Contains("cal.toml:4:8: fitted_for.form: fitted to loss-model form 9, newer"),
                       InputError);
  d.write("cal.toml", head + "form = \"x\"\n");
  CHECK_THROWS_WITH_AS(load_scenario(d.path() / "s.toml"), doctest::Contains("fitted_for.form: expected a positive"),
                       InputError);
  // An accuracy table that rises as the loss rises is no accuracy map.
  d.write("cal.toml", head + "form = 5\n[learning.surrogate]\naccuracy_table = [0.5, 0.9, 0.1]\n");
  const auto rising = testutil::run_edgetrain("run s.toml --out o --no-progress", d.path());
  CHECK(rising.code == 2);
  CHECK(rising.err.find("accuracy_table: needs two values or more, none above the one before") != std::string::npos);
}

TEST_CASE("calibrate: a small design on synthetic data writes a file the surrogate then runs with") {
  TempDir d;
  d.write(
      "s.toml",
      "[platform]\nfile = \"" + (testutil::source_dir() / "platforms/quickstart.xml").string() +
          "\"\n[model]\nname = \"synthetic-mlp\"\n[data]\ndataset = \"synthetic\"\nsamples_per_node = 100\n"
          "[training]\nlocal_steps = 5\nbatch = 20\nmax_rounds = 3\n");
  const auto c = testutil::run_edgetrain(
      "calibrate s.toml -o cal.toml --runs 6 --rounds 6 --nodes 3 --folds 3 --eval-samples 100",
      d.path());
  REQUIRE_MESSAGE(c.code == 0, c.err);
  const std::string cal = testutil::read(d.path() / "cal.toml");
  CHECK(cal.find("#   edgetrain calibrate s.toml -o cal.toml --runs 6 --rounds 6") != std::string::npos);
  CHECK(cal.find("[learning.surrogate]") != std::string::npos);
  CHECK(cal.find("samples_scale = ") != std::string::npos);
  // The traces are written beside it, and refitting them gives the same parameters.
  REQUIRE(std::filesystem::exists(d.path() / "cal.toml.traces.csv"));
  const auto refit =
      testutil::run_edgetrain("calibrate s.toml -o refit.toml --from-traces cal.toml.traces.csv", d.path());
  REQUIRE_MESSAGE(refit.code == 0, refit.err);
  const auto table = [](const std::string& t) { return t.substr(t.find("[learning.surrogate]")); };
  CHECK(table(testutil::read(d.path() / "refit.toml")) == table(cal));
  // Two traces files are merged in turn: twelve runs, the header says which came from where, and
  // the merged traces are written beside the output (runs 6 to 11 are the second file's 0 to 5).
  const auto merged = testutil::run_edgetrain(
      "calibrate s.toml -o merged.toml --folds 3 --from-traces cal.toml.traces.csv --from-traces cal.toml.traces.csv",
      d.path());
  REQUIRE_MESSAGE(merged.code == 0, merged.err);
  const std::string m = testutil::read(d.path() / "merged.toml");
  CHECK(m.find("# design: 12 runs of ") != std::string::npos);
  CHECK(m.find("; merged: runs 0-5 from cal.toml.traces.csv; runs 6-11 from cal.toml.traces.csv") != std::string::npos);
  const auto rows = testutil::csv_rows(testutil::read(d.path() / "merged.toml.traces.csv")),
             single = testutil::csv_rows(testutil::read(d.path() / "cal.toml.traces.csv"));
  REQUIRE(rows.size() == 2 * single.size());
  CHECK(rows[single.size()][0] == "6");
  CHECK(std::vector<std::string>(rows[single.size()].begin() + 1, rows[single.size()].begin() + 9) ==
        std::vector<std::string>(single[0].begin() + 1, single[0].begin() + 9));
  // More folds than the traces have runs: exit 2, nothing written.
  const auto folds = testutil::run_edgetrain("calibrate s.toml -o f.toml --folds 7 --from-traces cal.toml.traces.csv",
                                             d.path());
  CHECK(folds.code == 2);
  CHECK(folds.err.find("--folds: 7 folds for 6 runs") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(d.path() / "f.toml"));
  // Layer weights fitted to a DSE cache: written to the file, the header says how well they fit.
  d.write("dse.csv", "keep,seed,rounds,nodes,loss_drop\n1,1,4,2,0.5\n0.25,1,4,2,0.15\n0.5,1,4,2,0.3\n"
                     "0.75,1,4,2,0.42\n");
  const auto layered = testutil::run_edgetrain(
      "calibrate s.toml -o lw.toml --from-traces cal.toml.traces.csv --layer-speeds dse.csv", d.path());
  REQUIRE_MESSAGE(layered.code == 0, layered.err);
  const std::string lw = testutil::read(d.path() / "lw.toml");
  CHECK(lw.find("layer_weights = [1.0]") != std::string::npos);
  CHECK(lw.find("# layer weights (fc1): 1.000, fitted to 3 dropout vectors' trained speeds in dse.csv (short runs "
                "of s.toml; with their own dropout exponent, ") != std::string::npos);
  // ...and refused from a scenario of another model, or a cache of another model's vectors
  std::string other_model = testutil::read(d.path() / "s.toml");
  other_model.replace(other_model.find("synthetic-mlp"), 13, "lenet5");
  other_model.replace(other_model.find("\"synthetic\""), 11, "\"fashion-mnist\"");
  d.write("other.toml", other_model);
  const auto other = testutil::run_edgetrain(
      "calibrate s.toml -o x.toml --from-traces cal.toml.traces.csv --layer-speeds dse.csv --layer-scenario other.toml",
      d.path());
  CHECK(other.code == 2);
  CHECK(other.err.find("--layer-scenario: other.toml trains lenet5") != std::string::npos);
  d.write("dse4.csv", "keep,seed,rounds,nodes,loss_drop\n1;1,1,4,2,0.5\n0.5;1,1,4,2,0.3\n");
  const auto wide = testutil::run_edgetrain(
      "calibrate s.toml -o x.toml --from-traces cal.toml.traces.csv --layer-speeds dse4.csv", d.path());
  CHECK(wide.code == 2);
  CHECK(wide.err.find("dse4.csv: a vector of 2 keeps, and synthetic-mlp has 1 prunable layers") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(d.path() / "x.toml"));
  // Runs trained one at a time give the same traces as runs trained two at once.
  const auto serial = testutil::run_edgetrain(
      "calibrate s.toml -o cal1.toml -j 1 --runs 6 --rounds 6 --nodes 3 --folds 3 --eval-samples 100",
      d.path());
  REQUIRE_MESSAGE(serial.code == 0, serial.err);
  CHECK(testutil::read(d.path() / "cal1.toml.traces.csv") == testutil::read(d.path() / "cal.toml.traces.csv"));
  // A label mix that is not a list of shares names its line.
  {
    const std::string traces = testutil::read(d.path() / "cal.toml.traces.csv");
    const std::size_t second = traces.find('\n') + 1, end = traces.find('\n', second);
    std::string row = traces.substr(second, end - second);
    row = row.substr(0, row.rfind(',')) + ",0.5;x";
    d.write("mix.csv", traces.substr(0, second) + row + "\n");
    const auto mix = testutil::run_edgetrain("calibrate s.toml -o r4.toml --from-traces mix.csv", d.path());
    CHECK(mix.code == 2);
    CHECK(mix.err.find("mix.csv:2: label_mix: expected numbers in [0, 1]") != std::string::npos);
  }
  d.write("bad.csv", testutil::read(d.path() / "cal.toml.traces.csv") + "3,iid,1,0,1,0,2.3,x,1,1,1,1,1,0\n");
  const auto bad_traces =
      testutil::run_edgetrain("calibrate s.toml -o r2.toml --from-traces bad.csv", d.path());
  CHECK(bad_traces.code == 2);
  CHECK(bad_traces.err.find("bad.csv:") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(d.path() / "r2.toml"));
  const auto r = testutil::run_edgetrain(
      "run s.toml --out o --no-progress --set learning.surrogate.calibration=cal.toml", d.path());
  CHECK_MESSAGE(r.code == 0, r.err);
  // Bad options: exit 2, nothing written.
  const auto bad = testutil::run_edgetrain("calibrate s.toml -o bad.toml --runs 1", d.path());
  CHECK(bad.code == 2);
  CHECK_FALSE(std::filesystem::exists(d.path() / "bad.toml"));
  // Older layouts of traces (a dropout flag, no sample counts, steps or batch; or no label mixes)
  // are refused by name.
  d.write("old2.csv", "run,split,keep,mode,participation,samples_per_node,local_steps,batch,heldout,initial_loss,"
                      "round,loss,accuracy,samples_processed,own_samples,trainer_keep,label_skew\n");
  const auto old2 = testutil::run_edgetrain("calibrate s.toml -o r3.toml --from-traces old2.csv", d.path());
  CHECK(old2.code == 2);
  CHECK(old2.err.find("old2.csv:1: traces of an older edgetrain (no label mixes") != std::string::npos);
  d.write("old.csv", "run,split,keep,dropout,participation,heldout,initial_loss,round,loss,accuracy,"
                     "samples_processed,own_samples,trainer_keep,label_skew\n0,iid,1,0,1,0,2.3,1,2,0.2,640,600,1,0\n");
  const auto old = testutil::run_edgetrain("calibrate s.toml -o r3.toml --from-traces old.csv", d.path());
  CHECK(old.code == 2);
  CHECK(old.err.find("old.csv:1: traces of an older edgetrain") != std::string::npos);
  // Two fitted runs of two rounds cannot determine twelve parameters.
  const auto few =
      testutil::run_edgetrain("calibrate s.toml -o few.toml --runs 3 --rounds 2 --folds 3", d.path());
  CHECK(few.code == 2);
  CHECK(few.err.find("too few") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(d.path() / "few.toml"));
  const auto nofolder =
      testutil::run_edgetrain("calibrate s.toml -o no/such/dir/c.toml --runs 2 --rounds 2", d.path());
  CHECK(nofolder.code == 2);
  CHECK(nofolder.err.find("no such folder") != std::string::npos);
}
