#include "simulator/learning/model.hpp"

#include <algorithm>

namespace edgetrain {

std::size_t ModelDescriptor::prunable_count() const {
  return static_cast<std::size_t>(
      std::count_if(layers.begin(), layers.end(), [](const Layer& l) { return l.prunable; }));
}

namespace {
Layer conv(const char* name, int out, int kernel, int stride = 1, int pad = 0) {
  return {LayerKind::Conv2d, name, out, kernel, stride, pad, true};
}
Layer pool(const char* name, int k) {
  return {LayerKind::MaxPool2d, name, 0, k, k, 0, false};
}
Layer flatten() {
  return {LayerKind::Flatten, "flatten", 0, 1, 1, 0, false};
}
Layer dense(const char* name, int out, bool prunable = true) {
  return {LayerKind::Dense, name, out, 1, 1, 0, prunable};
}

// LeNet-5 as commonly adapted to 28x28 inputs (LeCun et al. 1998, with padding 2 on the first
// convolution so that 28x28 behaves like the original 32x32): 61,706 parameters.
ModelDescriptor lenet5() {
  return {"lenet5",
          1,
          28,
          28,
          10,
          {conv("conv1", 6, 5, 1, 2), pool("pool1", 2), conv("conv2", 16, 5), pool("pool2", 2), flatten(),
           dense("fc1", 120), dense("fc2", 84), dense("fc3", 10, false)}};
}

// The "2NN" of McMahan et al. (FedAvg, AISTATS 2017): 784-200-200-10, 199,210 parameters.
ModelDescriptor mlp() {
  return {"mlp", 1, 28, 28, 10, {flatten(), dense("fc1", 200), dense("fc2", 200), dense("fc3", 10, false)}};
}

// A small VGG-style CNN for 28x28 inputs: three 3x3 conv blocks, as used for DISTREAL-like
// per-layer filter dropout experiments at small scale.
ModelDescriptor vgg_small() {
  return {"vgg-small",
          1,
          28,
          28,
          10,
          {conv("conv1", 32, 3, 1, 1), pool("pool1", 2), conv("conv2", 64, 3, 1, 1), pool("pool2", 2),
           conv("conv3", 128, 3, 1, 1), pool("pool3", 2), flatten(), dense("fc1", 128),
           dense("fc2", 10, false)}};
}
// For the 60-feature Synthetic(alpha, beta) data of FedProx: a hidden layer of 64 (prunable)
// before the 10-way output (FedProx itself trains the output layer alone, a logistic regression).
ModelDescriptor synthetic_mlp() {
  return {"synthetic-mlp", 1, 1, 60, 10, {flatten(), dense("fc1", 64), dense("fc2", 10, false)}};
}
} // namespace

bool find_model(const std::string& name, ModelDescriptor& out) {
  if (name == "lenet5")
    out = lenet5();
  else if (name == "mlp")
    out = mlp();
  else if (name == "vgg-small")
    out = vgg_small();
  else if (name == "synthetic-mlp")
    out = synthetic_mlp();
  else
    return false;
  return true;
}

std::vector<std::string> model_names() {
  return {"lenet5", "mlp", "vgg-small", "synthetic-mlp"};
}

} // namespace edgetrain
