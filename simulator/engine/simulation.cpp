#include "simulator/engine/simulation.hpp"

#include "simulator/common/error.hpp"

namespace edgetrain {

namespace {
std::unique_ptr<simgrid::s4u::Engine> make_engine(const std::vector<std::string>& simgrid_args, bool verbose) {
  // SimGrid reads its options from an argv: ours first (quiet by default), the user's after, so
  // that theirs win. The engine keeps argv's strings: they must outlive it, hence static storage.
  static std::vector<std::string> args;
  args = {"edgetrain"};
  if (!verbose) {
    args.emplace_back("--log=root.thres:warning");
    args.emplace_back("--log=host_energy.thres:error");  // we warn about hosts without power ourselves
  }
  args.insert(args.end(), simgrid_args.begin(), simgrid_args.end());
  static std::vector<char*> argv;
  argv.clear();
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  return std::make_unique<simgrid::s4u::Engine>(&argc, argv.data());
}
}  // namespace

Simulation::Simulation(Scenario scenario, const std::vector<std::string>& simgrid_args, bool verbose,
                       std::unique_ptr<Policy> policy)
    : scenario_(std::move(scenario)), policy_(std::move(policy)) {
  if (!find_model(scenario_.model, model_))
    throw InputError(scenario_.where("model.name"), "model.name: unknown model " + scenario_.model);
  engine_ = make_engine(simgrid_args, verbose);
  platform_ = load_platform(*engine_, scenario_, model_.classes);
  // Names were checked against the registries when the scenario loaded.
  learning_ = find_learning(scenario_.learning).make({scenario_, model_, platform_.data}, scenario_.learning_params);
  if (!policy_) policy_ = find_policy(scenario_.policy)->make({scenario_, model_, scenario_.policy_params, scenario_.seed});
}

RunResult Simulation::run(const std::vector<RunObserver*>& observers) {
  RoundEngine round_engine(scenario_, platform_, model_, *policy_, *learning_, observers);
  return round_engine.run(*engine_);
}

}  // namespace edgetrain
