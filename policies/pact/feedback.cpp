#include "policies/pact/feedback.hpp"

#include <algorithm>
#include <cmath>

namespace edgetrain {

namespace {
// Halfway, in log terms, towards `observed / predicted`; the factor stays in [lo, hi].
void nudge(double& factor, double observed, double predicted, double lo, double hi) {
  if (!(observed > 0) || !(predicted > 0) || !std::isfinite(observed)) return;
  factor = std::clamp(factor * std::sqrt(observed / predicted), lo, hi);
}
} // namespace

void update_corrections(Corrections& c, const Problem& p, const RoundChoice& played,
                        const RoundOutcome& outcome, double loss_after) {
  if (played.empty()) return;
  const auto l = static_cast<std::size_t>(played.level), m = static_cast<std::size_t>(played.steps);
  double value = 0, link_dynamic = 0, private_idle_w = 0;
  int finished = 0;
  for (std::size_t k = 0; k < played.members.size(); ++k) {
    const Candidate& cand = p.nodes[played.members[k]];
    const NodeOption& o = cand.options[l][m][static_cast<std::size_t>(played.pstates[k])];
    private_idle_w += cand.link_idle_w;
    const auto it = std::find_if(outcome.nodes.begin() + 1, outcome.nodes.end(),
                                 [&](const NodeOutcome& n) { return n.node == cand.node; });
    if (it == outcome.nodes.end()) continue;
    link_dynamic += o.joules - o.host_joules;
    if (!it->finished) continue;
    ++finished;
    value += cand.value[l][m];
    nudge(c.compute[cand.node], it->compute_s, o.compute_s, 0.1, 10);
    nudge(c.comm[cand.node], it->comm_s, o.comm_s, 0.1, 100); // SimGrid's TCP model: latency x 13 and more
    nudge(c.joules[cand.node], it->energy_j, o.host_joules, 0.1, 10);
  }
  // Overhead: what the aggregator and the links cost beyond the members' bytes and own links.
  const double seconds = outcome.end_s - outcome.start_s;
  if (seconds > 0) {
    const double agg = std::isfinite(outcome.nodes.front().energy_j) ? outcome.nodes.front().energy_j : 0.0;
    const double observed =
        std::max(0.0, (agg + outcome.energy_network_j - link_dynamic) / seconds - private_idle_w);
    c.overhead_w = c.overhead_w < 0 ? observed : 0.5 * (c.overhead_w + observed);
  }
  // Progress: the rate that explains the observed loss, against the predicted one for the trainers
  // that finished.
  const double predicted = p.rate(value, finished);
  const double floor = p.model.floor_loss + p.model.compression_floor * (1 - p.keep[l]);
  const double gap = p.loss - floor, initial_gap = p.model.initial_loss - floor;
  if (finished == 0 || predicted <= 0 || gap <= 0 || initial_gap <= 0) return;
  const double tail = std::pow(std::min(1.0, gap / initial_gap), p.model.tail_exponent);
  const double after = loss_after - floor;
  const double observed =
      after <= 0 ? 5 * predicted : std::max(0.2 * predicted, -std::log(after / gap) / tail);
  nudge(c.rate, std::min(observed, 5 * predicted), predicted, 0.05, 20);
}

} // namespace edgetrain
