#include "policies/pact/problem.hpp"

#include "simulator/learning/cost_model.hpp"

#include <algorithm>
#include <cmath>

namespace edgetrain {

const NodeOption* Candidate::cheapest_within(int level, int steps, double seconds) const {
  const NodeOption* best = nullptr;
  for (const NodeOption& o : options[static_cast<std::size_t>(level)][static_cast<std::size_t>(steps)])
    if (o.seconds <= seconds &&
        (!best || o.joules < best->joules || (o.joules == best->joules && o.seconds < best->seconds)))
      best = &o;
  return best;
}

bool Problem::monotone(double max_rate) const {
  return max_rate * model.tail_exponent <= 1.0;
}

RoundChoice evaluate_round_at(const Problem& p, int level, int steps, const std::vector<std::size_t>& members,
                              const std::vector<int>& pstates) {
  RoundChoice c;
  c.level = level, c.steps = steps;
  c.members = members, c.pstates = pstates;
  double node_joules = 0, link_idle_w = 0;
  for (std::size_t k = 0; k < members.size(); ++k) {
    const Candidate& n = p.nodes[members[k]];
    const NodeOption& o = n.options[static_cast<std::size_t>(level)][static_cast<std::size_t>(steps)]
                                   [static_cast<std::size_t>(pstates[k])];
    c.seconds = std::max(c.seconds, o.seconds);
    node_joules += o.joules;
    link_idle_w += n.link_idle_w;
    c.value += n.value[static_cast<std::size_t>(level)][static_cast<std::size_t>(steps)];
  }
  c.joules = node_joules + (link_idle_w + p.overhead_w) * c.seconds;
  c.rate = p.rate(c.value, static_cast<int>(members.size()));
  return c;
}

RoundChoice evaluate_round(const Problem& p, int level, int steps, double max_seconds,
                           const std::vector<std::size_t>& members) {
  std::vector<int> pstates;
  for (std::size_t i : members) {
    const NodeOption* o = p.nodes[i].cheapest_within(level, steps, max_seconds);
    if (!o) return {};
    pstates.push_back(o->pstate);
  }
  return evaluate_round_at(p, level, steps, members, pstates);
}

Problem make_problem(const RoundState& s, const PlanningSettings& settings, const LossModel& predictor,
                     const Corrections& c, int level, int rounds_played) {
  Problem p;
  p.keep = settings.keep, p.steps = settings.steps, p.batch = settings.batch;
  p.model = predictor;
  p.overhead_w = c.overhead_w >= 0 ? c.overhead_w : s.overhead_w;
  p.loss = s.loss, p.now_s = s.now_s, p.deadline_s = s.deadline_s, p.target_loss = s.target_loss;
  p.level = level;
  p.rounds_left = std::max(0, settings.max_rounds - rounds_played);

  double skew_sum = 0, samples_sum = 0;
  std::vector<ModelCost> costs;
  for (double k : p.keep)
    costs.push_back(
        model_cost(s.model, Compression{std::vector<double>(s.model.prunable_count(), k), 32, Compression::Mode::Prune}));
  for (const NodeView& v : s.nodes) {
    if (v.role != Role::Trainer || !v.online || v.samples <= 0 || v.flops_peak <= 0 || v.flops_now <= 0)
      continue;
    Candidate cand;
    cand.node = v.id;
    cand.link_idle_w = v.link_idle_w;
    const double tc = v.id < c.compute.size() ? c.compute[v.id] : 1.0;
    const double tm = v.id < c.comm.size() ? c.comm[v.id] : 1.0;
    const double tj = v.id < c.joules.size() ? c.joules[v.id] : 1.0;
    const double available = v.flops_now / v.flops_peak; // the speed trace's factor, every pstate alike
    for (std::size_t l = 0; l < p.keep.size(); ++l) {
      const ModelCost& mc = costs[l];
      cand.options.emplace_back();
      cand.value.emplace_back();
      for (int steps : p.steps) {
        const double work = static_cast<double>(steps) * p.batch * mc.train_flops;
        const double comm = predicted_comm_s(s, v, mc);
        std::vector<NodeOption> opts;
        for (std::size_t ps = 0; ps < v.flops_per_pstate.size(); ++ps) {
          const double compute = work / (v.flops_per_pstate[ps] * available) * tc, talk = comm * tm;
          const double idle = ps < v.watts_idle.size() ? v.watts_idle[ps] : 0;
          const double busy = ps < v.watts_busy.size() ? v.watts_busy[ps] : 0;
          const double host = (busy * compute + idle * talk) * tj;
          opts.push_back({static_cast<int>(ps), compute + talk,
                          host + v.link_joules_per_byte * (mc.model_bytes + mc.update_bytes) * c.network,
                          host, compute, talk});
        }
        cand.options.back().push_back(std::move(opts));
        cand.value.back().push_back(trainer_value(p.model, static_cast<double>(steps) * p.batch,
                                                  static_cast<double>(v.samples), p.keep[l], v.label_skew));
      }
    }
    p.nodes.push_back(std::move(cand));
    skew_sum += static_cast<double>(v.samples) * v.label_skew, samples_sum += static_cast<double>(v.samples);
  }
  // The trainer count's exponent for a round of these nodes' mean skew (the loss model's
  // participation_at): the planner costs every node set at the fleet's mean, not its own.
  if (samples_sum > 0) p.model.participation_exponent = participation_at(predictor, skew_sum / samples_sum);
  p.prior = p.model;
  p.model.samples_scale /= c.rate; // a faster observed progress is a smaller scale
  if (c.exponent >= 0) p.model.participation_exponent = c.exponent;
  return p;
}

RoundPlan to_plan(const Problem& p, const RoundChoice& c, const RoundState& s) {
  RoundPlan plan; // no timeout of its own: the engine applies training.round_timeout_s
  plan.aggregator = aggregator_of(s);
  for (std::size_t k = 0; k < c.members.size(); ++k) {
    Assignment a;
    a.node = p.nodes[c.members[k]].node;
    a.local_steps = p.steps[static_cast<std::size_t>(c.steps)];
    a.batch = p.batch;
    a.compression.keep.assign(s.model.prunable_count(), p.keep[static_cast<std::size_t>(c.level)]);
    a.pstate = c.pstates[k];
    plan.trainers.push_back(a);
  }
  return plan;
}

} // namespace edgetrain
