#include "simulator/learning/surrogate.hpp"

#include "simulator/common/error.hpp"
#include "simulator/common/rng.hpp"
#include "simulator/learning/data_split.hpp"
#include "simulator/scenario/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace edgetrain {

namespace {
class Surrogate final : public LearningProcess {
public:
  Surrogate(const LearningContext& ctx, const Params& p)
      : data_(ctx.data), classes_(ctx.model.classes), rng_(ctx.scenario.seed, "learning.surrogate"),
        initial_(p.number("initial_loss") > 0 ? p.number("initial_loss")
                                              : std::log(double(ctx.model.classes))),
        floor_(p.number("floor_loss")), compression_floor_(p.number("compression_floor")),
        compression_rate_(p.number("compression_rate")), scale_(p.number("samples_scale")),
        heterogeneity_(p.number("heterogeneity_penalty")), noise_(p.number("noise")),
        max_accuracy_(p.number("max_accuracy")), loss_(initial_) {}

  void check(const Scenario& s) const {
    if (!(floor_ < initial_))
      throw InputError(s.where("learning.surrogate.floor_loss"),
                       fmt::format("learning.surrogate.floor_loss: {} must be below the initial loss {}",
                                   floor_, initial_));
  }

  [[nodiscard]] LearningSnapshot initial() const override { return {0, initial_, accuracy(initial_)}; }

  LearningSnapshot advance(const RoundPlan& /*plan*/, const RoundOutcome& outcome) override {
    double c_sum = 0, keep_sum = 0, skew_sum = 0;
    for (const NodeOutcome& n : outcome.nodes) {
      if (!n.finished || n.samples_processed <= 0) continue;
      const auto own = static_cast<double>(data_[n.node].samples);
      const double distinct = own * (1.0 - std::exp(-static_cast<double>(n.samples_processed) / own));
      const double c = std::pow(n.keep_mean, compression_rate_) * distinct;
      c_sum += c;
      keep_sum += c * n.keep_mean;
      skew_sum += c * label_skew(data_[n.node].label_mix);
    }
    const double z = rng_.normal(); // drawn every round, so the stream does not depend on who trained
    if (c_sum > 0) {
      const double k = keep_sum / c_sum, h = skew_sum / c_sum;
      const double floor = floor_ + compression_floor_ * (1.0 - k);
      const double rate = c_sum / scale_ * std::max(0.0, 1.0 - heterogeneity_ * h) *
                          std::exp(noise_ * z - 0.5 * noise_ * noise_);
      loss_ = floor + (loss_ - floor) * std::exp(-rate);
    }
    return {outcome.round, loss_, accuracy(loss_)};
  }

private:
  [[nodiscard]] double accuracy(double loss) const {
    const double chance = 1.0 / classes_;
    const double t = std::clamp((initial_ - loss) / (initial_ - floor_), 0.0, 1.0);
    return chance + (max_accuracy_ - chance) * t;
  }

  const std::vector<NodeData>& data_;
  int classes_;
  Rng rng_;
  double initial_, floor_, compression_floor_, compression_rate_, scale_, heterogeneity_, noise_,
      max_accuracy_;
  double loss_;
};
} // namespace

LearningInfo surrogate_learning_info() {
  return {
      "surrogate",
      "loss-evolution model: distinct samples, label skew and compression set the pace and the floor",
      {
          key_float("initial_loss", 0, 0, 1e3, "", "loss before training (0: ln(classes))"),
          key_float("floor_loss", 0.25, 0, 1e3, "", "loss the full model tends to with unlimited data"),
          key_float("compression_floor", 0.6, 0, 1e3, "", "floor rise per unit of (1 - mean keep)"),
          key_float("compression_rate", 0.5, 0, 10, "", "exponent of keep in a sub-model update's weight"),
          key_float("samples_scale", 30000, 0, 1e15, "samples",
                    "distinct samples that cut the gap to the floor by a factor e", true),
          key_float("heterogeneity_penalty", 0.5, 0, 1, "", "slow-down per unit of label skew"),
          key_float("noise", 0.05, 0, 1, "", "sigma of the lognormal noise on each round's progress"),
          key_float("max_accuracy", 0.91, 0, 1, "", "accuracy at floor_loss"),
      },
      [](const LearningContext& ctx, const Params& p) {
        auto s = std::make_unique<Surrogate>(ctx, p);
        s->check(ctx.scenario);
        return s;
      }};
}

} // namespace edgetrain
