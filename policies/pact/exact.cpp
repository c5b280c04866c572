#include "policies/pact/exact.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace edgetrain {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

// Every distinct round, per level.
std::vector<std::vector<RoundChoice>> enumerate_rounds(const Problem& p) {
  const std::size_t n = p.nodes.size();
  const int L = static_cast<int>(p.keep.size()), M = static_cast<int>(p.steps.size());
  std::vector<std::vector<RoundChoice>> by_level(static_cast<std::size_t>(L));
  for (int l = p.level; l < L; ++l) {
    std::map<std::vector<int>, bool> seen; // (steps, pstate or -1 per node): one round each
    for (int m = 0; m < M; ++m)
      for (std::uint32_t mask = 1; mask < (1u << n); ++mask) {
        std::vector<std::size_t> members;
        std::vector<double> bounds;
        for (std::size_t i = 0; i < n; ++i)
          if (mask & (1u << i)) {
            members.push_back(i);
            for (const NodeOption& o :
                 p.nodes[i].options[static_cast<std::size_t>(l)][static_cast<std::size_t>(m)])
              bounds.push_back(o.seconds);
          }
        std::sort(bounds.begin(), bounds.end());
        bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
        for (double d : bounds) {
          RoundChoice c = evaluate_round(p, l, m, d, members);
          if (c.empty() || c.rate <= 0) continue;
          std::vector<int> key(n + 1, -1);
          key[n] = m;
          for (std::size_t k = 0; k < c.members.size(); ++k)
            key[c.members[k]] = c.pstates[k];
          if (seen.emplace(key, true).second) by_level[static_cast<std::size_t>(l)].push_back(std::move(c));
        }
      }
  }
  return by_level;
}

// Drops the rounds another one of the same level beats on all three counts.
void drop_dominated(std::vector<RoundChoice>& rounds) {
  std::sort(rounds.begin(), rounds.end(), [](const RoundChoice& a, const RoundChoice& b) {
    return a.rate != b.rate       ? a.rate > b.rate
           : a.joules != b.joules ? a.joules < b.joules
                                  : a.seconds < b.seconds;
  });
  std::vector<RoundChoice> kept;
  for (RoundChoice& c : rounds) {
    const bool dominated = std::any_of(kept.begin(), kept.end(), [&](const RoundChoice& k) {
      return k.rate >= c.rate && k.joules <= c.joules && k.seconds <= c.seconds;
    });
    if (!dominated) kept.push_back(std::move(c));
  }
  rounds = std::move(kept);
}

// The most one unit of a round's rate can shrink the gap by from a state whose gap is the share
// g_now of the initial one: the loss model's factor h(g) = g^tail (1 - plateau g) at its largest
// over [0, g_now], since every later round's gap share (to its own floor, no lower than this
// level's) is at most g_now. h rises up to g* = tail / (plateau (tail + 1)) and falls after it.
// Without it (h = 1) the bound is loose by 1 / h: 6 times with LeNet-5's tail 2.7 and plateau
// 0.87, and the search ran out of budget on every 6-node instance of bench_pact.
double rate_efficiency(const LossModel& m, double g_now) {
  const double a = m.tail_exponent, pl = m.plateau;
  double g = std::clamp(g_now, 0.0, 1.0);
  if (a <= 0) g = 0;                                     // h falls from 1
  else if (pl > 0) g = std::min(g, a / (pl * (a + 1))); // h peaks at g*
  return std::max(std::pow(g, a) * (1 - pl * g), 1e-300);
}

class Search {
public:
  Search(const Problem& p, std::int64_t budget, double incumbent) : p_(p), budget_(budget), incumbent_(incumbent) {}

  ExactPlan run() {
    by_level_ = enumerate_rounds(p_);
    double r_max = 0;
    for (const auto& v : by_level_)
      for (const RoundChoice& c : v)
        r_max = std::max(r_max, c.rate);
    monotone_ = p_.monotone(r_max);
    if (monotone_)
      for (auto& v : by_level_)
        drop_dominated(v);
    seen_.assign(by_level_.size() * static_cast<std::size_t>(std::max(0, p_.rounds_left) + 1), {});
    const auto L = by_level_.size();
    // Bounds per level l: over the rounds of levels >= l.
    joules_per_rate_.assign(L + 1, kInf), seconds_per_rate_.assign(L + 1, kInf), rate_max_.assign(L + 1, 0);
    multipliers_.assign(L + 1, {});
    for (std::size_t l = L; l-- > 0;) {
      joules_per_rate_[l] = joules_per_rate_[l + 1], seconds_per_rate_[l] = seconds_per_rate_[l + 1];
      rate_max_[l] = rate_max_[l + 1];
      for (const RoundChoice& c : by_level_[l]) {
        out_.round_options += 1;
        joules_per_rate_[l] = std::min(joules_per_rate_[l], c.joules / c.rate);
        seconds_per_rate_[l] = std::min(seconds_per_rate_[l], c.seconds / c.rate);
        rate_max_[l] = std::max(rate_max_[l], c.rate);
      }
      // Lagrangian bounds (see joules_bound).
      std::vector<double> power, energy;
      for (std::size_t k = l; k < L; ++k)
        for (const RoundChoice& c : by_level_[k])
          power.push_back(c.joules / std::max(c.seconds, 1e-300)), energy.push_back(c.joules);
      std::vector<Multiplier> mult;
      if (!power.empty()) {
        std::nth_element(power.begin(), power.begin() + static_cast<long>(power.size() / 2), power.end());
        std::nth_element(energy.begin(), energy.begin() + static_cast<long>(energy.size() / 2), energy.end());
        const double P = power[power.size() / 2], E = energy[energy.size() / 2];
        for (double a : {0.0, 0.1, 0.3, 1.0, 3.0, 10.0})
          for (double b : {0.0, 0.1, 0.3, 1.0, 3.0}) {
            Multiplier m{a * P, b * E, kInf};
            for (std::size_t k = l; k < L; ++k)
              for (const RoundChoice& c : by_level_[k])
                m.rho = std::min(m.rho, (c.joules + m.lambda * c.seconds + m.mu) / c.rate);
            mult.push_back(m);
          }
      }
      multipliers_[l] = std::move(mult);
      // The cheapest per unit of rate first: good plans early make the bound bite.
      std::sort(by_level_[l].begin(), by_level_[l].end(), [](const RoundChoice& a, const RoundChoice& b) {
        return a.joules / a.rate < b.joules / b.rate;
      });
    }
    best_ = incumbent_;
    dfs(p_.loss, p_.level, p_.now_s, 0, 0.0);
    out_.incumbent_stands = std::isfinite(incumbent_) && best_path_.empty();
    out_.reaches_target = !best_path_.empty();
    if (out_.reaches_target) {
      out_.joules = best_;
      out_.rounds = best_path_;
      out_.first = best_path_.front();
    } else if (out_.incumbent_stands) {
      out_.why = fmt::format("no plan cheaper than the incumbent's {} J{}", incumbent_,
                             out_.complete ? "" : " found within the search budget");
    } else {
      out_.why = fmt::format("no plan reaches the target loss {} by the deadline{}", p_.target_loss,
                             out_.complete ? "" : " within the search budget");
    }
    return out_;
  }

private:
  void dfs(double loss, int level, double t, int rounds, double joules) {
    if (loss <= p_.target_loss * (1 + 1e-12)) { // a plan landing on the target, up to rounding
      if (joules < best_) best_ = joules, best_path_ = path_;
      return;
    }
    if (++out_.expansions > budget_) {
      out_.complete = false;
      return;
    }
    const double floor =
        p_.model.floor_loss + p_.model.compression_floor * (1 - p_.keep[static_cast<std::size_t>(level)]);
    if (p_.target_loss <= floor) return;
    const double need = std::log((loss - floor) / (p_.target_loss - floor)) /
                        rate_efficiency(p_.model, std::min(1.0, (loss - floor) / (p_.model.initial_loss - floor)));
    const auto l = static_cast<std::size_t>(level);
    if (joules + joules_bound(l, need, p_.deadline_s - t, p_.rounds_left - rounds) >= best_ * (1 - 1e-12))
      return;
    if (t + need * seconds_per_rate_[l] > p_.deadline_s * (1 + 1e-12)) return;
    if (rate_max_[l] <= 0 || rounds + need / rate_max_[l] > p_.rounds_left + 1e-9) return;
    if (monotone_ && dominated(l, rounds, loss, t, joules)) return;
    for (std::size_t l2 = l; l2 < by_level_.size(); ++l2)
      for (const RoundChoice& c : by_level_[l2]) {
        if (t + c.seconds > p_.deadline_s || joules + c.joules >= best_) continue;
        const double next = p_.loss_after(loss, static_cast<int>(l2), c.rate);
        if (!(next < loss)) continue;
        path_.push_back(c);
        dfs(next, static_cast<int>(l2), t + c.seconds, rounds + 1, joules + c.joules);
        path_.pop_back();
        if (!out_.complete) return;
      }
  }

  // For any lambda, mu >= 0 and every round k, joules_k >= rho x rate_k - lambda x seconds_k - mu
  // with rho = min over rounds of (joules + lambda seconds + mu) / rate. Summed over the rounds
  // still to come (rates adding up to `need` at least, seconds to `time_left` at most, at most
  // `rounds_left` of them): joules >= rho need - lambda time_left - mu rounds_left. The best of a
  // few multipliers is taken (lambda = mu = 0 is the plain min joules / rate bound).
  struct Multiplier {
    double lambda = 0, mu = 0, rho = 0;
  };
  // With a monotone loss map, a state another one reached with no more rounds at the same level
  // beats on loss, time and joules at once cannot lead anywhere better: it is cut. Otherwise
  // it joins the archive of its (level, rounds).
  bool dominated(std::size_t level, int rounds, double loss, double t, double joules) {
    for (int r = 0; r <= rounds; ++r)
      for (const State& s :
           seen_[level * static_cast<std::size_t>(p_.rounds_left + 1) + static_cast<std::size_t>(r)])
        if (s.loss <= loss && s.t <= t && s.joules <= joules) return true;
    auto& here =
        seen_[level * static_cast<std::size_t>(p_.rounds_left + 1) + static_cast<std::size_t>(rounds)];
    std::erase_if(here, [&](const State& s) { return loss <= s.loss && t <= s.t && joules <= s.joules; });
    here.push_back({loss, t, joules});
    return false;
  }
  struct State {
    double loss, t, joules;
  };

  [[nodiscard]] double joules_bound(std::size_t level, double need, double time_left, int rounds_left) const {
    double best = need * joules_per_rate_[level];
    for (const Multiplier& m : multipliers_[level])
      best = std::max(best, m.rho * need - m.lambda * time_left - m.mu * rounds_left);
    return best;
  }

  const Problem& p_;
  std::int64_t budget_;
  double incumbent_;
  std::vector<std::vector<Multiplier>> multipliers_;
  bool monotone_ = false;
  std::vector<std::vector<State>> seen_; // [level x (rounds_left + 1) + rounds]
  std::vector<std::vector<RoundChoice>> by_level_;
  std::vector<double> joules_per_rate_, seconds_per_rate_, rate_max_;
  std::vector<RoundChoice> path_, best_path_;
  double best_ = kInf;
  ExactPlan out_;
};
} // namespace

ExactPlan solve_exact(const Problem& p, int max_nodes, std::int64_t max_expansions, double incumbent) {
  if (p.loss <= p.target_loss) {
    ExactPlan e;
    e.at_target = e.reaches_target = true;
    return e;
  }
  if (static_cast<int>(p.nodes.size()) > max_nodes)
    throw std::invalid_argument(
        fmt::format("{} candidate trainers: the exact search takes at most {} (it enumerates every subset)",
                    p.nodes.size(), max_nodes));
  return Search(p, max_expansions, incumbent).run();
}

} // namespace edgetrain
