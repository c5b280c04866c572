#include "simulator/learning/nn/net_shape.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace edgetrain::nn {

NetShape net_shape(const ModelDescriptor& model) {
  NetShape s;
  s.model = model.name;
  s.in_channels = model.in_channels, s.in_h = model.in_h, s.in_w = model.in_w, s.classes = model.classes;
  int c = model.in_channels, h = model.in_h, w = model.in_w;
  int group = 1; // features per unit once flattened
  bool flat = false;
  int source_slot = -1; // the slot whose kept units are the current units
  const auto bad = [&](const Layer& l, const char* what) {
    throw std::invalid_argument(fmt::format("model '{}', layer {}: {}", model.name, l.name, what));
  };
  for (const Layer& l : model.layers) {
    OpShape op;
    op.kind = l.kind, op.name = l.name, op.kernel = l.kernel, op.stride = l.stride, op.pad = l.pad;
    op.in_units = c, op.in_h = h, op.in_w = w;
    switch (l.kind) {
    case LayerKind::Conv2d:
      if (flat) bad(l, "convolution after flatten");
      op.out_h = (h + 2 * l.pad - l.kernel) / l.stride + 1;
      op.out_w = (w + 2 * l.pad - l.kernel) / l.stride + 1;
      if (l.kernel < 1 || l.stride < 1 || op.out_h < 1 || op.out_w < 1)
        bad(l, "kernel does not fit its input");
      op.out_units = l.out;
      op.in_group = l.kernel * l.kernel;
      break;
    case LayerKind::MaxPool2d:
      if (flat || l.kernel < 1 || h < l.kernel || w < l.kernel) bad(l, "pooling window does not fit");
      op.out_units = c, op.out_h = h / l.kernel, op.out_w = w / l.kernel;
      break;
    case LayerKind::Flatten:
      if (flat) bad(l, "second flatten");
      group = h * w;
      flat = true;
      op.out_units = c, op.out_h = h, op.out_w = w; // units keep their identity; only the layout changes
      break;
    case LayerKind::Dense:
      if (!flat) bad(l, "dense layer before flatten");
      op.in_h = op.in_w = 1;
      op.in_group = group;
      op.out_units = l.out;
      break;
    }
    if (l.kind == LayerKind::Conv2d || l.kind == LayerKind::Dense) {
      if (l.out < 1) bad(l, "no outputs");
      op.weighted = static_cast<int>(s.weighted_ops.size());
      op.in_slot = source_slot;
      op.relu = true;
      if (l.prunable) {
        op.slot = static_cast<int>(s.slot_units.size());
        s.slot_units.push_back(l.out);
      }
      source_slot = op.slot;
      s.weighted_ops.push_back(static_cast<int>(s.ops.size()));
      c = op.out_units, h = op.out_h, w = op.out_w;
      if (l.kind == LayerKind::Dense) group = 1;
    } else if (l.kind == LayerKind::MaxPool2d) {
      h = op.out_h, w = op.out_w;
    }
    s.ops.push_back(op);
  }
  if (s.ops.empty() || s.ops.back().kind != LayerKind::Dense || s.ops.back().slot >= 0 ||
      s.ops.back().out_units != model.classes)
    throw std::invalid_argument(
        fmt::format("model '{}': the last layer must be a dense, non-prunable layer with {} outputs",
                    model.name, model.classes));
  s.ops.back().relu = false; // logits
  return s;
}

} // namespace edgetrain::nn
