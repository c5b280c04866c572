#pragma once
// A learning process turns what was actually trained in a round into the new loss and accuracy.
// Policies never see it (DESIGN.md): they get LearningSnapshots after each round.
#include "simulator/engine/round.hpp"
#include "simulator/scenario/key_spec.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace edgetrain {

struct Scenario;

struct LearningSnapshot {
  int round = 0;
  double loss = 0;
  double accuracy = 0;
};

// Per-node data as split for this run (sample counts, label mixes).
struct NodeData {
  std::int64_t samples = 0;
  std::vector<double> label_mix; // fraction of each class in the node's data; sums to 1
};

struct LearningContext {
  const Scenario& scenario;
  const ModelDescriptor& model;
  const std::vector<NodeData>& data; // indexed by NodeId
};

class LearningProcess {
public:
  virtual ~LearningProcess() = default;
  [[nodiscard]] virtual LearningSnapshot initial() const = 0;
  virtual LearningSnapshot advance(const RoundPlan& plan, const RoundOutcome& outcome) = 0;
  // The global model's parameters, flattened layer by layer (weights column-major, then biases);
  // empty for a process without a real model. For tests, and for exporting the trained model.
  [[nodiscard]] virtual std::vector<float> parameters() const { return {}; }
};

struct LearningInfo {
  std::string name;
  std::string summary;
  std::vector<KeySpec> params; // read as learning.<name>.<param>
  std::function<std::unique_ptr<LearningProcess>(const LearningContext&, const Params&)> make;
};

const std::vector<LearningInfo>& learning_registry();
const LearningInfo& find_learning(const std::string& name); // throws std::out_of_range

} // namespace edgetrain
