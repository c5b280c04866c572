#pragma once
// The `surrogate` learning process: the loss model of loss_model.hpp, played round by round with
// the trainers that finished, and a seeded lognormal noise on each round's rate (stream
// "learning.surrogate", one draw per round): rate x exp(noise z - noise^2 / 2), z ~ N(0, 1), so
// the expected rate is the model's. Its parameters are the learning.surrogate.* keys.
#include "simulator/learning/learning_process.hpp"

namespace edgetrain {
LearningInfo surrogate_learning_info();
} // namespace edgetrain
