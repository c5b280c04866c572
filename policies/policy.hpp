#pragma once
// The policy interface (WRENCH-style: a policy only decides; the engine validates and plays).
// A policy sees the RoundState snapshot and, after each round, what happened and the learning
// snapshot. It never sees the learning process itself.
#include "simulator/engine/round.hpp"
#include "simulator/learning/learning_process.hpp"
#include "simulator/scenario/key_spec.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace edgetrain {

struct LossModel;

class Policy {
public:
  virtual ~Policy() = default;
  virtual RoundPlan decide(const RoundState& state) = 0;
  virtual void observe(const RoundOutcome& /*outcome*/, const LearningSnapshot& /*learning*/) {}
  // Facts about how it decided, for summary.json's "policy_info" and the console (e.g. which
  // predictor a planner used, and that an oracle one is an upper bound).
  [[nodiscard]] virtual std::vector<std::pair<std::string, std::string>> info() const { return {}; }
};

// What a policy is built from. Not the Scenario: a policy must not read the learning process's
// parameters (its ground truth), nor enforce the run's rules (the engine does, run_rules.hpp).
struct PolicyContext {
  TrainingLimits limits; // to plan within
  const ModelDescriptor& model;
  std::string dataset;  // the data set's name (a planner's default predictor is fitted for it)
  const Params& params; // the policy's own parameters, resolved
  std::uint64_t seed;   // master seed: derive named streams from it (Rng)
  std::filesystem::path base_dir; // the scenario's folder: files a policy names are relative to it
  // Where a key was given ("file:line:col", "--set key", or the scenario file), for errors.
  std::function<std::string(const std::string& key)> where;
  // The surrogate process's own parameters, given only to a policy whose predictor parameter is
  // "oracle" under the surrogate process (null otherwise): an upper bound every output labels.
  const LossModel* ground_truth = nullptr;
};

struct PolicyInfo {
  std::string name;
  std::string summary;         // one line, for `edgetrain policies`
  std::vector<KeySpec> params; // read as policy.<name>.<param>
  std::function<std::unique_ptr<Policy>(const PolicyContext&)> make;
};

// Every policy shipped, registered explicitly in policies/registry.cpp (no static-init tricks).
const std::vector<PolicyInfo>& policy_registry();
const PolicyInfo* find_policy(const std::string& name);

// Helpers shared by policies.
std::vector<NodeId> online_trainers(const RoundState& state);
class Rng;
// k online trainers drawn uniformly (all of them when k is 0 or at least their number), in id order.
std::vector<NodeId> sample_trainers(const RoundState& state, std::size_t k, Rng& rng);
NodeId aggregator_of(const RoundState& state); // the (first) node with the aggregator role
// The full model at pstate 0; steps and batch 0: the scenario's (the engine fills them in).
Assignment full_model_assignment(const RoundState& state, NodeId node, int local_steps = 0, int batch = 0);
// Predicted seconds of a node's model download and update upload, alone on its route, with
// SimGrid's network-model factors (RoundState::latency_factor, bandwidth_factor).
double predicted_comm_s(const RoundState& state, const NodeView& node, const ModelCost& cost);
// The same, the download and the upload apart.
std::pair<double, double> predicted_transfer_s(const RoundState& state, const NodeView& node,
                                               const ModelCost& cost);

} // namespace edgetrain
