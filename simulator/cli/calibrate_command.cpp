#include "simulator/cli/calibrate_command.hpp"

#include "simulator/cli/calibration_fidelity.hpp"
#include "simulator/cli/report_errors.hpp"
#include "simulator/learning/layer_fit.hpp"
#include "simulator/learning/model.hpp"
#include "simulator/metrics/output_dir.hpp"
#include "simulator/scenario/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace edgetrain {

namespace {
// Fits the layer weights to the DSE's trained short runs with the loss model fitted so far, then
// the loss model again with those weights held; a header line says how well they fit. The short
// runs' own dropout exponent is not kept: for a trainer the order of vectors depends on the weights
// alone, and how much dropout costs over a whole run is the loss curves' to say (LeNet-5: 0.75 from
// the 8-round short runs, 2.3 from the curves; holding 0.75 made the surrogate's DISTREAL the
// fastest policy of every fidelity study, which training ranks 3rd to 6th).
void fit_layers(Calibration& c, const Scenario& s, const CalibrateArgs& args, const CalibrationOptions& o) {
  ModelDescriptor model;
  find_model(s.model, model);
  const Scenario runs_of =
      args.layer_scenario.empty()
          ? s
          : load_scenario(args.layer_scenario, {Override{"learning.surrogate.calibration", "\"\""}});
  if (runs_of.model != s.model)
    throw InputError("--layer-scenario", fmt::format("{} trains {}, and this calibration is of {}",
                                                     args.layer_scenario, runs_of.model, s.model));
  const LayerFit f = fit_layer_weights(c.fit.model, runs_of, model, read_dse_cache(args.layer_speeds), o.folds,
                                       args.layer_speeds);
  c.layer_weight = f.weight, c.layer_weight_fitted = true;
  fit_calibration(c, model.classes, o.folds, o.jobs);
  std::string names, weights;
  for (const Layer& l : model.layers)
    if (l.prunable) names += (names.empty() ? "" : ", ") + l.name;
  for (double w : f.weight)
    weights += fmt::format("{}{:.3f}", weights.empty() ? "" : " ", w);
  c.notes.push_back(fmt::format(
      "layer weights ({}): {}, fitted to {} dropout vectors' trained speeds in {} (short runs of {}; with their own "
      "dropout exponent, {:.3f}); speed RMSE {:.3f} with the FLOP shares and the curves' exponent, {:.3f} fitted, "
      "{:.3f} held out ({} folds over the vectors); Kendall tau {:.2f}, {:.2f}, {:.2f}",
      names, weights, f.vectors, args.layer_speeds, args.layer_scenario.empty() ? args.scenario : args.layer_scenario,
      f.dropout_rate,
      f.rmse_flops, f.rmse_fitted, f.rmse_heldout, f.folds, f.tau_flops, f.tau_fitted, f.tau_heldout));
}
} // namespace

int calibrate_command(const CalibrateArgs& args) {
  return report_errors([&] {
    // It makes a calibration: the scenario's own (say, one of an older form) is not read. The
    // user's --set still wins.
    std::vector<Override> sets = parse_overrides(args.sets);
    sets.insert(sets.begin(), Override{"learning.surrogate.calibration", "\"\""});
    const Scenario s = load_scenario(args.scenario, sets);
    const std::filesystem::path out(args.out);
    if (!out.parent_path().empty() && !std::filesystem::is_directory(out.parent_path()))
      throw InputError(args.out, "no such folder: " + out.parent_path().string());
    Calibration c;
    CalibrationOptions o = args.options;
    if (!args.from_traces.empty()) {
      ModelDescriptor model;
      find_model(s.model, model);
      // The design's own round count stays the one given (its long runs read longer).
      for (const std::string& path : args.from_traces) {
        int longest = 0;
        Calibration part = read_traces_csv(path, longest);
        c.sources.push_back({path, static_cast<int>(part.runs.size())});
        for (CalibrationRun& r : part.runs)
          c.runs.push_back(std::move(r));
      }
      c.layer_weight = layer_weights(model);
      o.runs = static_cast<int>(c.runs.size());
      if (o.folds > o.runs)
        throw InputError("--folds", fmt::format("{} folds for {} runs: at most one fold per run", o.folds, o.runs));
      fit_calibration(c, model.classes, o.folds, o.jobs);
    } else {
      c = calibrate(s, o, [](int done, int total) {
        fmt::print(stderr, "\rcalibrating: run {}/{}", done, total);
        if (done == total) fmt::print(stderr, "\n");
      });
    }
    if (!args.layer_speeds.empty()) fit_layers(c, s, args, o);
    std::vector<std::string> layer_notes = c.notes;
    c.notes = fidelity_notes(args.fidelity, c.fit.model, c.layer_weight_fitted ? c.layer_weight : std::vector<double>{},
                             s.model);
    c.notes.insert(c.notes.begin(), layer_notes.begin(), layer_notes.end());
    for (const std::string& n : c.notes)
      fmt::print("{}\n", n);
    fmt::print("fit on {} runs: log-loss RMSE {:.4f}\n", fitted_runs(c), c.fit.rmse);
    fmt::print("held out ({} folds): mean absolute loss error {:.4f}; rounds-to-target relative error median {:.3f}, "
               "max {:.3f}\n",
               c.folds, c.heldout_mae, c.heldout_rtt_median, c.heldout_rtt_max);
    // Write beside the target, then rename: a reader never sees half a file.
    remove_stale_partials(out.parent_path().empty() ? "." : out.parent_path());
    write_file_atomic(out, calibration_toml(c, s, o, args.command_line));
    // The traces beside it, so that the fit can be redone (--from-traces) without training.
    if (args.from_traces.size() != 1) write_file_atomic(out.string() + ".traces.csv", traces_csv(c));
    fmt::print("written to {}\n", args.out);
    return 0;
  });
}

} // namespace edgetrain
