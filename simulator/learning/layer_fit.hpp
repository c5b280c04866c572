#pragma once
// Per-layer sensitivities of the loss model (learning.surrogate.layer_weights), fitted to
// DISTREAL's short trained runs (the DSE cache, dse.hpp): how much of a round's progress each
// prunable layer's units carry. Without them a layer weighs its share of the model's training
// FLOPs (layer_weights()); trained LeNet-5 runs say otherwise: dropping three quarters of fc2's
// units (1% of the FLOPs) costs far more speed than dropping three quarters of conv1's.
//
// A vector's speed is the DSE's: the loss a short run with every trainer dropping units by the
// vector takes off, over the full model's, per seed, averaged over the seeds. The model's speed
// is the same ratio of its own drops over the same rounds, trainers and data splits. The fit is
// least squares on the speeds of every vector measured, of the weights (softmax-parameterised, a
// weak pull towards the FLOP shares) and of the short runs' own dropout exponent (8 rounds from the
// start put LeNet-5's at 0.75, where whole loss curves put it at 2.3: dropout costs more late in a
// run); the calibration keeps the weights only. Its held-out error comes from folds over the vectors.
#include "simulator/learning/dse.hpp"
#include "simulator/learning/loss_model.hpp"
#include "simulator/learning/model.hpp"
#include "simulator/scenario/scenario.hpp"

#include <string>
#include <vector>

namespace edgetrain {

struct LayerFit {
  std::vector<double> weight; // per prunable layer, sums to 1
  double dropout_rate = 0;    // the short runs' exponent of the weighted keep, fitted with them
  int vectors = 0;            // measured vectors (the full model aside), each with its full twin
  int folds = 0;
  // Errors of the vectors' speeds (measured mean over seeds against the model's), with the FLOP
  // shares, with the fitted weights, and held out (each vector predicted by the fit without its fold);
  // Kendall tau-b of the model's speeds against the measured ones, the same three ways.
  double rmse_flops = 0, rmse_fitted = 0, rmse_heldout = 0;
  double tau_flops = 0, tau_fitted = 0, tau_heldout = 0;
};

// The short runs' trainers for one measurement setting (as trained_trace makes them), every one
// dropping units by `keep`; the loss model's drop over `rounds` such rounds from its initial loss.
std::vector<Contribution> short_run_round(const Scenario& s, int classes, int nodes, std::uint64_t seed,
                                          const std::vector<double>& keep);
double model_drop(const LossModel& m, const std::vector<Contribution>& round, int rounds);

// `where` names the measurements in errors (the cache file). Throws InputError if a measurement's
// vector does not fit the model, or fewer vectors than the model has prunable layers have their
// full-model twin (same seed, rounds and trainers).
LayerFit fit_layer_weights(const LossModel& m, const Scenario& s, const ModelDescriptor& model,
                           const std::vector<DseMeasurement>& measured, int folds, const std::string& where);

} // namespace edgetrain
