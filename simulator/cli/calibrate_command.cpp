#include "simulator/cli/calibrate_command.hpp"

#include "simulator/cli/calibration_fidelity.hpp"
#include "simulator/cli/report_errors.hpp"
#include "simulator/learning/model.hpp"
#include "simulator/scenario/scenario.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace edgetrain {

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
    c.notes = fidelity_notes(args.fidelity, c.fit.model, s.model);
    for (const std::string& n : c.notes)
      fmt::print("{}\n", n);
    fmt::print("fit on {} runs: log-loss RMSE {:.4f}\n", fitted_runs(c), c.fit.rmse);
    fmt::print("held out ({} folds): mean absolute loss error {:.4f}; rounds-to-target relative error median {:.3f}, "
               "max {:.3f}\n",
               c.folds, c.heldout_mae, c.heldout_rtt_median, c.heldout_rtt_max);
    // Write beside the target, then rename: a reader never sees half a file.
    const std::filesystem::path tmp = out.string() + fmt::format(".partial-{}", getpid());
    {
      std::ofstream f(tmp);
      f << calibration_toml(c, s, o, args.command_line);
      if (!f.flush()) throw InputError(args.out, "cannot write");
    }
    // The traces beside it, so that the fit can be redone (--from-traces) without training.
    const std::filesystem::path traces = out.string() + ".traces.csv",
                                traces_tmp = traces.string() + ".partial";
    if (args.from_traces.size() != 1) {
      std::ofstream(traces_tmp) << traces_csv(c);
      std::filesystem::rename(traces_tmp, traces);
    }
    std::filesystem::rename(tmp, out);
    fmt::print("written to {}\n", args.out);
    return 0;
  });
}

} // namespace edgetrain
