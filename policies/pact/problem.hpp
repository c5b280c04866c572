#pragma once
// The planning problem PACT and the exact optimum share: what one round's decision (pruning level,
// local steps, who trains at which DVFS state) is predicted to cost in seconds and joules, and to
// achieve in loss, seen from the policy's side only (NodeViews, the cost model, its own loss
// predictor and the corrections it learnt from observed rounds). See policies/pact/README.md.
#include "policies/policy.hpp"
#include "simulator/learning/loss_model.hpp"

#include <cstddef>
#include <vector>

namespace edgetrain {

struct NodeOption { // one node at one pstate, for a given level and number of local steps
  int pstate = 0;
  double seconds = 0;     // model down + local steps + update up
  double joules = 0;      // its host (busy while computing, idle while communicating) and its bytes on links
  double host_joules = 0; // the host's part
  double compute_s = 0, comm_s = 0; // the two parts of seconds
};

struct Candidate { // an online trainer with data
  NodeId node = 0;
  double link_idle_w = 0; // its own metered links, charged for the whole round
  // [level][steps choice] -> one option per pstate, and the node's value (trainer_value) there.
  std::vector<std::vector<std::vector<NodeOption>>> options;
  std::vector<std::vector<double>> value;
  // The least-energy option finishing within `seconds` (ties: the faster), or nullptr.
  [[nodiscard]] const NodeOption* cheapest_within(int level, int steps, double seconds) const;
};

struct Problem {
  std::vector<double> keep; // pruning levels, as keep fractions, decreasing (index = level)
  std::vector<int> steps;   // local steps choices
  int batch = 32;
  std::vector<Candidate> nodes;
  double overhead_w = 0; // per second of a round, whoever trains (aggregator idle, shared links)
  LossModel model;       // the predictor, with its learnt correction folded in
  LossModel prior;       // the predictor before it (at the fleet's skew), which the refit starts from
  double loss = 0, now_s = 0, deadline_s = 0, target_loss = 0;
  int level = 0;       // the current pruning level: later rounds may only prune more
  int rounds_left = 0; // max_rounds minus rounds played

  [[nodiscard]] double rate(double value_sum, int trainers) const {
    return round_rate(model, value_sum, trainers);
  }
  [[nodiscard]] double loss_after(double from, int at_level, double rate) const {
    return loss_step(model, from, rate, keep[static_cast<std::size_t>(at_level)]);
  }
  // Whether the next loss grows with the current one at every rate the problem can reach: it does
  // unless rate x tail_exponent exceeds 1. Conservative rounding and dominance need it.
  [[nodiscard]] bool monotone(double max_rate) const;
};

struct RoundChoice {
  int level = 0, steps = 0;
  std::vector<std::size_t> members; // indices into Problem::nodes
  std::vector<int> pstates;         // one per member
  double seconds = 0, joules = 0, rate = 0, value = 0;
  [[nodiscard]] bool empty() const { return members.empty(); }
};

// The round where `members` train at (level, steps), each at its cheapest pstate finishing within
// max_seconds; empty when one of them cannot. Its seconds are the slowest member's.
RoundChoice evaluate_round(const Problem& p, int level, int steps, double max_seconds,
                           const std::vector<std::size_t>& members);

// The same round with each member at a given pstate.
RoundChoice evaluate_round_at(const Problem& p, int level, int steps, const std::vector<std::size_t>& members,
                              const std::vector<int>& pstates);

// One round's loss progress as played: the finished trainers' summed value under the predictor,
// their number, the pruned keep, and the losses before and after.
struct ProgressObservation {
  double value = 0;
  int trainers = 0;
  double keep = 1, loss = 0, loss_after = 0;
};

// Learnt from observed rounds (policies/pact/feedback.hpp); 1 = as predicted.
struct Corrections {
  std::vector<double> compute, comm, joules; // per NodeId: compute and communication seconds, host joules
  double network = 1;                        // link joules
  double rate = 1;                           // loss progress: the predictor's rate times this
  double exponent = -1;                      // the trainer count's exponent refitted; -1: the predictor's
  double overhead_w = -1;                    // observed overhead watts; -1: none observed yet
  std::vector<ProgressObservation> progress; // the last 100 rounds played, for the refit
};

struct PlanningSettings {
  std::vector<double> keep; // pruning levels (keep fractions, decreasing, the first 1)
  std::vector<int> steps;
  int batch = 32;
  int max_rounds = 100;
};

// The problem as a policy sees it at the start of a round.
Problem make_problem(const RoundState& s, const PlanningSettings& settings, const LossModel& predictor,
                     const Corrections& c, int level, int rounds_played);

// The round's plan for the engine: each member at its pstate, the level's keep on every prunable
// layer (pruning: dropout off).
RoundPlan to_plan(const Problem& p, const RoundChoice& c, const RoundState& s);

} // namespace edgetrain
