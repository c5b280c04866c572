#include "policies/ranked_selection.hpp"

#include "policies/pact/planning_policy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace edgetrain {

namespace {
enum class Order { CheapestProgress, Fastest };

class Ranked final : public PlanningPolicy {
public:
  Ranked(const PolicyContext& ctx, const char* name, Order order)
      : PlanningPolicy(ctx, name, {1.0}, {1.0}), order_(order) {}

protected:
  Choice plan(const Problem& p, const RoundState& /*s*/) override {
    Choice c;
    if (p.loss <= p.target_loss) {
      c.at_target = true;
      return c;
    }
    // Each node's option: the cheapest pstate (greedy) or the fastest (fastest-first).
    const double any = std::numeric_limits<double>::infinity();
    std::vector<std::size_t> order(p.nodes.size());
    std::iota(order.begin(), order.end(), 0);
    const auto option = [&](std::size_t i) -> const NodeOption& {
      if (order_ == Order::CheapestProgress) return *p.nodes[i].cheapest_within(0, 0, any);
      return p.nodes[i].options[0][0].front(); // pstate 0: the fastest
    };
    const auto key = [&](std::size_t i) {
      return order_ == Order::Fastest ? option(i).seconds
                                      : option(i).joules / std::max(1e-300, p.nodes[i].value[0][0]);
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
    // On course: the rate that, kept every round, reaches the target by the deadline at this pace.
    const double floor = p.model.floor_loss;
    const double need_total = p.target_loss > floor ? std::log((p.loss - floor) / (p.target_loss - floor))
                                                    : std::numeric_limits<double>::infinity();
    std::vector<std::size_t> members;
    RoundChoice round;
    for (std::size_t i : order) {
      members.push_back(i);
      double bound = 0;
      for (std::size_t m : members)
        bound = std::max(bound, option(m).seconds);
      round = evaluate_round(p, 0, 0, bound, members);
      if (order_ == Order::Fastest)
        for (std::size_t k = 0; k < round.members.size(); ++k)
          round.pstates[k] = 0;
      const double rounds_left = std::max(
          1.0, std::min(static_cast<double>(p.rounds_left), std::floor((p.deadline_s - p.now_s) / bound)));
      if (round.rate >= need_total / rounds_left) break;
    }
    c.round = round;
    return c;
  }

private:
  Order order_;
};
} // namespace

PolicyInfo greedy_policy_info() {
  return {
      "greedy",
      "cheapest energy per unit of predicted progress first, until the progress keeps the target in reach; "
      "no pruning",
      {},
      [](const PolicyContext& ctx) {
        return std::make_unique<Ranked>(ctx, "greedy", Order::CheapestProgress);
      }};
}

PolicyInfo fastest_first_policy_info() {
  return {"fastest-first",
          "fastest nodes first (fastest pstate), until the predicted progress keeps the target in reach; no "
          "pruning",
          {},
          [](const PolicyContext& ctx) {
            return std::make_unique<Ranked>(ctx, "fastest-first", Order::Fastest);
          }};
}

} // namespace edgetrain
