#pragma once
// The `trained` learning process: each round trains a real network (nn/trainer.hpp) with exactly
// the trainers whose update arrived, on their own samples, for their local steps and batch size,
// with their compression really applied, and aggregates by masked averaging.
//
// Modelling choices (each a reason):
// - Every trainer starts the round from the global model with zero momentum: FedAvg's clients
//   keep no optimiser state between rounds (they may not be selected again for long).
// - Weights of the average are the trainers' sample counts, as in FedAvg.
// - Pruning (Compression::Mode::Prune) is the server's: before the round it prunes the global
//   model, per layer, to the smallest keep any planned trainer asks for, by L1 weight magnitude
//   among the units still alive; pruned units never return. Every trainer then trains that
//   sub-network (a PACT plan asks one level of all its trainers).
// - The other modes leave the global model whole and pick, among the units pruning left, which
//   ones each trainer trains (local_units.hpp): Dropout anew for every mini-batch, Nested the
//   first units, Submodel a random draw fixed for the node's round (Federated Dropout).
// - Reported loss is the global model's cross-entropy on a fixed sample of the trainers' own data
//   (the federated training loss), accuracy is on a fixed sample of the held-out test set; both
//   sample sizes are parameters (0: everything).
#include "simulator/learning/learning_process.hpp"

namespace edgetrain {
LearningInfo trained_learning_info();
} // namespace edgetrain
