#include "simulator/cli/dse_command.hpp"

#include "simulator/cli/report_errors.hpp"
#include "simulator/common/error.hpp"
#include "simulator/metrics/output_dir.hpp"
#include "simulator/learning/surrogate.hpp"
#include "simulator/scenario/scenario.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

namespace edgetrain {

int dse_command(const DseArgs& args) {
  return report_errors([&] {
    const Scenario s = load_scenario(args.scenario, parse_overrides(args.sets));
    const std::filesystem::path out(args.out);
    if (!out.parent_path().empty() && !std::filesystem::is_directory(out.parent_path()))
      throw InputError(args.out, "no such folder: " + out.parent_path().string());
    ModelDescriptor model;
    if (!find_model(s.model, model)) throw InputError(s.where("model.name"), "unknown model " + s.model);
    DseOptions o = args.options;
    o.grid = args.grid;
    o.cache = args.out + ".cache.csv";
    LossModel predictor;
    if (o.source == "predictor") { // a calibration of its own, not the surrogate process's parameters
      const std::string file =
          args.predictor == "auto" ? shipped_predictor(s.model, s.data.dataset).string() : args.predictor;
      if (!std::filesystem::is_regular_file(file))
        throw InputError("--predictor", fmt::format("no such file: {}", file));
      predictor =
          surrogate_model(read_calibration_file(file, file, s.model, s.data.dataset), model.classes);
      resolve_layer_weights(predictor, model, file);
    }
    const DseResult r = explore(dse_run_of(s, predictor), model, o, [&](int g) {
      fmt::print(stderr, "\rexploring: generation {}/{}", g, o.generations);
      if (g == o.generations) fmt::print(stderr, "\n");
    });
    fmt::print("{} vectors evaluated ({} trained runs), {} on the Pareto front\n", r.evaluated.size(),
               r.measured, r.pareto.size());
    if (o.source == "trained" && r.pareto.size() > 1)
      fmt::print("{} of the front's {} neighbouring pairs have disjoint 95% speed intervals over {} seeds\n",
                 r.separated, r.pareto.size() - 1, o.seeds);
    remove_stale_partials(out.parent_path().empty() ? "." : out.parent_path());
    write_file_atomic(out, pareto_csv(model, r.pareto, o.source));
    fmt::print("written to {}\n", args.out);
    return 0;
  });
}

} // namespace edgetrain
