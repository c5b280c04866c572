#pragma once
// The `surrogate` learning process: the loss model of loss_model.hpp, played round by round with
// the trainers that finished, and a seeded lognormal noise on each round's rate (stream
// "learning.surrogate", one draw per round): rate x exp(noise z - noise^2 / 2), z ~ N(0, 1), so
// the expected rate is the model's. Its parameters are the learning.surrogate.* keys.
#include "simulator/learning/learning_process.hpp"
#include "simulator/learning/loss_model.hpp"
#include "simulator/learning/model.hpp"

#include <string>

namespace edgetrain {
LearningInfo surrogate_learning_info();
// The loss model its parameters describe (initial_loss 0: ln(classes)).
LossModel surrogate_model(const Params& p, int classes);
// Fills in m.layer_weight: the given weights normalised, or without any the layers' shares of the
// model's training FLOPs. InputError at `where` if their count is not the model's prunable layers'.
void resolve_layer_weights(LossModel& m, const ModelDescriptor& model, const std::string& where);
// The same from a scenario's resolved learning.surrogate.* keys, whatever its learning process:
// the predictor planning policies and the DSE start from.
LossModel calibrated_loss_model(const Scenario& s, int classes);
} // namespace edgetrain
