#include "policies/ranked_selection.hpp"

#include "policies/pact/planning_policy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace edgetrain {

RoundChoice ranked_round(const Problem& p, bool fastest) {
  // Each node's option: the cheapest pstate (greedy) or the fastest, pstate 0 (fastest-first).
  const double any = std::numeric_limits<double>::infinity();
  const auto option = [&](std::size_t i) -> const NodeOption& {
    return fastest ? p.nodes[i].options[0][0].front() : *p.nodes[i].cheapest_within(0, 0, any);
  };
  const auto key = [&](std::size_t i) {
    return fastest ? option(i).seconds : option(i).joules / std::max(1e-300, p.nodes[i].value[0][0]);
  };
  std::vector<std::size_t> order(p.nodes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  // Enough: the round, repeated for every round left (by the deadline, at its length, and by
  // max_rounds), is predicted to reach the target.
  std::vector<std::size_t> members;
  std::vector<int> pstates;
  RoundChoice round;
  for (std::size_t i : order) {
    members.push_back(i);
    pstates.push_back(option(i).pstate);
    round = evaluate_round_at(p, 0, 0, members, pstates);
    const double by_time = std::floor((p.deadline_s - p.now_s) / round.seconds);
    const int rounds_left =
        static_cast<int>(std::max(1.0, std::min(static_cast<double>(p.rounds_left), by_time)));
    double loss = p.loss;
    for (int r = 0; r < rounds_left && loss > p.target_loss; ++r)
      loss = p.loss_after(loss, 0, round.rate);
    if (loss <= p.target_loss) break;
  }
  return round;
}

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
    c.round = ranked_round(p, order_ == Order::Fastest);
    return c;
  }

private:
  Order order_;
};
} // namespace

PolicyInfo greedy_policy_info() {
  return {"greedy",
          "cheapest energy per unit of predicted progress first, until the round, repeated, is predicted to "
          "reach "
          "the target in time; no pruning",
          {predictor_key()},
          [](const PolicyContext& ctx) {
            return std::make_unique<Ranked>(ctx, "greedy", Order::CheapestProgress);
          }};
}

PolicyInfo fastest_first_policy_info() {
  return {
      "fastest-first",
      "fastest nodes first (fastest pstate), until the round, repeated, is predicted to reach the target in "
      "time; no pruning",
      {predictor_key()},
      [](const PolicyContext& ctx) {
        return std::make_unique<Ranked>(ctx, "fastest-first", Order::Fastest);
      }};
}

} // namespace edgetrain
