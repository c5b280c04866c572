#pragma once
// A planning policy's loss predictor (PACT's "data-driven and theoretical" one): the loss model's
// form (loss_model.hpp) with parameters fitted to trained runs, read from a file the policy names
// (policy.<name>.predictor). The default is a calibration shipped for the model and data set in
// configs/predictors/, fitted on another design and seed than the surrogate's own calibration
// (configs/calibration/), so that under the surrogate process a planner does not plan against the
// very parameters it is judged by. "oracle" plans with the surrogate's own parameters: an upper
// bound, labelled so in every output. Planners then correct it online from the losses they see.
#include "policies/policy.hpp"
#include "simulator/learning/loss_model.hpp"

#include <string>

namespace edgetrain {

struct Predictor {
  LossModel model;
  std::string source; // the file it came from, or "oracle"
  bool oracle = false;
};

// The policy.<name>.predictor key: "auto", a file, or "oracle".
KeySpec predictor_key();

// Reads policy `name`'s predictor. InputError naming the file (and line) when it is missing,
// malformed or fitted for another model or data set, or at the key when "oracle" is asked for
// under a learning process that has no parameters to give.
Predictor load_predictor(const PolicyContext& ctx, const std::string& name);

// The policy's info() entries for it.
std::vector<std::pair<std::string, std::string>> predictor_info(const Predictor& p);

} // namespace edgetrain
