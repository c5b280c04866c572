#pragma once
// The one cost model (DESIGN.md): from a model descriptor and a compression, the FLOPs one sample
// costs to train and the bytes of the model and of an update. The engine charges SimGrid with it,
// policies plan with it, the trainer trains exactly the sub-network it describes.
//
// Conventions, so that figures can be checked by hand:
// - forward FLOPs = 2 x multiply-accumulates of the Conv2d and Dense layers (bias adds, ReLU and
//   pooling are left out: under 1% of LeNet-5's total);
// - training FLOPs per sample = forward + backward, where the backward pass computes, per
//   weighted layer, the weight gradient (one forward's worth) and the input gradient (another),
//   except for the first weighted layer, whose input is data and needs no gradient: so
//   3 x forward - forward of the first weighted layer. The trainer performs exactly these GEMMs;
// - a pruned layer keeps max(1, round(n x keep)) of its n filters/units; the next layer's inputs
//   shrink with it (a conv layer's cost scales with keep(in) x keep(out));
// - model and update bytes = sent parameters x bits / 8 (ModelCost::sent_params). Masks are not
//   sent: they derive from a seed both ends know (dropout and sub-models are seeded), so they
//   cost no bytes.
#include "simulator/learning/model.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace edgetrain {

struct Compression {
  // How the trained learning process applies `keep`, and so what moves over the network. Every
  // mode trains the same sub-model FLOPs; they differ in which units, for how long, and whether
  // the device needs the whole model.
  enum class Mode {
    // PACT: the server prunes units by L1 weight magnitude, for good (a pruned unit never comes
    // back); the pruned model moves.
    Prune,
    // DISTREAL's structured dropout: units dropped at random anew for every mini-batch. The
    // device needs the whole model and, after many mini-batches, has touched nearly all of it:
    // the whole model moves both ways.
    Dropout,
    // HeteroFL's nested sub-model: the first units of each layer for the whole round; only the
    // sub-model moves.
    Nested,
    // Federated Dropout (Caldas et al. 2018): a sub-model of units drawn at random once per
    // device and round, trained for the whole round; only the sub-model moves.
    Submodel,
  };
  std::vector<double> keep; // per prunable layer, fraction of filters/units kept; empty = all kept
  int bits = 32;            // bits per value of the update sent back (the model goes down in float32)
  Mode mode = Mode::Prune;

  [[nodiscard]] double mean_keep() const; // 1 when keep is empty
  // Every mode but Prune leaves the global model whole: nothing is removed for good, so the
  // surrogate's floor does not rise.
  [[nodiscard]] bool keeps_model_whole() const { return mode != Mode::Prune; }
};

struct LayerCost {
  std::string name;
  int in_units = 0, out_units = 0; // channels (conv) or features (dense), after pruning
  std::int64_t params = 0;
  double forward_flops = 0; // per sample
};

struct ModelCost {
  std::int64_t params = 0; // of the (sub-)model trained
  // Parameters moved each way and averaged by the aggregator. The sub-model's, except under
  // Mode::Dropout: filters are drawn anew for every mini-batch, so the device needs the whole
  // model and, after a round's many mini-batches, has touched nearly all of it (DISTREAL sends it
  // whole). Mode::Submodel's units are fixed for the round: only they move (Federated Dropout).
  std::int64_t sent_params = 0;
  double forward_flops = 0; // per sample
  double train_flops = 0;   // per sample, forward + backward
  double model_bytes = 0;   // sent_params in float32
  double update_bytes = 0;  // sent_params at Compression::bits
  std::vector<LayerCost> layers;
};

// Throws std::invalid_argument when the keep vector does not match the model's prunable layers,
// a keep fraction is outside (0, 1], bits is outside [1, 32], the mode is none of Mode's, or a layer
// does not fit its input.
ModelCost model_cost(const ModelDescriptor& model, const Compression& compression = {});

} // namespace edgetrain
