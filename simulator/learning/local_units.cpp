#include "simulator/learning/local_units.hpp"

#include "simulator/common/rng.hpp"

#include <fmt/format.h>

namespace edgetrain {

LocalUnits::LocalUnits(const nn::NetShape& shape, const nn::Selection& alive, std::uint64_t seed, NodeId node,
                       int round)
    : shape_(shape), alive_(alive), seed_(seed), node_(node), round_(round),
      touched_(nn::Touched::zeros(shape)) {}

const nn::Selection& LocalUnits::next(const Compression& c, Rng& step_rng) {
  using Mode = Compression::Mode;
  const nn::Selection* sel = &alive_;
  if (!c.keep.empty()) switch (c.mode) {
    case Mode::Prune:
      break;
    case Mode::Dropout:
      current_ = nn::Selection::random(shape_, c.keep, step_rng, &alive_);
      sel = &current_;
      break;
    case Mode::Nested:
      current_ = nn::Selection::first(shape_, c.keep, &alive_);
      sel = &current_;
      break;
    case Mode::Submodel:
      if (!submodel_) {
        Rng draw(seed_, fmt::format("learning.trained.submodel.node.{}.round.{}", node_, round_));
        submodel_ = nn::Selection::random(shape_, c.keep, draw, &alive_);
      }
      sel = &*submodel_;
      break;
    }
  touched_.mark(shape_, *sel);
  return *sel;
}

} // namespace edgetrain
