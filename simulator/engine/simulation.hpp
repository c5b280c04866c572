#pragma once
// One simulation set up from a scenario: SimGrid engine, platform, model, learning process and
// policy, ready to run. The CLI's run command and the tests both build runs this way.
#include "policies/policy.hpp"
#include "simulator/engine/battery.hpp"
#include "simulator/engine/round_engine.hpp"
#include "simulator/learning/learning_process.hpp"
#include "simulator/learning/loss_model.hpp"
#include "simulator/platform/platform.hpp"
#include "simulator/scenario/scenario.hpp"

#include <simgrid/s4u/Engine.hpp>

#include <memory>
#include <string>
#include <vector>

namespace edgetrain {

class Simulation {
public:
  // simgrid_args: --cfg=... and --log=... as on a command line. Quiet unless verbose.
  // Throws InputError for anything wrong in the scenario or the platform.
  // policy: a policy object to use instead of the scenario's policy.name (library users, tests).
  Simulation(Scenario scenario, const std::vector<std::string>& simgrid_args, bool verbose,
             std::unique_ptr<Policy> policy = nullptr);

  RunResult run(const std::vector<RunObserver*>& observers);

  [[nodiscard]] const Scenario& scenario() const { return scenario_; }
  [[nodiscard]] const Platform& platform() const { return platform_; }
  [[nodiscard]] const ModelDescriptor& model() const { return model_; }
  [[nodiscard]] const Policy& policy() const { return *policy_; }

private:
  Scenario scenario_;
  ModelDescriptor model_;
  std::unique_ptr<simgrid::s4u::Engine> engine_;
  Platform platform_;
  std::unique_ptr<LearningProcess> learning_;
  std::unique_ptr<LossModel> ground_truth_; // for an "oracle" predictor only (policy.hpp)
  std::unique_ptr<Policy> policy_;
  std::unique_ptr<Batteries> batteries_;
};

} // namespace edgetrain
