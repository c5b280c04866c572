#pragma once
// Which units a trainer of the `trained` learning process trains at each mini-batch of its round,
// and so which parameters its update carries (what masked averaging averages it into).
//
// Per Compression::Mode, when some keep fraction is below 1:
// - Prune: every unit the server's pruning left alive (as with no compression at all);
// - Dropout (DISTREAL): a fresh random draw for every mini-batch, from the caller's per-step
//   stream (the one that also shuffles the batches);
// - Nested (HeteroFL): the first units of each layer, for the whole round;
// - Submodel (Federated Dropout, Caldas et al. 2018): units drawn once per node and round, from a
//   stream of their own ("learning.trained.submodel.node.N.round.R", so the draw shifts no other
//   stream), and trained at every mini-batch: the server sent only that sub-model.
// Random draws are among the units pruning left, and scaled as inverted dropout (nn::Selection).
#include "simulator/engine/round.hpp"
#include "simulator/learning/nn/trainer.hpp"

#include <cstdint>
#include <optional>

namespace edgetrain {
class Rng;

class LocalUnits {
public:
  // `alive`: the units pruning left in the global model (it must outlive this object).
  LocalUnits(const nn::NetShape& shape, const nn::Selection& alive, std::uint64_t seed, NodeId node,
             int round);
  // The units of the next mini-batch, trained with `c` (the assignment's compression, or the
  // option the device picked); marks them touched.
  const nn::Selection& next(const Compression& c, Rng& step_rng);
  // Every parameter some mini-batch so far trained.
  [[nodiscard]] const nn::Touched& touched() const { return touched_; }

private:
  const nn::NetShape& shape_;
  const nn::Selection& alive_;
  std::uint64_t seed_;
  NodeId node_;
  int round_;
  std::optional<nn::Selection> submodel_; // Mode::Submodel: the round's one draw, made at first use
  nn::Selection current_;
  nn::Touched touched_;
};

} // namespace edgetrain
