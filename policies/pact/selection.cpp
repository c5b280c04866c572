#include "policies/pact/selection.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgetrain {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

NodeSelection::NodeSelection(const Problem& p, int level, int steps, double max_seconds, int resolution,
                             bool track)
    : p_(p), by_count_(std::abs(p.model.participation_exponent - 1.0) > 1e-12),
      res_(std::max(1, resolution)) {
  const auto l = static_cast<std::size_t>(level), m = static_cast<std::size_t>(steps);
  std::vector<double> values;
  for (std::size_t i = 0; i < p.nodes.size(); ++i) {
    const NodeOption* o = p.nodes[i].cheapest_within(level, steps, max_seconds);
    if (!o || p.nodes[i].value[l][m] <= 0) continue;
    item_.push_back(i);
    cost_.push_back(o->joules + p.nodes[i].link_idle_w * max_seconds);
    values.push_back(p.nodes[i].value[l][m]);
    value_sum_ += values.back();
  }
  if (item_.empty()) return;
  // The unit comes from every node's value at this level and steps, eligible or not, so that the
  // classes of one (level, steps) share a grid whatever their duration bound.
  double all = 0;
  for (const Candidate& c : p.nodes)
    all += c.value[l][m];
  unit_ = all / res_;
  for (double v : values) // rounded down, so that a set's units never overstate its value
    units_.push_back(std::min(res_, static_cast<int>(std::floor(v / unit_ * (1 + 1e-12)))));
  const int rows = by_count_ ? static_cast<int>(item_.size()) + 1 : 1;
  dp_.assign(at(rows, 0), kInf);
  dp_[at(0, 0)] = 0;
  if (track) took_.assign(item_.size(), std::vector<bool>(dp_.size(), false));
  int used = 0; // sum of the units seen so far: no state beyond it is reachable
  for (std::size_t k = 0; k < item_.size(); ++k) {
    const int u = units_[k];
    const int top = by_count_ ? static_cast<int>(k) : 0;
    for (int n = top; n >= 0; --n) // downwards: each item is taken once
      for (int v = std::min(used, res_ - u); v >= 0; --v) {
        const double from = dp_[at(n, v)];
        if (from == kInf) continue;
        const std::size_t to = at(by_count_ ? n + 1 : 0, v + u);
        if (from + cost_[k] < dp_[to]) {
          dp_[to] = from + cost_[k];
          if (track) took_[k][to] = true;
        }
      }
    used = std::min(res_, used + u);
  }
  // Without tracking, only the suffix minima are read: they take dp_'s memory. A plan builds
  // hundreds of classes, and the copy doubled the planner's peak (250 MB at 100 nodes).
  suffix_ = track ? dp_ : std::move(dp_);
  for (int n = 0; n < rows; ++n)
    for (int v = res_ - 1; v >= 0; --v)
      suffix_[at(n, v)] = std::min(suffix_[at(n, v)], suffix_[at(n, v + 1)]);
}

int NodeSelection::need(double rate, int n) const {
  const double exact =
      rate * p_.model.samples_scale * std::pow(std::max(1, n), 1.0 - p_.model.participation_exponent) / unit_;
  if (!(exact < res_ + 1)) return res_ + 1;
  return std::max(0, static_cast<int>(std::ceil(exact * (1 - 1e-12))));
}

double NodeSelection::max_rate() const {
  return value_sum_ / p_.model.samples_scale; // n^(exponent - 1) <= 1
}

double NodeSelection::rate_bound(const Problem& p, int level, int steps, double max_seconds) {
  const auto l = static_cast<std::size_t>(level), m = static_cast<std::size_t>(steps);
  double sum = 0; // the constructor's value_sum_, in the same order
  for (const Candidate& c : p.nodes)
    if (c.value[l][m] > 0 && c.cheapest_within(level, steps, max_seconds)) sum += c.value[l][m];
  return sum / p.model.samples_scale;
}

double NodeSelection::min_joules(double rate) const {
  if (item_.empty()) return kInf;
  double best = kInf;
  const int rows = by_count_ ? static_cast<int>(item_.size()) + 1 : 1;
  for (int n = by_count_ ? 1 : 0; n < rows; ++n) {
    const int v = need(rate, n);
    if (v <= res_) best = std::min(best, suffix_[at(n, v)]);
  }
  return best;
}

void NodeSelection::best_state(double rate, int& best_n, int& best_v) const {
  best_n = -1, best_v = 0;
  double best = kInf;
  const int rows = by_count_ ? static_cast<int>(item_.size()) + 1 : 1;
  for (int n = by_count_ ? 1 : 0; n < rows && !item_.empty(); ++n)
    for (int v = need(rate, n); v <= res_; ++v)
      if (dp_[at(n, v)] < best) best = dp_[at(n, v)], best_n = n, best_v = v;
}

std::vector<std::size_t> NodeSelection::members(double rate) const {
  int n = 0, v = 0;
  best_state(rate, n, v);
  std::vector<std::size_t> out;
  if (n < 0 || took_.empty()) return out;
  // Backwards over the items: the last item that improved a state is the one its value came from.
  for (std::size_t k = item_.size(); k-- > 0 && (n > 0 || v > 0);) {
    if (!took_[k][at(n, v)]) continue;
    out.push_back(item_[k]);
    v -= units_[k];
    if (by_count_) --n;
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace edgetrain
