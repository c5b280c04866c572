#include "policies/pact/pact_policy.hpp"

#include "policies/pact/exact.hpp"
#include "policies/pact/planner.hpp"
#include "policies/pact/planning_policy.hpp"
#include "simulator/common/error.hpp"

#include <fmt/format.h>

#include <xbt/log.h>

#include <limits>
#include <stdexcept>

XBT_LOG_EXTERNAL_DEFAULT_CATEGORY(edgetrain_planning);

namespace edgetrain {

namespace {
PactKnobs knobs_of(const Params& params) {
  PactKnobs k;
  k.bin_width = params.number("bin_width");
  k.durations = static_cast<int>(params.integer("durations"));
  k.progress_classes = static_cast<int>(params.integer("progress_classes"));
  k.value_resolution = static_cast<int>(params.integer("value_resolution"));
  return k;
}

// PACT's plan, its knobs refused by name when its graph would not fit in memory.
PactPlan plan_or_refuse(const Problem& p, const PactKnobs& k, double slot_s, const std::string& where) {
  try {
    return plan_pact(p, k, slot_s);
  } catch (const PlanTooLarge& e) {
    throw InputError(where, std::string("policy.pact.slots, bin_width, progress_classes: ") + e.what());
  }
}

class Pact final : public PlanningPolicy {
public:
  explicit Pact(const PolicyContext& ctx)
      : PlanningPolicy(ctx, "pact", ctx.params.numbers("levels"), ctx.params.numbers("steps")),
        knobs_(knobs_of(ctx.params)), slots_(static_cast<int>(ctx.params.integer("slots"))),
        where_(ctx.where("policy.pact.slots")) {}

protected:
  Choice plan(const Problem& p, const RoundState& s) override {
    // The slot grid is fixed at the first plan, so that re-plans agree on it.
    if (slot_s_ <= 0) slot_s_ = std::max(1e-9, (s.deadline_s - s.now_s) / slots_);
    const PactPlan plan = plan_or_refuse(p, knobs_, slot_s_, where_);
    Choice c;
    c.at_target = plan.at_target;
    c.why = plan.why;
    if (plan.reaches_target)
      c.round = plan.first;
    else
      c.fallback = plan.first; // the path to the lowest loss reachable
    return c;
  }

private:
  PactKnobs knobs_;
  int slots_;
  std::string where_;
  double slot_s_ = 0;
};

class Optimum final : public PlanningPolicy {
public:
  explicit Optimum(const PolicyContext& ctx)
      : PlanningPolicy(ctx, "optimum", ctx.params.numbers("levels"), ctx.params.numbers("steps")),
        max_nodes_(static_cast<int>(ctx.params.integer("max_nodes"))),
        budget_(ctx.params.integer("max_expansions")), knobs_(knobs_of(defaults(pact_policy_info().params))),
        slots_(static_cast<int>(defaults(pact_policy_info().params).integer("slots"))),
        where_(ctx.where("policy.optimum")) {}

protected:
  Choice plan(const Problem& p, const RoundState& s) override {
    // PACT's plan is the search's first incumbent: it reaches the target at no more than the
    // joules PACT charges it (bins at their upper edges, rounds at their length class), so only
    // cheaper plans are looked for, and the bound cuts far sooner. It is also the fallback.
    if (slot_s_ <= 0) slot_s_ = std::max(1e-9, (s.deadline_s - s.now_s) / slots_);
    const PactPlan pact = plan_or_refuse(p, knobs_, slot_s_, where_);
    ExactPlan e;
    try {
      e = solve_exact(p, max_nodes_, budget_,
                      pact.reaches_target ? pact.joules * (1 + 1e-9) : std::numeric_limits<double>::infinity());
    } catch (const std::invalid_argument& err) {
      throw InputError("policy.optimum.max_nodes", err.what());
    }
    if (!e.complete)
      XBT_WARN(
          "optimum: the search budget (policy.optimum.max_expansions = %lld) ran out: the best plan found "
          "is not proven optimal",
          static_cast<long long>(budget_));
    Choice c;
    c.at_target = e.at_target;
    if (e.reaches_target) {
      c.round = e.first;
      return c;
    }
    if (e.incumbent_stands) { // nothing cheaper than PACT's plan (proven when the search completed)
      c.round = pact.first;
      return c;
    }
    // No plan: PACT's fallback, the lowest loss it predicts reachable.
    c.why = e.why;
    c.fallback = pact.first;
    return c;
  }

private:
  int max_nodes_;
  std::int64_t budget_;
  PactKnobs knobs_;
  int slots_;
  std::string where_;
  double slot_s_ = 0;
};
} // namespace

PolicyInfo pact_policy_info() {
  std::vector<KeySpec> keys = planning_keys();
  keys.push_back(
      key_int("slots", 100, 1, 100000, "", "time slots from the start to the deadline (slot length)"));
  keys.push_back(key_float("bin_width", 0.01, 0, 10, "",
                           "loss bin width, in ln(loss - floor): smaller is closer to the optimum", true));
  keys.push_back(
      key_int("durations", 48, 1, 1000, "", "round-length classes (of the round times nodes' options give)"));
  keys.push_back(key_int("progress_classes", 192, 1, 10000, "", "rate classes a round may aim at"));
  keys.push_back(key_int("value_resolution", 256, 1, 1000000, "",
                         "value units of the node-selection knapsack (its error bound is members x unit)"));
  return {"pact",
          "PACT: least-energy pruning, nodes, steps and DVFS to reach the target loss by the deadline "
          "(DP on a time-expanded graph, re-planned each round)",
          keys, [](const PolicyContext& ctx) { return std::make_unique<Pact>(ctx); }};
}

PolicyInfo optimum_policy_info() {
  std::vector<KeySpec> keys = planning_keys();
  keys.push_back(key_int("max_nodes", 10, 1, 20, "nodes", "refuse instances with more candidate trainers"));
  keys.push_back(key_int("max_expansions", 20000000, 1, 1e12, "",
                         "search budget per plan; past it the best plan found is used (and logged)"));
  return {"optimum",
          "the exact least-energy plan of PACT's problem by branch and bound (small instances), re-planned "
          "each round",
          keys, [](const PolicyContext& ctx) { return std::make_unique<Optimum>(ctx); }};
}

} // namespace edgetrain
