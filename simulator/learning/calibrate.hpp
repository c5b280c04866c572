#pragma once
// `edgetrain calibrate`: runs the trained learning process over a design of compression levels
// (pruning and dropout), participation and data splits, fits the loss model (loss_model.hpp) to
// every run, and measures its error by cross-validation: the runs fall into folds, and each run is
// predicted by the model fitted on the other folds (so every compression mode and split the design
// holds is in the shipped fit, and every run has an out-of-sample error).
#include "simulator/learning/cost_model.hpp"
#include "simulator/learning/learning_process.hpp"
#include "simulator/learning/loss_model.hpp"
#include "simulator/scenario/scenario.hpp"

#include <functional>
#include <string>
#include <vector>
#include <utility>

namespace edgetrain {

// The design runs' setting, which the DSE's short runs share: the scenario with its per-host data
// dropped (600 samples a node unless it sets a count); nodes 1..nodes train on its split (node 0
// aggregates); a trainer's Contribution with a compression.
Scenario design_scenario(const Scenario& base);
std::vector<NodeData> design_data(const Scenario& design, int nodes, int classes);
Contribution design_contribution(const Scenario& design, const NodeData& d, const Compression& c);

// One federated run of the trained process, outside the engine: `nodes` trainers with the
// scenario's data split (samples_per_node 600 unless set), a seeded share `participation` of
// them each round, every one training with `c` for the scenario's local steps and batch.
// The design (calibrate) draws per run: keep 1, 0.75, 0.5 or 0.3 by any of the four compression
// modes, spread over every layer and node alike, or with the first or the last prunable layer
// whole, or per node (keeps 1, 0.75, 0.5, 0.3 in turn); participation 1, 0.6, 0.3 or 0.1; IID,
// Dirichlet 0.5 or 0.1, or two-shard labels; 600, 2000 or 6000 samples per node; 10, 20 or 40
// local steps; batch 16, 32 or 64. One run in long_every goes long_factor times as far.
// Node i (1-based) trains with per_node[(i - 1) mod size]; `threads` is the trained process's
// (0: its learning.trained.threads).
LossTrace trained_trace(const Scenario& s, const ModelDescriptor& model, int nodes, int rounds,
                        double participation, const std::vector<Compression>& per_node, std::int64_t eval_samples,
                        int threads = 0);

struct CalibrationOptions {
  int runs = 24;         // design points
  int rounds = 25;       // rounds per run
  int nodes = 10;        // trainers per run
  int folds = 4;         // run i is in fold i mod folds
  std::int64_t eval_samples = 1000;
  int long_every = 8;  // every k-th run (from the first) goes long_factor times as many rounds; 0: none
  int long_factor = 4;
  int jobs = 0;        // runs at once (0: one per hardware thread)
};

struct CalibrationRun { // one design point
  std::string split;    // "iid", "dirichlet-0.5", "dirichlet-0.1", "shards-2"
  double keep = 1;      // mean keep over the layers (and the nodes, spread per-node)
  std::string spread = "uniform"; // "uniform", "first-whole", "last-whole", "per-node"
  Compression::Mode mode = Compression::Mode::Prune;
  double participation = 1;
  std::int64_t samples_per_node = 600, local_steps = 20, batch = 32;
  int fold = 0;
  bool diverged = false; // its loss blew up: left out of the fit and of the errors
  LossTrace trace;
  std::vector<double> predicted;                 // by the model fitted on every run
  std::vector<double> heldout;                   // by the model fitted on the other folds
  int rounds_observed = 0, rounds_predicted = 0; // to the run's target (rounds_predicted: held out)
};

struct Calibration {
  LossFit fit;
  std::vector<CalibrationRun> runs;
  struct Source {
    std::string traces;
    int runs = 0;
  };
  std::vector<Source> sources; // the traces files its runs were read from, in turn (none: trained here)
  std::vector<std::string> notes; // more header lines (its fidelity on campaigns)
  // Per prunable layer, its weight in a round's progress, held fixed by the fit; written to the file
  // (learning.surrogate.layer_weights) when fitted to trained DSE runs (layer_fit.hpp); empty: the
  // loss model's single layer.
  std::vector<double> layer_weight;
  bool layer_weight_fitted = false;
  int folds = 4;
  double heldout_mae = 0;        // mean absolute loss error of the held-out predictions, every round
  double heldout_rtt_median = 0; // median relative error of rounds-to-target, held out
  double heldout_rtt_max = 0;
  // A run's target: three quarters of the way from its initial to its final loss.
  static double target_of(const LossTrace& t);
};

// Throws InputError for options out of range. `progress(done, total)` after each run.
Calibration calibrate(const Scenario& s, const CalibrationOptions& o,
                      const std::function<void(int, int)>& progress = {});

// Fits the loss model to a calibration's runs (all but the diverged ones), then once per fold to the
// other folds' runs, and fills in the held-out errors (a prediction that never reaches a target
// counts as one round past its run). `jobs` fits run at once (0: one per hardware thread). Throws
// InputError when a fit would have too few rounds for its parameters.
void fit_calibration(Calibration& c, int classes, int folds, int jobs = 0);
// The runs the fit used: those that did not diverge.
int fitted_runs(const Calibration& c);

// The runs' traces as CSV, a row per trainer per round (what `--from-traces` reads back), and the
// reader (InputError with file:line on anything malformed, or on a file of an older layout).
// Compression modes are written by name: prune, dropout, nested, submodel.
const char* mode_name(Compression::Mode m);
std::string traces_csv(const Calibration& c);
Calibration read_traces_csv(const std::string& path, int& rounds);

// The fitted learning.surrogate.* numbers, as a calibration file holds them (accuracy_table aside).
std::vector<std::pair<std::string, double>> surrogate_values(const LossModel& m);
// The calibration as a TOML file: the fitted learning.surrogate.* keys, preceded by comments with
// the command line, the design and the errors.
std::string calibration_toml(const Calibration& c, const Scenario& s, const CalibrationOptions& o,
                             const std::string& command_line);

} // namespace edgetrain
