#pragma once
// How a data set is spread over the trainers: sample counts (equal, lognormal, or given per host)
// and each node's label mix (IID, or Dirichlet(alpha) label skew as in Hsu et al. 2019).
#include "simulator/learning/learning_process.hpp"
#include "simulator/scenario/scenario.hpp"

#include <string>
#include <vector>

namespace edgetrain {

std::int64_t dataset_train_size(const std::string& dataset);

// nodes: host names indexed by NodeId; trainer[i] says whether node i holds data. Throws
// InputError when the counts cannot be met (fewer samples than trainers).
std::vector<NodeData> split_data(const Scenario& s, const std::vector<std::string>& hosts,
                                 const std::vector<bool>& trainer, int classes);

// Total variation distance between a node's label mix and the uniform mix, in [0, 1).
double label_skew(const std::vector<double>& mix);

} // namespace edgetrain
