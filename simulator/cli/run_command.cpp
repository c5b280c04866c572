#include "simulator/cli/run_command.hpp"

#include "simulator/cli/progress.hpp"
#include "simulator/cli/report_errors.hpp"
#include "simulator/common/error.hpp"
#include "simulator/engine/simulation.hpp"
#include "simulator/metrics/csv_recorder.hpp"
#include "simulator/metrics/output_dir.hpp"
#include "simulator/metrics/summary.hpp"
#include "simulator/scenario/scenario.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

namespace edgetrain {

namespace {
std::vector<Override> parse_sets(const RunArgs& args) {
  std::vector<Override> out = parse_overrides(args.sets);
  if (args.seed) out.push_back({"scenario.seed", std::to_string(*args.seed)});
  return out;
}

int simulate(const RunArgs& args) {
  const auto wall0 = std::chrono::steady_clock::now();
  Scenario scenario = load_scenario(args.scenario, parse_sets(args));
  const std::filesystem::path out_path =
      args.out.empty() ? default_output_dir(scenario.name, scenario.policy, scenario.seed)
                       : std::filesystem::path(args.out);
  check_output_dir(out_path); // fails now, before loading anything, if the folder is taken

  Simulation sim(std::move(scenario), args.simgrid_args, args.verbose);
  OutputDir out(out_path);
  const Scenario& s = sim.scenario();
  for (const std::string& w : s.warnings)
    fmt::print(stderr, "warning: {}\n", w);
  for (const std::string& w : sim.platform().warnings)
    fmt::print(stderr, "warning: {}\n", w);

  CsvRecorder recorder(out.file("rounds.csv"), out.file("nodes.csv"), sim.platform());
  ProgressLine progress(static_cast<long>(s.training.max_rounds));
  std::vector<RunObserver*> observers{&recorder};
  if (args.progress && ::isatty(2)) observers.push_back(&progress);
  const RunResult result = sim.run(observers);
  progress.finish();
  recorder.close();

  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const RunInfo info{s, sim.platform(), result, wall, sim.policy().info()};
  write_file(out.file("summary.json"), summary_json(info));
  write_file(out.file("resolved.toml"), resolved_toml(s));
  out.commit();
  fmt::print("{}", console_table(info, out.final_path().string()));
  return 0;
}
} // namespace

int run_command(const RunArgs& args) {
  return report_errors([&] { return simulate(args); });
}

} // namespace edgetrain
