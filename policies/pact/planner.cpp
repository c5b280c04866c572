#include "policies/pact/planner.hpp"

#include "policies/pact/selection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgetrain {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

struct ClassCost { // one kept edge class for (level, progress)
  int tau_index = 0;
  int steps = 0;
  double joules = 0;
};

struct Parent {
  std::int32_t from = -1; // vertex index
  std::int16_t steps = 0, tau_index = 0, q = 0;
};

// The distinct round lengths the nodes' options give (within the horizon), thinned to at most
// `keep` values spread over them: the shortest and the longest always stay. A class's energy is
// charged at its length (tight for its slowest member) and it advances time by whole slots.
std::vector<double> duration_classes(const Problem& p, double horizon_s, int keep) {
  std::vector<double> all;
  for (const Candidate& c : p.nodes)
    for (std::size_t l = static_cast<std::size_t>(p.level); l < c.options.size(); ++l)
      for (const auto& by_steps : c.options[l])
        for (const NodeOption& o : by_steps)
          if (o.seconds <= horizon_s) all.push_back(o.seconds);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  if (static_cast<int>(all.size()) <= keep || keep < 1) return all;
  std::vector<double> out;
  const double last = static_cast<double>(all.size() - 1);
  for (int i = 0; i < keep; ++i) {
    const auto idx = static_cast<std::size_t>(keep == 1 ? last : std::round(i * last / (keep - 1)));
    if (out.empty() || out.back() != all[idx]) out.push_back(all[idx]);
  }
  return out;
}
} // namespace

PactPlan plan_pact(const Problem& p, const PactKnobs& k, double slot) {
  PactPlan out;
  if (p.loss <= p.target_loss) {
    out.at_target = out.reaches_target = true;
    return out;
  }
  const int L = static_cast<int>(p.keep.size()), M = static_cast<int>(p.steps.size());
  const int T = static_cast<int>(std::floor((p.deadline_s - p.now_s) / slot + 1e-9));
  const double f0 = p.model.floor_loss, w = k.bin_width;
  const double level_floor = f0 + p.model.compression_floor * (1 - p.keep[static_cast<std::size_t>(p.level)]);
  if (T < 1) {
    out.why = "no time slot is left before the deadline";
    return out;
  }
  // Bins relative to the target; a target at or below the floor gets a goal the predictor can
  // approach, and the fallback (the lowest loss reachable) takes over.
  double goal = p.target_loss;
  if (goal <= level_floor) {
    out.why = fmt::format("the target loss {} is at or below the predicted floor {:.4f} at keep {}",
                          p.target_loss, level_floor, p.keep[static_cast<std::size_t>(p.level)]);
    goal = level_floor + 1e-3 * (p.loss - level_floor);
  }
  const double y_goal = std::log(goal - f0);
  const int B = std::max(1, static_cast<int>(std::ceil((std::log(p.loss - f0) - y_goal) / w - 1e-9)));
  const auto bin_loss = [&](int b) { return f0 + std::exp(y_goal + b * w); };
  const auto bin_of = [&](double loss) {
    if (loss <= goal) return 0;
    return std::max(0, static_cast<int>(std::ceil((std::log(loss - f0) - y_goal) / w - 1e-9)));
  };

  // Edge classes: least energy per (level, duration, progress), over the steps choices.
  const std::vector<double> lengths = duration_classes(p, T * slot * (1 + 1e-12), k.durations);
  std::vector<int> taus;
  for (double d : lengths)
    taus.push_back(std::max(1, static_cast<int>(std::ceil(d / slot - 1e-9))));
  const int D = static_cast<int>(taus.size());
  int Q = std::max(1, k.progress_classes);
  std::vector<NodeSelection> sel;
  double r_max = 0;
  for (int l = p.level; l < L; ++l)
    for (int m = 0; m < M; ++m)
      for (int d = 0; d < D; ++d) {
        sel.emplace_back(p, l, m, lengths[static_cast<std::size_t>(d)], k.value_resolution, false);
        r_max = std::max(r_max, sel.back().max_rate());
      }
  out.selections = static_cast<std::int64_t>(sel.size());
  const auto sel_at = [&](int l, int m, int d) -> const NodeSelection& {
    return sel[static_cast<std::size_t>(((l - p.level) * M + m) * D + d)];
  };
  if (r_max <= 0 || D == 0) {
    out.why = "no node can train a round within the deadline";
    return out;
  }
  // Rate classes: half on a uniform grid up to the largest rate (absolute precision for fast
  // rounds), half on a geometric grid from the smallest one-node rate (relative precision for the
  // slow, cheap rounds energy-minimal plans are made of).
  double r_min = r_max;
  for (const Candidate& c : p.nodes)
    for (std::size_t l = static_cast<std::size_t>(p.level); l < c.value.size(); ++l)
      for (double v : c.value[l])
        if (v > 0) r_min = std::min(r_min, p.rate(v, 1));
  std::vector<double> rates{0.0}; // rates[0] unused: classes count from 1
  const int half_uniform = (Q + 1) / 2, half_geometric = Q - half_uniform;
  std::vector<double> grid;
  for (int q = 1; q <= half_uniform; ++q)
    grid.push_back(r_max * q / half_uniform);
  for (int q = 0; q < half_geometric; ++q)
    grid.push_back(r_min * std::pow(r_max / r_min, static_cast<double>(q) / std::max(1, half_geometric)));
  std::sort(grid.begin(), grid.end());
  for (double r : grid)
    if (r > rates.back() * (1 + 1e-12)) rates.push_back(r);
  Q = static_cast<int>(rates.size()) - 1;
  // pareto[l][q]: the durations worth taking, ascending, each cheaper than every shorter one.
  std::vector<std::vector<std::vector<ClassCost>>> pareto(
      static_cast<std::size_t>(L), std::vector<std::vector<ClassCost>>(static_cast<std::size_t>(Q + 1)));
  for (int l = p.level; l < L; ++l)
    for (int q = 1; q <= Q; ++q) {
      double best_so_far = kInf;
      for (int d = 0; d < D; ++d) {
        ClassCost c{d, 0, kInf};
        for (int m = 0; m < M; ++m) {
          const double j = sel_at(l, m, d).min_joules(rates[static_cast<std::size_t>(q)]);
          if (j < c.joules) c.joules = j, c.steps = m;
        }
        if (c.joules == kInf) continue;
        c.joules += p.overhead_w * lengths[static_cast<std::size_t>(d)];
        if (c.joules < best_so_far) {
          pareto[static_cast<std::size_t>(l)][static_cast<std::size_t>(q)].push_back(c);
          best_so_far = c.joules;
        }
      }
    }
  // next[l][b][q]: the bin after a round at rate rates[q] from bin b's upper edge.
  std::vector<int> next(static_cast<std::size_t>(L * (B + 1) * (Q + 1)), 0);
  const auto next_at = [&](int l, int b, int q) -> int& {
    return next[static_cast<std::size_t>((l * (B + 1) + b) * (Q + 1) + q)];
  };
  for (int l = p.level; l < L; ++l)
    for (int b = 1; b <= B; ++b)
      for (int q = 1; q <= Q; ++q)
        next_at(l, b, q) = bin_of(p.loss_after(bin_loss(b), l, rates[static_cast<std::size_t>(q)]));

  // The DAG, in time order. Rounds are counted only when max_rounds could bind before the deadline
  // (every round takes a slot at least): then vertices also carry the rounds played.
  const int Rd = p.rounds_left < T ? p.rounds_left + 1 : 1;
  const auto vertex = [&](int t, int r, int l, int b) { return ((t * Rd + r) * L + l) * (B + 1) + b; };
  const auto V = static_cast<std::size_t>((T + 1) * Rd * L * (B + 1));
  std::vector<double> dist(V, kInf);
  std::vector<Parent> parent(V);
  const int start = vertex(0, 0, p.level, B);
  dist[static_cast<std::size_t>(start)] = 0;
  for (int t = 0; t < T; ++t)
    for (int r = 0; r < Rd; ++r)
      for (int l = p.level; l < L; ++l)
        for (int b = 1; b <= B; ++b) {
          const int from = vertex(t, r, l, b);
          const double base = dist[static_cast<std::size_t>(from)];
          if (base == kInf) continue;
          const int r2 = Rd > 1 ? r + 1 : 0;
          if (r2 >= Rd) continue;
          ++out.vertices;
          for (int l2 = l; l2 < L; ++l2)
            for (int q = 1; q <= Q; ++q) {
              const int b2 = next_at(l2, b, q);
              if (b2 >= b) continue;
              for (const ClassCost& c : pareto[static_cast<std::size_t>(l2)][static_cast<std::size_t>(q)]) {
                const int t2 = t + taus[static_cast<std::size_t>(c.tau_index)];
                if (t2 > T) break;
                ++out.edges;
                const auto to = static_cast<std::size_t>(vertex(t2, r2, l2, b2));
                if (base + c.joules < dist[to]) {
                  dist[to] = base + c.joules;
                  parent[to] = {from, static_cast<std::int16_t>(c.steps),
                                static_cast<std::int16_t>(c.tau_index), static_cast<std::int16_t>(q)};
                }
              }
            }
        }

  // The end: the cheapest vertex in the target bin (ties: the earliest); failing that, the lowest
  // bin reached by the deadline (ties: the cheapest, then the earliest).
  const auto bin_at = [&](int v) { return v % (B + 1); };
  int end = -1;
  for (int v = 0; v < static_cast<int>(V); ++v) // in time order
    if (bin_at(v) == 0 &&
        dist[static_cast<std::size_t>(v)] < (end < 0 ? kInf : dist[static_cast<std::size_t>(end)]))
      end = v;
  out.reaches_target = end >= 0 && out.why.empty();
  if (end < 0) {
    int best_b = B + 1;
    for (int v = 0; v < static_cast<int>(V); ++v) {
      if (dist[static_cast<std::size_t>(v)] == kInf) continue;
      if (bin_at(v) < best_b ||
          (bin_at(v) == best_b && dist[static_cast<std::size_t>(v)] < dist[static_cast<std::size_t>(end)]))
        end = v, best_b = bin_at(v);
    }
    if (out.why.empty())
      out.why =
          fmt::format("the target loss {} is not predicted reachable by the deadline{} (at best {:.4f})",
                      p.target_loss, Rd > 1 ? " and within max_rounds" : "", bin_loss(best_b));
    if (best_b >= B) {
      out.why += "; no decision is predicted to lower the loss";
      return out;
    }
  }
  out.joules = dist[static_cast<std::size_t>(end)];
  // Back along the parents.
  std::vector<int> path;
  for (int v = end; v != start; v = parent[static_cast<std::size_t>(v)].from)
    path.push_back(v);
  std::reverse(path.begin(), path.end());
  double prev_joules = 0;
  for (int v : path) {
    const Parent& pa = parent[static_cast<std::size_t>(v)];
    const int b = v % (B + 1), l = (v / (B + 1)) % L, t = v / (B + 1) / L / Rd;
    PlannedRound r;
    r.slots = taus[static_cast<std::size_t>(pa.tau_index)];
    r.start_s = p.now_s + (t - r.slots) * slot;
    r.seconds = lengths[static_cast<std::size_t>(pa.tau_index)];
    r.joules = dist[static_cast<std::size_t>(v)] - prev_joules;
    prev_joules = dist[static_cast<std::size_t>(v)];
    r.loss = b == 0 ? std::min(goal, p.loss) : bin_loss(b);
    r.level = l, r.steps = pa.steps, r.rate = rates[static_cast<std::size_t>(pa.q)];
    out.rounds.push_back(r);
  }
  const PlannedRound& r0 = out.rounds.front();
  const NodeSelection first(p, r0.level, r0.steps, r0.seconds, k.value_resolution, true);
  out.first = evaluate_round(p, r0.level, r0.steps, r0.seconds, first.members(r0.rate));
  return out;
}

} // namespace edgetrain
