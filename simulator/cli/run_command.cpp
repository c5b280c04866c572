#include "simulator/cli/run_command.hpp"

#include "policies/policy.hpp"
#include "simulator/cli/progress.hpp"
#include "simulator/common/error.hpp"
#include "simulator/engine/round_engine.hpp"
#include "simulator/learning/learning_process.hpp"
#include "simulator/metrics/csv_recorder.hpp"
#include "simulator/metrics/output_dir.hpp"
#include "simulator/metrics/summary.hpp"
#include "simulator/platform/platform.hpp"
#include "simulator/scenario/scenario.hpp"

#include <fmt/format.h>
#include <simgrid/s4u/Engine.hpp>
#include <unistd.h>

#include <chrono>

namespace edgetrain {

namespace {
std::vector<Override> parse_sets(const RunArgs& args) {
  std::vector<Override> out;
  for (const std::string& s : args.sets) {
    const std::size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError("--set " + s, "expected key.path=value");
    out.push_back({s.substr(0, eq), s.substr(eq + 1)});
  }
  if (args.seed) out.push_back({"scenario.seed", std::to_string(*args.seed)});
  return out;
}

int simulate(const RunArgs& args) {
  const auto wall0 = std::chrono::steady_clock::now();
  const Scenario s = load_scenario(args.scenario, parse_sets(args));
  ModelDescriptor model;
  if (!find_model(s.model, model)) throw InputError(s.where("model.name"), "model.name: unknown model " + s.model);
  const std::filesystem::path out_path =
      args.out.empty() ? default_output_dir(s.name, s.policy, s.seed) : std::filesystem::path(args.out);
  OutputDir out(out_path);  // fails now, before simulating, if the folder is taken

  // SimGrid takes its own options from an argv: ours first (quiet by default), the user's after,
  // so that theirs win.
  std::vector<std::string> sg_args = {"edgetrain"};
  if (!args.verbose) sg_args.emplace_back("--log=root.thres:warning");
  sg_args.insert(sg_args.end(), args.simgrid_args.begin(), args.simgrid_args.end());
  std::vector<char*> argv;
  for (std::string& a : sg_args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(sg_args.size());
  simgrid::s4u::Engine engine(&argc, argv.data());

  const Platform platform = load_platform(engine, s, model.classes);
  for (const std::string& w : platform.warnings) fmt::print(stderr, "warning: {}\n", w);

  // Names were checked against the registries when the scenario loaded.
  const LearningInfo& li = find_learning(s.learning);
  const std::unique_ptr<LearningProcess> learning = li.make({s, model, platform.data}, s.learning_params);
  const std::unique_ptr<Policy> policy = find_policy(s.policy)->make({s, model, s.policy_params, s.seed});

  CsvRecorder recorder(out.file("rounds.csv"), out.file("nodes.csv"), platform);
  ProgressLine progress(static_cast<long>(s.training.max_rounds));
  std::vector<RunObserver*> observers{&recorder};
  if (args.progress && ::isatty(2)) observers.push_back(&progress);

  RoundEngine round_engine(s, platform, model, *policy, *learning, observers);
  const RunResult result = round_engine.run(engine);
  progress.finish();
  recorder.close();

  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const RunInfo info{s, platform, result, wall};
  write_file(out.file("summary.json"), summary_json(info));
  write_file(out.file("resolved.toml"), resolved_toml(s));
  out.commit();
  fmt::print("{}", console_table(info, out.final_path().string()));
  return 0;
}
}  // namespace

int run_command(const RunArgs& args) {
  try {
    return simulate(args);
  } catch (const InputError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}

}  // namespace edgetrain
