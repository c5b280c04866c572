#include "policies/fl_baselines.hpp"

#include "simulator/common/rng.hpp"
#include "simulator/learning/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace edgetrain {

namespace {
// Predicted seconds of one node's round at full model: its transfers (with SimGrid's model
// factors) and its compute at pstate 0 and its current speed.
struct NodeTime {
  double comm = 0, compute = 0;
};
NodeTime predict(const RoundState& s, const NodeView& v, const ModelCost& c, int steps, int batch) {
  NodeTime t;
  t.comm = predicted_comm_s(s, v, c);
  t.compute =
      v.flops_now > 0 ? steps * batch * c.train_flops / v.flops_now : std::numeric_limits<double>::infinity();
  return t;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(std::llround(q * static_cast<double>(v.size() - 1)))];
}

// What the four share: the sample of trainers, and the scenario's steps and batch to predict with.
class Baseline : public Policy {
public:
  Baseline(const PolicyContext& ctx, const std::string& name)
      : rng_(ctx.seed, "policy." + name), k_(static_cast<std::size_t>(ctx.params.integer("k"))),
        steps_(ctx.limits.local_steps), batch_(ctx.limits.batch), timeout_(ctx.limits.round_timeout_s) {}

protected:
  std::vector<NodeId> sample(const RoundState& s) { return sample_trainers(s, k_, rng_); }
  RoundPlan plan_for(const RoundState& s) const {
    RoundPlan p;
    p.aggregator = aggregator_of(s);
    return p;
  }

  Rng rng_;
  std::size_t k_;
  int steps_, batch_;
  double timeout_; // training.round_timeout_s: the engine cuts rounds there, so budgets fit in it
};

KeySpec k_key() {
  return key_int("k", 0, 0, std::numeric_limits<double>::infinity(), "nodes",
                 "trainers sampled per round (0: every online one)");
}

class FedAvgDeadline final : public Baseline {
public:
  explicit FedAvgDeadline(const PolicyContext& ctx)
      : Baseline(ctx, "fedavg-deadline"), round_s_(ctx.params.number("round_s")),
        quantile_(ctx.params.number("quantile")) {}
  RoundPlan decide(const RoundState& s) override {
    RoundPlan p = plan_for(s);
    const ModelCost c = model_cost(s.model);
    std::vector<double> times;
    for (NodeId id : sample(s)) {
      p.trainers.push_back(full_model_assignment(s, id));
      const NodeTime t = predict(s, s.nodes[id], c, steps_, batch_);
      times.push_back(t.comm + t.compute);
    }
    p.round_timeout_s = round_s_ > 0 ? round_s_ : quantile(times, quantile_);
    return p;
  }

private:
  double round_s_, quantile_;
};

// Federated Dropout as Caldas et al. (2018) publish it: per sampled client and round the server
// removes the same fraction of units at random from every prunable layer (the filters of conv
// layers, the units of hidden dense layers), sends only that sub-model, and maps the client's
// sub-model update back into the global model (masked averaging in the trained process). Download,
// compute and upload all shrink (Compression::Mode::Submodel). The output layer is never prunable:
// the catalog marks it so and nn::net_shape refuses a prunable last layer, so every class stays.
class FedDropout final : public Baseline {
public:
  explicit FedDropout(const PolicyContext& ctx)
      : Baseline(ctx, "fed-dropout"), keep_(ctx.params.number("keep")) {}
  RoundPlan decide(const RoundState& s) override {
    RoundPlan p = plan_for(s);
    for (NodeId id : sample(s)) {
      Assignment a = full_model_assignment(s, id, steps_, batch_);
      a.compression.keep.assign(s.model.prunable_count(), keep_);
      a.compression.mode = Compression::Mode::Submodel;
      p.trainers.push_back(a);
    }
    return p;
  }

private:
  double keep_;
};

class HeteroFL final : public Baseline {
public:
  explicit HeteroFL(const PolicyContext& ctx)
      : Baseline(ctx, "heterofl"), widths_(ctx.params.numbers("widths")) {
    std::sort(widths_.rbegin(), widths_.rend());
  }
  RoundPlan decide(const RoundState& s) override {
    double peak = 0; // the fastest trainer's nominal FLOP/s: static capability, not today's
    for (const NodeView& v : s.nodes)
      if (v.role == Role::Trainer) peak = std::max(peak, v.flops_peak);
    RoundPlan p = plan_for(s);
    for (NodeId id : sample(s)) {
      const double share = peak > 0 ? s.nodes[id].flops_peak / peak : 1.0;
      double width = widths_.back();
      for (double w : widths_)
        if (w * w <= share * (1 + 1e-12)) {
          width = w;
          break;
        }
      Assignment a = full_model_assignment(s, id);
      if (width < 1) {
        a.compression.keep.assign(s.model.prunable_count(), width);
        a.compression.mode = Compression::Mode::Nested;
      }
      p.trainers.push_back(a);
    }
    return p;
  }

private:
  std::vector<double> widths_;
};

// FedProx (Li et al. 2020): every sampled device does the local work it can in the round's time
// budget (its partial solution is used, never dropped), and trains with the proximal term mu.
class FedProxPartial final : public Baseline {
public:
  explicit FedProxPartial(const PolicyContext& ctx)
      : Baseline(ctx, "fedprox-partial"), round_s_(ctx.params.number("round_s")),
        mu_(ctx.params.number("mu")) {}
  RoundPlan decide(const RoundState& s) override {
    RoundPlan p = plan_for(s);
    const ModelCost c = model_cost(s.model);
    const std::vector<NodeId> who = sample(s);
    std::vector<NodeTime> t;
    std::vector<double> full;
    for (NodeId id : who) {
      t.push_back(predict(s, s.nodes[id], c, steps_, batch_));
      full.push_back(t.back().comm + t.back().compute);
    }
    // Partial work is the point: the budget fits within the engine's cuts (timeout, deadline), or
    // the work would be cut and lost.
    double budget = round_s_ > 0 ? round_s_ : quantile(full, 0.5);
    if (timeout_ > 0) budget = std::min(budget, timeout_);
    budget = std::min(budget, s.deadline_s - s.now_s);
    for (std::size_t i = 0; i < who.size(); ++i) {
      const double fits = (budget - t[i].comm) / t[i].compute * steps_;
      const int steps = std::clamp(static_cast<int>(std::floor(std::isfinite(fits) ? fits : 1.0)), 1, steps_);
      p.trainers.push_back(full_model_assignment(s, who[i], steps, batch_));
      p.trainers.back().prox_mu = mu_;
    }
    return p;
  }

private:
  double round_s_, mu_;
};
} // namespace

PolicyInfo fedavg_deadline_policy_info() {
  return {"fedavg-deadline",
          "FedAvg that drops stragglers: the round stops at round_s (default: a quantile of predicted times)",
          {k_key(),
           key_float("round_s", 0, 0, std::numeric_limits<double>::infinity(), "s",
                     "round deadline (0: the `quantile` of the sampled trainers' predicted round times)"),
           key_float("quantile", 0.7, 0, 1, "", "which predicted time sets the deadline when round_s = 0")},
          [](const PolicyContext& ctx) { return std::make_unique<FedAvgDeadline>(ctx); }};
}

PolicyInfo fed_dropout_policy_info() {
  return {"fed-dropout",
          "Federated Dropout (Caldas et al.): each device gets a random sub-model of `keep` of every "
          "prunable layer's units, fixed for the round; only the sub-model moves",
          {k_key(), key_float("keep", 0.75, 0, 1, "",
                              "fraction of units (filters, hidden neurons) of every prunable layer in each "
                              "device's sub-model",
                              true)},
          [](const PolicyContext& ctx) { return std::make_unique<FedDropout>(ctx); }};
}

PolicyInfo heterofl_policy_info() {
  return {"heterofl",
          "HeteroFL: a static nested width per device from its peak FLOP/s (the first channels)",
          {k_key(), key_numbers("widths", {1.0, 0.5, 0.25, 0.125}, 0, 1, "",
                                "widths a device may get; the widest whose width^2 fits its share of the "
                                "fastest device's FLOP/s",
                                true)},
          [](const PolicyContext& ctx) { return std::make_unique<HeteroFL>(ctx); }};
}

PolicyInfo fedprox_partial_policy_info() {
  return {
      "fedprox-partial",
      "FedProx: each device runs the local steps that fit in round_s (at least one), with the "
      "proximal term mu",
      {k_key(),
       key_float("round_s", 0, 0, std::numeric_limits<double>::infinity(), "s",
                 "time budget of a round (0: the median predicted time of a full round)"),
       key_float("mu", 0.01, 0, 1000, "",
                 "proximal term: each device minimises its loss + mu/2 x the squared distance to the global "
                 "model (trained process only; FedProx tunes it per data set in {0.001, 0.01, 0.1, 0.5, 1}; "
                 "0: none)")},
      [](const PolicyContext& ctx) { return std::make_unique<FedProxPartial>(ctx); }};
}

} // namespace edgetrain
