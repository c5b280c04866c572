#pragma once
// Model descriptors: a DNN as a sequential list of layers with shapes, enough for the cost model
// (FLOPs, parameters, bytes) and for the trainer to build the same network.
#include <string>
#include <vector>

namespace edgetrain {

enum class LayerKind { Conv2d, MaxPool2d, Flatten, Dense };

struct Layer {
  LayerKind kind = LayerKind::Dense;
  std::string name;
  int out = 0;    // Conv2d: output filters; Dense: output units
  int kernel = 1; // Conv2d / MaxPool2d window
  int stride = 1;
  int pad = 0;
  // Conv2d filters and hidden Dense units can be pruned or dropped; the output layer cannot.
  bool prunable = false;
};

struct ModelDescriptor {
  std::string name;
  int in_channels = 1, in_h = 28, in_w = 28;
  int classes = 10;
  std::vector<Layer> layers;

  // Number of prunable layers: the length a Compression::keep vector must have.
  [[nodiscard]] std::size_t prunable_count() const;
};

// Built-in catalog. Unknown names return false.
bool find_model(const std::string& name, ModelDescriptor& out);
std::vector<std::string> model_names();

} // namespace edgetrain
