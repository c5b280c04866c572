#include "simulator/learning/surrogate.hpp"

#include "simulator/common/error.hpp"
#include "simulator/common/rng.hpp"
#include "simulator/learning/data_split.hpp"
#include "simulator/learning/loss_model.hpp"
#include "simulator/scenario/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace edgetrain {

namespace {
class Surrogate final : public LearningProcess {
public:
  Surrogate(const LearningContext& ctx, const Params& p)
      : data_(ctx.data), classes_(ctx.model.classes), rng_(ctx.scenario.seed, "learning.surrogate"),
        noise_(p.number("noise")) {
    m_ = surrogate_model(p, ctx.model.classes);
    resolve_layer_weights(m_, ctx.model, ctx.scenario.where("learning.surrogate.layer_weights"));
    loss_ = m_.initial_loss;
  }

  void check(const Scenario& s) const {
    if (!(m_.floor_loss < m_.initial_loss))
      throw InputError(s.where("learning.surrogate.floor_loss"),
                       fmt::format("learning.surrogate.floor_loss: {} must be below the initial loss {}",
                                   m_.floor_loss, m_.initial_loss));
    const std::vector<double>& t = m_.accuracy_table;
    if (t.size() == 1 || std::adjacent_find(t.begin(), t.end(), std::less<>()) != t.end())
      throw InputError(s.where("learning.surrogate.accuracy_table"),
                       "learning.surrogate.accuracy_table: needs two values or more, none above the one before "
                       "(accuracy does not fall as the loss falls)");
  }

  [[nodiscard]] LearningSnapshot initial() const override {
    return {0, m_.initial_loss, accuracy_of(m_, m_.initial_loss, classes_)};
  }

  LearningSnapshot advance(const RoundPlan& plan, const RoundOutcome& outcome) override {
    std::vector<Contribution> round;
    round.reserve(outcome.nodes.size());
    for (std::size_t k = 0; k < outcome.nodes.size(); ++k) {
      const NodeOutcome& n = outcome.nodes[k];
      if (!n.finished || n.samples_processed <= 0) continue;
      // The outcome lists the aggregator, then the plan's trainers in plan order: look there first
      // (a search per trainer made a round quadratic in the trainers).
      auto a = k >= 1 && k - 1 < plan.trainers.size() && plan.trainers[k - 1].node == n.node
                   ? plan.trainers.begin() + static_cast<std::ptrdiff_t>(k - 1)
                   : std::find_if(plan.trainers.begin(), plan.trainers.end(),
                                  [&](const Assignment& x) { return x.node == n.node; });
      const std::vector<double>& mix = data_[n.node].label_mix;
      round.push_back({static_cast<double>(n.samples_processed), static_cast<double>(data_[n.node].samples),
                       n.keep_mean, label_skew(mix),
                       a != plan.trainers.end() ? a->compression.mode : Compression::Mode::Prune,
                       a != plan.trainers.end() ? layer_keep(*a, n) : std::vector<double>{}, mix});
    }
    // Both drawn every round, so the stream does not depend on who trained.
    const double z = rng_.normal(), z_swing = rng_.normal();
    double floor = 0;
    loss_ = next_loss(m_, loss_, round, std::exp(noise_ * z - 0.5 * noise_ * noise_), &floor);
    const double reported = swung_loss(loss_, swing_sigma(m_, round), z_swing, floor);
    return {outcome.round, reported, accuracy_of(m_, reported, classes_)};
  }

private:
  // The per-layer keep a trainer trained with: its compression's, or the mean of the options its
  // steps drew (DISTREAL).
  static std::vector<double> layer_keep(const Assignment& a, const NodeOutcome& n) {
    if (n.step_option.empty()) return a.compression.keep;
    std::vector<double> k;
    for (std::size_t i : n.step_option) {
      if (i >= a.options.size()) continue;
      const std::vector<double>& o = a.options[i].keep;
      if (k.empty()) k.assign(o.size(), 0.0);
      for (std::size_t l = 0; l < o.size() && l < k.size(); ++l)
        k[l] += o[l] / static_cast<double>(n.step_option.size());
    }
    return k;
  }

  const std::vector<NodeData>& data_;
  int classes_;
  Rng rng_;
  double noise_;
  LossModel m_;
  double loss_ = 0;
};
} // namespace

LossModel surrogate_model(const Params& p, int classes) {
  LossModel m;
  m.initial_loss =
      p.number("initial_loss") > 0 ? p.number("initial_loss") : std::log(static_cast<double>(classes));
  m.floor_loss = p.number("floor_loss");
  m.compression_floor = p.number("compression_floor");
  m.compression_rate = p.number("compression_rate");
  m.dropout_rate = p.number("dropout_rate");
  m.nested_rate = p.number("nested_rate");
  m.submodel_rate = p.number("submodel_rate");
  m.plateau = p.number("plateau");
  m.samples_scale = p.number("samples_scale");
  m.skew_exponent = p.number("skew_exponent");
  m.skew_shape = p.number("skew_shape");
  m.skew_floor = p.number("skew_floor");
  m.participation_exponent = p.number("participation_exponent");
  m.tail_exponent = p.number("tail_exponent");
  m.max_accuracy = p.number("max_accuracy");
  m.accuracy_table = p.numbers("accuracy_table");
  m.swing = p.number("swing");
  m.swing_skew = p.number("swing_skew");
  m.layer_weight = p.numbers("layer_weights");
  return m;
}

void resolve_layer_weights(LossModel& m, const ModelDescriptor& model, const std::string& where) {
  const std::vector<double> shares = layer_weights(model);
  if (m.layer_weight.empty()) {
    m.layer_weight = shares;
    return;
  }
  double sum = 0;
  for (double w : m.layer_weight)
    sum += w;
  if (m.layer_weight.size() != shares.size() || !(sum > 0))
    throw InputError(where, fmt::format("learning.surrogate.layer_weights: {} weights summing to {}, and {} has {} "
                                        "prunable layers: give one weight per layer, not all 0 (or none: their "
                                        "shares of the training FLOPs)",
                                        m.layer_weight.size(), sum, model.name, shares.size()));
  for (double& w : m.layer_weight)
    w /= sum;
}

LossModel calibrated_loss_model(const Scenario& s, int classes) {
  const std::string prefix = "learning.surrogate.";
  std::map<std::string, Value> values;
  for (const auto& [path, v] : s.resolved)
    if (path.rfind(prefix, 0) == 0) values[path.substr(prefix.size())] = v;
  return surrogate_model(Params(values), classes);
}

LearningInfo surrogate_learning_info() {
  return {
      "surrogate",
      "loss-evolution model: distinct samples, label skew and compression set the pace and the floor",
      {
          key_string(
              "calibration", "auto",
              "file of fitted parameters (edgetrain calibrate): auto, the one shipped for the model and data "
              "set (configs/calibration/MODEL-DATASET.toml) if any; a path; or \"\" for none. Keys set in "
              "the scenario win"),
          key_float("initial_loss", 0, 0, 1e3, "", "loss before training (0: ln(classes))"),
          key_float("floor_loss", 0.25, 0, 1e3, "", "loss the full model tends to with unlimited data"),
          key_float("compression_floor", 0.6, 0, 1e3, "", "floor rise per unit of (1 - mean keep)"),
          key_float("compression_rate", 0.5, 0, 10, "", "exponent of keep in a pruned model's update weight"),
          key_float("dropout_rate", 0.5, 0, 10, "", "the same for units dropped at every mini-batch (DISTREAL)"),
          key_float("nested_rate", 0.5, 0, 10, "", "the same for a nested sub-model of first units (HeteroFL)"),
          key_float("submodel_rate", 0.5, 0, 10, "",
                    "the same for a random sub-model drawn per round (Federated Dropout)"),
          key_float("plateau", 0, 0, 0.99, "",
                    "0: the loss falls from the first round; towards 1: the first rounds barely move it"),
          key_float("samples_scale", 30000, 0, 1e15, "samples",
                    "distinct samples that cut the gap to the floor by a factor e", true),
          key_float("skew_exponent", 0.7, 0, 20, "",
                    "a trainer's update counts (1 - its label skew)^this: drift from the others' updates"),
          key_float("skew_shape", 1, 0.1, 10, "",
                    "above 1, moderate label skews cost far less than extreme ones: (1 - skew^this)^skew_exponent"),
          key_float("skew_floor", 0, 0, 1e3, "",
                    "floor rise per unit of the round's union label skew (its trainers' data together)"),
          key_float("participation_exponent", 1, 0, 1, "",
                    "progress grows as (trainers)^(this x the round's mean label skew) at equal samples per "
                    "trainer (0 or IID: the trainers' mean, as FedAvg averages them; 1 and fully skewed: "
                    "every sample counts the same)"),
          key_float("tail_exponent", 0, 0, 10, "",
                    "0: geometric decay to the floor; larger: slower as the gap closes (O(1/t)-like)"),
          key_float("swing", 0, 0, 1, "", "sigma of a round's lognormal swing of the loss gap about its trend"),
          key_float("swing_skew", 0, 0, 10, "",
                    "the swing's growth per unit of the round's mean label skew over sqrt(trainers)"),
          key_float("noise", 0.05, 0, 1, "", "sigma of the lognormal noise on each round's progress"),
          key_float("max_accuracy", 0.91, 0, 1, "", "accuracy at floor_loss, without accuracy_table"),
          key_numbers("layer_weights", {}, 0, 1, "",
                      "per prunable layer, its share of a round's progress (edgetrain calibrate --layer-speeds "
                      "fits them to trained DSE runs; normalised to sum 1); empty: its share of the model's "
                      "training FLOPs"),
          key_numbers("accuracy_table", {}, 0, 1, "",
                      "accuracy at losses 0, initial_loss / (n - 1), ..., initial_loss, interpolated; empty: "
                      "linear from chance at initial_loss to max_accuracy at floor_loss"),
      },
      [](const LearningContext& ctx, const Params& p) {
        auto s = std::make_unique<Surrogate>(ctx, p);
        s->check(ctx.scenario);
        return s;
      }};
}

} // namespace edgetrain
