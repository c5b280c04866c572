#pragma once
// The shapes of a network, walked from the same ModelDescriptor the cost model reads: what the
// trainer allocates and computes. Every weighted layer (Conv2d, Dense) holds a weight matrix of
// out_units rows and in_units x in_group columns: a convolution's column (ci, ki, kj) is unit ci,
// offset ki * k + kj; a dense layer after a flatten sees each input channel as a unit of h x w
// features (so dropping a filter drops its whole block of features); a dense layer after a dense
// layer has in_group 1.
#include "simulator/learning/model.hpp"

#include <string>
#include <vector>

namespace edgetrain::nn {

struct OpShape {
  LayerKind kind = LayerKind::Dense;
  std::string name;
  int in_units = 0, in_h = 1, in_w = 1;    // channels (or features) and spatial size in
  int out_units = 0, out_h = 1, out_w = 1; // channels (or features) and spatial size out
  int kernel = 1, stride = 1, pad = 0;
  int in_group = 1;  // weighted layers: weight columns per input unit
  int weighted = -1; // index of its weights in Params, or -1
  int slot = -1;     // prunable layers: index in a Selection, or -1
  int in_slot = -1;  // weighted layers: the Selection slot its input units come from, or -1
  bool relu = false; // ReLU after it (every weighted layer but the last)
  [[nodiscard]] int in_positions() const { return in_h * in_w; }
  [[nodiscard]] int out_positions() const { return out_h * out_w; }
};

struct NetShape {
  std::string model;
  int in_channels = 1, in_h = 1, in_w = 1, classes = 0;
  std::vector<OpShape> ops;
  std::vector<int> weighted_ops; // op index of each weighted layer, in order
  std::vector<int> slot_units;   // full unit count of each prunable layer

  [[nodiscard]] int input_size() const { return in_channels * in_h * in_w; }
  [[nodiscard]] const OpShape& weighted(int w) const {
    return ops[static_cast<std::size_t>(weighted_ops[static_cast<std::size_t>(w)])];
  }
};

// Throws std::invalid_argument when the layers do not fit together, or the last layer is not a
// non-prunable Dense layer with one output per class.
NetShape net_shape(const ModelDescriptor& model);

} // namespace edgetrain::nn
