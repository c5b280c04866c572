#include "policies/distreal.hpp"

#include "policies/predictor.hpp"
#include "simulator/common/error.hpp"
#include "simulator/common/rng.hpp"
#include "simulator/learning/dse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <numeric>

namespace edgetrain {

namespace {
// The device's own rule, applied before each of its mini-batches: the fastest-converging vector
// whose remaining mini-batches, at the FLOP/s it has now, and its update's upload fit in the time
// left less a reserve of margin x budget; the cheapest when none fits.
class DistrealChooser final : public DeviceChooser {
public:
  DistrealChooser(std::vector<std::size_t> by_speed, std::vector<double> step_flops, double upload_s,
                  double download_s, double reserve_s)
      : by_speed_(std::move(by_speed)), step_flops_(std::move(step_flops)), upload_s_(upload_s),
        up_over_down_(download_s > 0 ? upload_s / download_s : 1), reserve_s_(reserve_s) {
    cheapest_ = static_cast<std::size_t>(std::min_element(step_flops_.begin(), step_flops_.end()) -
                                         step_flops_.begin());
  }

  [[nodiscard]] std::size_t choose(const DeviceNow& n) const override {
    if (!(n.flops_now > 0)) return cheapest_;
    // The upload alone on its route, or as slow as the download was: devices that fill the budget
    // all upload near its end, sharing links as they shared them downloading.
    const double upload = std::max(upload_s_, n.download_s * up_over_down_);
    const double usable = n.seconds_left - reserve_s_ - upload;
    for (std::size_t i : by_speed_)
      if (n.steps_left * step_flops_[i] / n.flops_now <= usable) return i;
    return cheapest_;
  }

private:
  std::vector<std::size_t> by_speed_; // option indices, fastest-converging first
  std::vector<double> step_flops_;    // FLOPs of one mini-batch, per option
  double upload_s_;                   // predicted alone on its route
  double up_over_down_;               // predicted upload over predicted download time
  double reserve_s_;                  // margin x budget, kept free to the end for what predictions leave out
  std::size_t cheapest_ = 0;
};

class Distreal final : public Policy {
public:
  explicit Distreal(const PolicyContext& ctx)
      : rng_(ctx.seed, "policy.distreal"), k_(static_cast<std::size_t>(ctx.params.integer("k"))),
        round_s_(ctx.params.number("round_s")), margin_(ctx.params.number("margin")),
        steps_(ctx.limits.local_steps), batch_(ctx.limits.batch), timeout_(ctx.limits.round_timeout_s) {
    const std::string& file = ctx.params.text("pareto");
    if (file.empty()) { // explored with the policy's own predictor, never the learning process's
      const Predictor predictor = load_predictor(ctx, "distreal");
      info_ = predictor_info(predictor);
      const DseRun run{steps_, batch_, ctx.seed, predictor.model, nullptr};
      pareto_ = explore(run, ctx.model, DseOptions{}).pareto;
    } else {
      const auto path = (ctx.base_dir / file).lexically_normal();
      pareto_ = read_pareto_csv(path.string(), ctx.model);
      info_ = {{"pareto", file}}; // as given, not absolute: outputs stay the same across checkouts
    }
    // Fastest-converging first: a device takes the first that fits. A mini-batch's FLOPs are the
    // cost model's at this scenario's batch (the table's column may come from another batch).
    std::sort(pareto_.begin(), pareto_.end(),
              [](const DsePoint& a, const DsePoint& b) { return a.speed > b.speed; });
    for (const DsePoint& p : pareto_) {
      const Compression c{p.keep, 32, Compression::Mode::Dropout};
      options_.push_back(c);
      step_flops_.push_back(model_cost(ctx.model, c).train_flops * batch_);
    }
  }

  [[nodiscard]] std::vector<std::pair<std::string, std::string>> info() const override { return info_; }

  RoundPlan decide(const RoundState& s) override {
    const std::vector<NodeId> pool = sample_trainers(s, k_, rng_);
    const ModelCost full = model_cost(s.model);
    // Under dropout the device moves the whole model either way (cost_model.hpp): the same
    // transfer whatever the vector, and the same as the full model's.
    const ModelCost moved = model_cost(s.model, options_.front());
    predicted_.clear();
    // The budget: round_s, or the time the median sampled device needs for the full model, but
    // no less than the 90th percentile of the cheapest vector's times, so that (nearly) every
    // sampled device can contribute, DISTREAL's point.
    std::vector<double> full_times, cheap_times;
    const double cheapest = *std::min_element(step_flops_.begin(), step_flops_.end());
    for (NodeId id : pool) {
      const auto [down, up] = transfer_s(s, s.nodes[id], moved);
      full_times.push_back(down + up + compute_s(s.nodes[id].flops_now, full.train_flops * batch_));
      cheap_times.push_back(down + up + compute_s(s.nodes[id].flops_now, cheapest));
    }
    std::sort(full_times.begin(), full_times.end());
    std::sort(cheap_times.begin(), cheap_times.end());
    double budget = round_s_;
    if (budget <= 0 && !pool.empty())
      budget = std::max(full_times[full_times.size() / 2],
                        cheap_times[(cheap_times.size() * 9) / 10] / (1 - margin_));
    if (timeout_ > 0) budget = budget > 0 ? std::min(budget, timeout_) : timeout_; // the engine's ceiling
    RoundPlan plan;
    plan.aggregator = aggregator_of(s);
    plan.round_timeout_s = budget;
    std::vector<std::size_t> by_speed(options_.size());
    std::iota(by_speed.begin(), by_speed.end(), std::size_t{0});
    for (NodeId id : pool) {
      const NodeView& v = s.nodes[id];
      const auto [down, upload] = transfer_s(s, v, moved);
      predicted_[id] = {down / down_factor_, upload / up_factor_};
      const DistrealChooser rule(by_speed, step_flops_, upload, down, margin_ * budget);
      // The first pick, from the whole round's prediction at the speed it has now; the device
      // picks again before every mini-batch from what it then has.
      DeviceNow start;
      start.steps_left = steps_;
      start.seconds_left = budget - down;
      start.flops_now = v.flops_now;
      start.download_s = down;
      const std::size_t first = rule.choose(start);
      Assignment a = full_model_assignment(s, id, steps_, batch_);
      a.compression = options_[first];
      // options[0] is what it starts with (round.hpp): the first pick swapped to the front.
      a.options = options_;
      std::swap(a.options[0], a.options[first]);
      std::vector<std::size_t> order = by_speed;
      std::vector<double> flops = step_flops_;
      std::swap(flops[0], flops[first]);
      for (std::size_t& i : order)
        i = i == first ? 0 : i == 0 ? first : i;
      a.chooser = std::make_shared<DistrealChooser>(std::move(order), std::move(flops), upload, down,
                                                    margin_ * budget);
      plan.trainers.push_back(std::move(a));
    }
    return plan;
  }

  // Transfers take longer than alone on their routes when sampled devices share links, and
  // uploads, which DISTREAL's devices all make near the budget's end, more so: the median ratios
  // of observed to predicted downloads and uploads of the last round scale the next predictions.
  void observe(const RoundOutcome& outcome, const LearningSnapshot& /*learning*/) override {
    std::vector<double> down, up;
    for (const NodeOutcome& o : outcome.nodes) {
      const auto it = predicted_.find(o.node);
      if (!o.trained || o.download_s <= 0 || it == predicted_.end()) continue;
      if (it->second.first > 0) down.push_back(o.download_s / it->second.first);
      if (o.finished && it->second.second > 0) up.push_back((o.comm_s - o.download_s) / it->second.second);
    }
    // Uploads: a high quantile, since those that arrived were the faster ones; smoothed, since
    // how many upload together changes from round to round.
    down_factor_ = quantile(down, 0.5, down_factor_);
    up_factor_ = 0.5 * up_factor_ + 0.5 * quantile(up, 0.9, up_factor_);
  }

private:
  static double quantile(std::vector<double>& v, double q, double otherwise) {
    if (v.empty()) return otherwise;
    const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  }

  // Predicted download and upload seconds, alone on the route (SimGrid's model factors applied),
  // times the factors learnt from the last round.
  [[nodiscard]] std::pair<double, double> transfer_s(const RoundState& s, const NodeView& v,
                                                     const ModelCost& c) const {
    const auto [down, up] = predicted_transfer_s(s, v, c);
    return {down * down_factor_, up * up_factor_};
  }

  [[nodiscard]] double compute_s(double flops_now, double flops_per_batch) const {
    return flops_now > 0 ? steps_ * flops_per_batch / flops_now : std::numeric_limits<double>::infinity();
  }

  Rng rng_;
  std::size_t k_;
  double round_s_, margin_;
  int steps_, batch_;
  double timeout_; // training.round_timeout_s: a budget past it would be cut by the engine
  std::vector<DsePoint> pareto_;
  std::vector<std::pair<std::string, std::string>> info_; // where the Pareto table came from
  std::vector<Compression> options_;       // the Pareto vectors, fastest-converging first
  std::vector<double> step_flops_;         // FLOPs of one mini-batch of each
  double down_factor_ = 1, up_factor_ = 1; // observed over predicted transfer times (last round's medians)
  std::map<NodeId, std::pair<double, double>> predicted_; // this round's download, upload alone on the route
};
} // namespace

PolicyInfo distreal_policy_info() {
  return {
      "distreal",
      "DISTREAL: each device picks the fastest-converging Pareto dropout vector that fits the round at its "
      "current speed",
      {key_int("k", 0, 0, std::numeric_limits<double>::infinity(), "nodes",
               "devices sampled per round (0: every online one)"),
       key_float("round_s", 0, 0, std::numeric_limits<double>::infinity(), "s",
                 "the round's time budget (0: the median sampled device's predicted time for the full "
                 "model, at least the 90th percentile's for the cheapest vector, over 1 - margin)"),
       key_float("margin", 0.1, 0, 0.9, "",
                 "a reserve of margin x budget left free to the end: predictions leave out contention"),
       key_string(
           "pareto", "",
           "Pareto table from `edgetrain dse` (relative to the scenario); \"\": explored at start with "
           "the policy's predictor"),
       predictor_key()},
      [](const PolicyContext& ctx) { return std::make_unique<Distreal>(ctx); }};
}

} // namespace edgetrain
