#pragma once
// The `surrogate` learning process: a fast, documented loss-evolution model.
//
// Each round, every trainer whose update arrived contributes
//     c_i = keep_i^compression_rate x n_i (1 - exp(-w_i / n_i))
// where w_i = local_steps x batch samples processed and n_i the node's own samples: the second
// factor is the expected number of DISTINCT samples touched when drawing w_i of n_i (so a node
// that cycles over little data helps less), the first says a sub-model update helps less than a
// full one. With C = sum c_i, H the contribution-weighted label skew (total-variation distance of
// the nodes' label mixes from uniform, 0 for IID) and z ~ N(0, 1) from the stream
// "learning.surrogate":
//     F    = floor_loss + compression_floor x (1 - k),   k: contribution-weighted mean keep
//     rate = C / samples_scale x max(0, 1 - heterogeneity_penalty x H) x exp(noise z - noise^2/2)
//     L'   = F + (L - F) exp(-rate)
// so loss falls with samples processed, slower with less distinct or more skewed data, and floors
// higher (and climbs back up when above it) with stronger compression. Accuracy is mapped from
// loss linearly between chance (at initial_loss) and max_accuracy (at floor_loss).
// The defaults are placeholders of plausible size for LeNet-5 on Fashion-MNIST; the learning
// issue calibrates them on real training runs.
#include "simulator/learning/learning_process.hpp"

namespace edgetrain {
LearningInfo surrogate_learning_info();
} // namespace edgetrain
