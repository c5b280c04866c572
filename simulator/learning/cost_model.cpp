#include "simulator/learning/cost_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace edgetrain {

double Compression::mean_keep() const {
  if (keep.empty()) return 1.0;
  return std::accumulate(keep.begin(), keep.end(), 0.0) / static_cast<double>(keep.size());
}

namespace {
int kept(int n, double keep) {
  return std::max(1, static_cast<int>(std::lround(n * keep)));
}
} // namespace

ModelCost model_cost(const ModelDescriptor& model, const Compression& compression) {
  const std::size_t nprune = model.prunable_count();
  if (!compression.keep.empty() && compression.keep.size() != nprune)
    throw std::invalid_argument(
        fmt::format("model '{}' has {} prunable layers but the keep vector has {} entries", model.name,
                    nprune, compression.keep.size()));
  for (double k : compression.keep)
    if (!(k > 0.0 && k <= 1.0))
      throw std::invalid_argument(fmt::format("keep fraction {} is outside (0, 1]", k));
  if (compression.bits < 1 || compression.bits > 32)
    throw std::invalid_argument(fmt::format("update bits {} is outside [1, 32]", compression.bits));
  using Mode = Compression::Mode;
  const Mode mode = compression.mode;
  if (mode != Mode::Prune && mode != Mode::Dropout && mode != Mode::Nested && mode != Mode::Submodel)
    throw std::invalid_argument(fmt::format("unknown compression mode {}", static_cast<int>(mode)));

  ModelCost cost;
  int c = model.in_channels, h = model.in_h, w = model.in_w;
  bool flat = false;
  std::int64_t features = 0;
  std::size_t p = 0; // index into keep
  for (const Layer& layer : model.layers) {
    const double keep = layer.prunable && !compression.keep.empty() ? compression.keep[p] : 1.0;
    if (layer.prunable) ++p;
    switch (layer.kind) {
    case LayerKind::Conv2d: {
      if (flat) throw std::invalid_argument(fmt::format("{}: convolution after flatten", layer.name));
      const int oh = (h + 2 * layer.pad - layer.kernel) / layer.stride + 1;
      const int ow = (w + 2 * layer.pad - layer.kernel) / layer.stride + 1;
      if (oh < 1 || ow < 1)
        throw std::invalid_argument(fmt::format("{}: kernel larger than its input", layer.name));
      const int out = layer.prunable ? kept(layer.out, keep) : layer.out;
      const std::int64_t weights = std::int64_t{out} * c * layer.kernel * layer.kernel;
      const double macs = static_cast<double>(weights) * oh * ow;
      cost.layers.push_back({layer.name, c, out, weights + out, 2.0 * macs});
      c = out, h = oh, w = ow;
      break;
    }
    case LayerKind::MaxPool2d:
      if (flat || h < layer.kernel || w < layer.kernel)
        throw std::invalid_argument(fmt::format("{}: pooling window does not fit", layer.name));
      h /= layer.kernel, w /= layer.kernel;
      break;
    case LayerKind::Flatten:
      features = std::int64_t{c} * h * w;
      flat = true;
      break;
    case LayerKind::Dense: {
      if (!flat) throw std::invalid_argument(fmt::format("{}: dense layer before flatten", layer.name));
      const int out = layer.prunable ? kept(layer.out, keep) : layer.out;
      const std::int64_t weights = features * out;
      cost.layers.push_back(
          {layer.name, static_cast<int>(features), out, weights + out, 2.0 * static_cast<double>(weights)});
      features = out;
      break;
    }
    }
  }
  for (const LayerCost& l : cost.layers) {
    cost.params += l.params;
    cost.forward_flops += l.forward_flops;
  }
  cost.train_flops =
      3.0 * cost.forward_flops - (cost.layers.empty() ? 0.0 : cost.layers.front().forward_flops);
  // Only per-mini-batch dropout needs the whole model on the device (cost_model.hpp).
  const bool whole = mode == Mode::Dropout && !compression.keep.empty();
  cost.sent_params = whole ? model_cost(model, Compression{{}, compression.bits}).params : cost.params;
  cost.model_bytes = static_cast<double>(cost.sent_params) * 4.0;
  cost.update_bytes = static_cast<double>(cost.sent_params) * compression.bits / 8.0;
  return cost;
}

} // namespace edgetrain
