#include "simulator/engine/simulation.hpp"

#include "simulator/common/error.hpp"
#include "simulator/engine/run_rules.hpp"
#include "simulator/engine/simgrid_config.hpp"
#include "simulator/learning/surrogate.hpp"

namespace edgetrain {

Simulation::Simulation(Scenario scenario, const std::vector<std::string>& simgrid_args, bool verbose,
                       std::unique_ptr<Policy> policy)
    : scenario_(std::move(scenario)), policy_(std::move(policy)) {
  if (!find_model(scenario_.model, model_))
    throw InputError(scenario_.where("model.name"), "model.name: unknown model " + scenario_.model);
  engine_ = make_engine(scenario_, simgrid_args, verbose);
  platform_ = load_platform(*engine_, scenario_, model_.classes);
  // A trainer actor and its proxy on the aggregator (round_play) per node, and the coordinator.
  fit_actor_stacks(2 * platform_.nodes.size() + 1, scenario_.where("platform.simgrid_cfg"));
  batteries_ = std::make_unique<Batteries>(platform_);
  // Names were checked against the registries when the scenario loaded.
  learning_ =
      find_learning(scenario_.learning).make({scenario_, model_, platform_.data}, scenario_.learning_params);
  if (!policy_) {
    // The policy gets the run's limits, its own parameters and the model, not the scenario. The
    // surrogate's parameters are handed over only for a planner's explicit "oracle" predictor.
    const auto& own = scenario_.policy_params.values();
    const auto asked = own.find("predictor");
    if (scenario_.learning == "surrogate" && asked != own.end() &&
        std::get<std::string>(asked->second) == "oracle")
    {
      ground_truth_ = std::make_unique<LossModel>(calibrated_loss_model(scenario_, model_.classes));
      resolve_layer_weights(*ground_truth_, model_, scenario_.where("learning.surrogate.layer_weights"));
    }
    const PolicyContext ctx{limits_of(scenario_.training),
                            model_,
                            scenario_.data.dataset,
                            scenario_.policy_params,
                            scenario_.seed,
                            scenario_.file.parent_path(),
                            [this](const std::string& key) { return scenario_.where(key); },
                            ground_truth_.get()};
    policy_ = find_policy(scenario_.policy)->make(ctx);
  }
}

RunResult Simulation::run(const std::vector<RunObserver*>& observers) {
  RoundEngine round_engine(scenario_, platform_, model_, *policy_, *learning_, *batteries_, observers);
  return round_engine.run(*engine_);
}

} // namespace edgetrain
