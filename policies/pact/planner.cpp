#include "policies/pact/planner.hpp"

#include "simulator/common/memory.hpp"

#include "policies/pact/selection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace edgetrain {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

struct ClassCost { // one kept edge class for (level, progress)
  int tau_index = 0;
  int steps = 0;
  double joules = 0;
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
  // The rate grid needs only the classes' rate bounds; each class is then built, read at every
  // rate and dropped, so that one class's tables are in memory at a time, not hundreds.
  double r_max = 0;
  for (int l = p.level; l < L; ++l)
    for (int m = 0; m < M; ++m)
      for (int d = 0; d < D; ++d)
        r_max = std::max(r_max, NodeSelection::rate_bound(p, l, m, lengths[static_cast<std::size_t>(d)]));
  out.selections = static_cast<std::int64_t>((L - p.level) * M * D);
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
  // The tables' sizes are known now: refuse knobs that would not fit before allocating any.
  {
    const int Rd = p.rounds_left < T ? p.rounds_left + 1 : 1;
    double vertices = 0;
    for (int t = 0; t <= T; ++t)
      vertices += std::min(t + 1, Rd);
    vertices *= static_cast<double>(L - p.level) * (B + 1);
    const double bytes = 8 * vertices + 4.0 * L * (B + 1) * (Q + 1) + 8.0 * static_cast<double>(out.selections) * (Q + 1);
    const auto available = static_cast<double>(available_memory_bytes());
    if (bytes > 0.8 * available)
      throw PlanTooLarge(fmt::format("the time-expanded graph ({} slots x {} loss bins x {} levels{}) and its "
                                     "tables need {}, and {} is available: fewer slots, a wider bin_width or "
                                     "fewer progress_classes",
                                     T, B + 1, L - p.level, Rd > 1 ? " x round counts" : "", bytes_text(bytes),
                                     bytes_text(available)));
  }
  // least[((l - level) x M + m) x D + d][q]: a class's least node joules at rates[q].
  std::vector<double> least;
  least.reserve(static_cast<std::size_t>(out.selections * (Q + 1)));
  for (int l = p.level; l < L; ++l)
    for (int m = 0; m < M; ++m)
      for (int d = 0; d < D; ++d) {
        const NodeSelection sel(p, l, m, lengths[static_cast<std::size_t>(d)], k.value_resolution, false);
        least.push_back(kInf); // rates[0]: unused
        for (int q = 1; q <= Q; ++q)
          least.push_back(sel.min_joules(rates[static_cast<std::size_t>(q)]));
      }
  const auto least_at = [&](int l, int m, int d, int q) {
    return least[static_cast<std::size_t>((((l - p.level) * M + m) * D + d) * (Q + 1) + q)];
  };
  // pareto[l][q]: the durations worth taking, ascending, each cheaper than every shorter one.
  std::vector<std::vector<std::vector<ClassCost>>> pareto(
      static_cast<std::size_t>(L), std::vector<std::vector<ClassCost>>(static_cast<std::size_t>(Q + 1)));
  for (int l = p.level; l < L; ++l)
    for (int q = 1; q <= Q; ++q) {
      double best_so_far = kInf;
      for (int d = 0; d < D; ++d) {
        ClassCost c{d, 0, kInf};
        for (int m = 0; m < M; ++m) {
          const double j = least_at(l, m, d, q);
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
  // (every round takes a slot at least): then vertices also carry the rounds played, r <= t, so
  // slot t holds min(t + 1, Rd) round counts. Vertices hold their distance only (8 bytes): the
  // path is found again backwards (below), which halves the memory of the largest graphs.
  const int Rd = p.rounds_left < T ? p.rounds_left + 1 : 1;
  const auto rows = [&](int t) { return std::min(t + 1, Rd); };
  const int Lh = L - p.level; // levels held: the level never goes back
  const std::size_t LB = static_cast<std::size_t>(Lh) * static_cast<std::size_t>(B + 1);
  std::vector<std::size_t> layer(static_cast<std::size_t>(T) + 2, 0);
  for (int t = 0; t <= T; ++t)
    layer[static_cast<std::size_t>(t) + 1] =
        layer[static_cast<std::size_t>(t)] + static_cast<std::size_t>(rows(t)) * LB;
  const auto vertex = [&](int t, int r, int l, int b) {
    return layer[static_cast<std::size_t>(t)] +
           static_cast<std::size_t>(r * Lh + l - p.level) * static_cast<std::size_t>(B + 1) +
           static_cast<std::size_t>(b);
  };
  std::vector<double> dist(layer.back(), kInf);
  out.held = static_cast<std::int64_t>(dist.size());
  dist[vertex(0, 0, p.level, B)] = 0;
  for (int t = 0; t < T; ++t)
    for (int r = 0; r < rows(t); ++r)
      for (int l = p.level; l < L; ++l)
        for (int b = 1; b <= B; ++b) {
          const double base = dist[vertex(t, r, l, b)];
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
                double& to = dist[vertex(t2, r2, l2, b2)];
                to = std::min(to, base + c.joules);
              }
            }
        }

  // The end: the cheapest vertex in the target bin (ties: the earliest); failing that, the lowest
  // bin reached by the deadline (ties: the cheapest, then the earliest).
  struct At {
    int t = -1, r = 0, l = 0, b = 0;
  };
  At end;
  double end_joules = kInf;
  int best_b = B + 1;
  for (int t = 0; t <= T; ++t) // in time order
    for (int r = 0; r < rows(t); ++r)
      for (int l = p.level; l < L; ++l)
        if (dist[vertex(t, r, l, 0)] < end_joules) end = {t, r, l, 0}, end_joules = dist[vertex(t, r, l, 0)];
  out.reaches_target = end.t >= 0 && out.why.empty();
  if (end.t < 0) {
    for (int t = 0; t <= T; ++t)
      for (int r = 0; r < rows(t); ++r)
        for (int l = p.level; l < L; ++l)
          for (int b = 0; b <= B; ++b) {
            const double d = dist[vertex(t, r, l, b)];
            if (d != kInf && (b < best_b || (b == best_b && d < end_joules)))
              end = {t, r, l, b}, end_joules = d, best_b = b;
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
  out.joules = end_joules;
  // Backwards: a vertex's parent is the first edge, in the forward pass's order (t, r, l, b, then
  // q and the class), whose sum equals the vertex's distance: the one the strict improvements of
  // that pass would have kept. The sums are the same double additions, so equality is exact.
  for (At v = end; v.t > 0;) {
    const double here = dist[vertex(v.t, v.r, v.l, v.b)];
    const int r = Rd > 1 ? v.r - 1 : 0;
    At from;
    int from_q = 0;
    const ClassCost* from_c = nullptr;
    const auto before = [&](const At& a, int q) { // a's edge comes first in the forward order
      if (from.t < 0) return true;
      if (a.t != from.t) return a.t < from.t;
      if (a.l != from.l) return a.l < from.l;
      if (a.b != from.b) return a.b < from.b;
      return q < from_q; // within a (q) list, the first match is kept below
    };
    for (int q = 1; q <= Q; ++q)
      for (const ClassCost& c : pareto[static_cast<std::size_t>(v.l)][static_cast<std::size_t>(q)]) {
        const int t = v.t - taus[static_cast<std::size_t>(c.tau_index)];
        if (t < 0) break;
        if (r >= rows(t)) continue;
        for (int l = p.level; l <= v.l; ++l)
          for (int b = v.b + 1; b <= B; ++b)
            if (next_at(v.l, b, q) == v.b && dist[vertex(t, r, l, b)] + c.joules == here) {
              if (before({t, r, l, b}, q)) from = {t, r, l, b}, from_q = q, from_c = &c;
              break; // a larger b comes later
            }
      }
    if (!from_c) throw std::logic_error("PACT: a planned vertex has no parent edge");
    PlannedRound round;
    round.slots = taus[static_cast<std::size_t>(from_c->tau_index)];
    round.start_s = p.now_s + from.t * slot;
    round.seconds = lengths[static_cast<std::size_t>(from_c->tau_index)];
    round.joules = here - dist[vertex(from.t, from.r, from.l, from.b)];
    round.loss = v.b == 0 ? std::min(goal, p.loss) : bin_loss(v.b);
    round.level = v.l, round.steps = from_c->steps, round.rate = rates[static_cast<std::size_t>(from_q)];
    out.rounds.push_back(round);
    v = from;
  }
  std::reverse(out.rounds.begin(), out.rounds.end());
  const PlannedRound& r0 = out.rounds.front();
  const NodeSelection first(p, r0.level, r0.steps, r0.seconds, k.value_resolution, true);
  out.first = evaluate_round(p, r0.level, r0.steps, r0.seconds, first.members(r0.rate));
  return out;
}

} // namespace edgetrain
