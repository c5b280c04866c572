#pragma once
// A scenario, validated and with every default resolved. Built only by load_scenario(), so a
// Scenario in hand is always sound as far as the scenario file alone can tell (the platform checks
// the rest: host names, routes).
#include "simulator/scenario/key_spec.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace edgetrain {

struct DataSpec {
  std::string dataset;                         // names the sample pool: "fashion-mnist" or "synthetic"
  std::int64_t total_samples = 0;              // 0: the data set's own training-set size
  std::int64_t samples_per_node = 0;           // 0: split total_samples among the trainers
  std::string quantity_skew;                   // "equal" or "lognormal"
  double quantity_sigma = 1.0;                 // lognormal sigma of per-node sample counts
  double label_alpha = 0.0;                    // Dirichlet alpha of per-node label mixes; 0 = IID
  std::int64_t label_shards = 0;               // classes per node (shards); 0 = off
  std::map<std::string, std::int64_t> by_host; // [data.samples] host = count
};

struct TrainingSpec {
  std::int64_t local_steps = 10;
  std::int64_t batch = 32;
  std::int64_t max_local_steps = 0, max_batch = 0; // ceilings on a plan's (0: none)
  double target_loss = 0.5;
  double deadline_s = 0;
  std::int64_t max_rounds = 100;
  double round_timeout_s = 0; // 0: no timeout
  double idle_wait_s = 60;
  bool stop_at_target = true;
  double aggregation_flops_per_param = 2.0;
};

struct Scenario {
  std::filesystem::path file; // the scenario file, absolute
  std::vector<std::string> warnings; // what the user should know of how it was read (printed by run)
  std::string name;
  std::uint64_t seed = 1;

  std::filesystem::path platform_file;       // absolute, resolved against the scenario's folder
  std::string platform_shown;                // as messages show it: relative to where the scenario was named
  std::string aggregator;                    // host name, or "" to take the host with role=aggregator
  std::vector<std::string> trainers;         // host name patterns, or empty to use role=trainer
  std::vector<std::string> simgrid_cfg;      // "network/model:CM02", ... applied before loading
  std::vector<std::filesystem::path> traces; // absolute

  std::string model;
  std::int64_t update_bits = 32;

  DataSpec data;
  TrainingSpec training;

  std::string policy;
  Params policy_params;
  std::string learning;
  Params learning_params;

  // Every key of the schema with its resolved value, in schema order: resolved.toml's content.
  std::vector<std::pair<std::string, Value>> resolved;
  // Where each key given in the file was: "file:line:col" or "--set key", for later checks
  // (the platform's) to point at the key they reject.
  std::map<std::string, std::string> key_where;
  [[nodiscard]] std::string where(const std::string& key) const;
};

struct Override {
  std::string path;  // key path, e.g. "training.batch"
  std::string value; // TOML value text; a bare word is taken as a string
};

// "key.path=value" command-line overrides; throws InputError on one without '='.
std::vector<Override> parse_overrides(const std::vector<std::string>& sets);

// Throws InputError naming "file:line:col: key" (or "--set key") on any problem.
Scenario load_scenario(const std::filesystem::path& file, const std::vector<Override>& overrides = {});
// The same, "auto" calibrations looked for in `calibration_dir` instead of the shipped folder.
Scenario load_scenario(const std::filesystem::path& file, const std::vector<Override>& overrides,
                       const std::filesystem::path& calibration_dir);

// What load_scenario parsed (the scenario file, its calibration file), kept for the next load: a
// campaign loads one scenario once per run with other overrides, and parsing it again each time
// was 80% of planning a campaign. It assumes the files do not change while it lives.
class ScenarioFileCache {
public:
  ScenarioFileCache();
  ~ScenarioFileCache();
  ScenarioFileCache(const ScenarioFileCache&) = delete;
  ScenarioFileCache& operator=(const ScenarioFileCache&) = delete;
  struct Impl;

private:
  friend Scenario load_scenario(const std::filesystem::path&, const std::vector<Override>&, ScenarioFileCache&);
  std::unique_ptr<Impl> impl_;
};
Scenario load_scenario(const std::filesystem::path& file, const std::vector<Override>& overrides,
                       ScenarioFileCache& cache);

// The loss model's form a calibration file is fitted to ([fitted_for] form, written by edgetrain
// calibrate). Form 3 made label skew a power and added the union-skew floor and the accuracy
// table; form 4 makes the trainer count's exponent grow with the round's label skew; form 5 adds
// skew_shape, so that moderate skews can cost far less than extreme ones: a file of an older or a
// newer form is refused (refit it: edgetrain calibrate).
constexpr std::int64_t kCalibrationForm = 5;

// A calibration file's learning.surrogate.* parameters (the defaults for those it does not set),
// checked like a scenario; InputError at "shown:line:col" when malformed, without a [fitted_for]
// table, or fitted for another model or data set.
Params read_calibration_file(const std::filesystem::path& file, const std::string& shown,
                             const std::string& model, const std::string& dataset);
// The planners' shipped default predictor for a model and data set (configs/predictors/), which
// may not exist for a model nobody calibrated.
std::filesystem::path shipped_predictor(const std::string& model, const std::string& dataset);

// The schema: core keys, then each policy's and learning process's parameters as
// "policy.<name>.<param>" and "learning.<name>.<param>".
const std::vector<KeySpec>& scenario_schema();

// resolved.toml: every key with its value, and the versions that produced it.
std::string resolved_toml(const Scenario& s);

} // namespace edgetrain
