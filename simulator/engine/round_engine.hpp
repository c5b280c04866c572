#pragma once
// The round engine: plays the policy's plans on SimGrid, one round after another, and asks the
// learning process what came of them. Everything simulated happens in S4U actors: a coordinator
// on the aggregator host, and one actor per trainer and round.
#include "policies/policy.hpp"
#include "simulator/engine/battery.hpp"
#include "simulator/engine/round.hpp"
#include "simulator/learning/learning_process.hpp"
#include "simulator/platform/platform.hpp"
#include "simulator/scenario/scenario.hpp"

#include <simgrid/s4u/Engine.hpp>

#include <limits>
#include <string>
#include <vector>

namespace edgetrain {

class RunObserver { // the recorder and the progress line
public:
  virtual ~RunObserver() = default;
  virtual void on_round(const RoundRecord& record, const RoundOutcome& outcome,
                        const std::vector<NodeView>& views) = 0;
};

struct RunResult {
  std::vector<RoundRecord> history;
  LearningSnapshot initial, final;
  bool reached_target = false;
  double time_to_target_s = std::numeric_limits<double>::quiet_NaN();
  double energy_to_target_j = std::numeric_limits<double>::quiet_NaN();
  double sim_time_s = 0;
  std::string stop_reason; // target, deadline, max_rounds, policy, no_trainers
};

class RoundEngine {
public:
  RoundEngine(const Scenario& scenario, const Platform& platform, const ModelDescriptor& model,
              Policy& policy, LearningProcess& learning, Batteries& batteries,
              std::vector<RunObserver*> observers);

  // Runs the whole simulation in `engine` (whose platform is loaded) and returns its result.
  // Rethrows, after the simulation has wound down, any error raised inside it.
  RunResult run(simgrid::s4u::Engine& engine);

private:
  void coordinate();
  void refresh_views();
  [[nodiscard]] double overhead_w() const;

  const Scenario& scenario_;
  const Platform& platform_;
  const ModelDescriptor& model_;
  Policy& policy_;
  LearningProcess& learning_;
  Batteries& batteries_;
  std::vector<RunObserver*> observers_;
  std::vector<NodeView> views_;
  double shared_link_idle_w_ = 0;
  double latency_factor_ = 1, bandwidth_factor_ = 1;
  RunResult result_;
  std::exception_ptr error_;
};

} // namespace edgetrain
