#pragma once
// How a data set is spread over the trainers: sample counts (equal, lognormal, or given per host)
// and each node's label mix (IID, or Dirichlet(alpha) label skew as in Hsu et al. 2019).
#include "simulator/learning/learning_process.hpp"
#include "simulator/scenario/scenario.hpp"

#include <string>
#include <vector>

namespace edgetrain {

class Rng;

std::int64_t dataset_train_size(const std::string& dataset);

// nodes: host names indexed by NodeId; trainer[i] says whether node i holds data. Throws
// InputError when the counts cannot be met (fewer samples than trainers).
std::vector<NodeData> split_data(const Scenario& s, const std::vector<std::string>& hosts,
                                 const std::vector<bool>& trainer, int classes);

// The sample indices each node trains on: a node's samples drawn from the data set's per-class
// pools in its label mix's proportions (largest remainder), each pool dealt out in a shuffled
// order and reused only when exhausted; or, for per-device data (owner[i] >= 0), the samples the
// node itself drew.
std::vector<std::vector<int>> assign_samples(const std::vector<NodeData>& data,
                                             const std::vector<int>& labels, const std::vector<int>& owner,
                                             int classes, Rng& rng);

// Total variation distance between a node's label mix and the uniform mix, in [0, 1).
double label_skew(const std::vector<double>& mix);

} // namespace edgetrain
