#include "simulator/campaign/fidelity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace edgetrain {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double rel_error(double fast, double trained) {
  return trained != 0 ? std::abs(fast - trained) / std::abs(trained) : (fast == 0 ? 0.0 : kNaN);
}

// A policy's score over its seeds: on reaching the target (more seeds first, then the lower mean
// of `value` over them), or on a value where higher is better.
RankScore reach_score(const std::vector<const RunVerdict*>& runs, double RunVerdict::*value) {
  int reached = 0;
  double sum = 0;
  for (const RunVerdict* r : runs)
    if (r->reached) ++reached, sum += r->*value;
  const double share = static_cast<double>(reached) / static_cast<double>(runs.size());
  return {-share, reached ? sum / reached : 0.0};
}

RankScore accuracy_score(const std::vector<const RunVerdict*>& runs) {
  double sum = 0;
  for (const RunVerdict* r : runs)
    sum += r->accuracy;
  return {-sum / static_cast<double>(runs.size()), 0};
}

std::vector<int> ranks(const std::vector<RankScore>& s) {
  std::vector<int> r(s.size(), 1);
  for (std::size_t i = 0; i < s.size(); ++i)
    for (std::size_t j = 0; j < s.size(); ++j)
      r[i] += compare(s[j], s[i]) < 0;
  return r;
}

struct Errors {
  std::vector<double> time, energy, accuracy;
  void add(const FidelityPair& p) {
    accuracy.push_back(100 * std::abs(p.fast.accuracy - p.trained.accuracy));
    if (!p.trained.reached || !p.fast.reached) return;
    time.push_back(rel_error(p.fast.time_s, p.trained.time_s));
    energy.push_back(rel_error(p.fast.energy_j, p.trained.energy_j));
  }
};

// Split-half agreement of the trained runs: per policy, the score over the group's seeds at even
// positions (1st, 3rd, ... in increasing order) and over those at odd positions, then tau-b.
// Alternating, rather than first half against second, keeps seed order from favouring a half.
struct SelfAgreement {
  std::optional<double> time, energy;
};
SelfAgreement self_agreement(const std::vector<std::string>& policies,
                             std::map<std::string, std::vector<const FidelityPair*>>& by_policy) {
  std::vector<std::int64_t> seeds;
  for (const std::string& pol : policies)
    for (const FidelityPair* p : by_policy[pol])
      seeds.push_back(p->seed);
  std::sort(seeds.begin(), seeds.end());
  seeds.erase(std::unique(seeds.begin(), seeds.end()), seeds.end());
  const auto half_of = [&](std::int64_t seed) {
    return (std::lower_bound(seeds.begin(), seeds.end(), seed) - seeds.begin()) % 2;
  };
  std::vector<RankScore> time[2], energy[2];
  for (const std::string& pol : policies) {
    std::vector<const RunVerdict*> half[2];
    for (const FidelityPair* p : by_policy[pol])
      half[half_of(p->seed)].push_back(&p->trained);
    if (half[0].empty() || half[1].empty()) return {};
    for (int h = 0; h < 2; ++h)
      time[h].push_back(reach_score(half[h], &RunVerdict::time_s)),
          energy[h].push_back(reach_score(half[h], &RunVerdict::energy_j));
  }
  return {kendall_tau_b(time[0], time[1]), kendall_tau_b(energy[0], energy[1])};
}

std::optional<double> worst(std::optional<double> acc, std::optional<double> v) {
  if (!v) return acc;
  return acc ? std::min(*acc, *v) : v;
}
} // namespace

ErrorStats error_stats(std::vector<double> e) {
  e.erase(std::remove_if(e.begin(), e.end(), [](double x) { return std::isnan(x); }), e.end());
  if (e.empty()) return {0, kNaN, kNaN};
  std::sort(e.begin(), e.end());
  const std::size_t n = e.size();
  const double median = n % 2 ? e[n / 2] : 0.5 * (e[n / 2 - 1] + e[n / 2]);
  return {static_cast<int>(n), median, e.back()};
}

Fidelity measure_fidelity(const std::vector<FidelityPair>& pairs) {
  Fidelity f;
  std::vector<std::string> order;
  std::map<std::string, std::vector<const FidelityPair*>> by_group;
  Errors all;
  for (const FidelityPair& p : pairs) {
    if (!by_group.count(p.group)) order.push_back(p.group);
    by_group[p.group].push_back(&p);
    all.add(p);
    ++f.runs;
    f.reached_trained += p.trained.reached;
    f.reached_fast += p.fast.reached;
    f.reached_both += p.trained.reached && p.fast.reached;
  }
  for (const std::string& name : order) {
    GroupFidelity g;
    g.group = name;
    std::map<std::string, std::vector<const FidelityPair*>> by_policy;
    Errors e;
    for (const FidelityPair* p : by_group[name]) {
      if (!by_policy.count(p->policy)) g.policies.push_back(p->policy);
      by_policy[p->policy].push_back(p);
      e.add(*p);
      ++g.runs;
      g.reached_trained += p->trained.reached;
      g.reached_fast += p->fast.reached;
    }
    std::vector<RankScore> time_t, time_f, energy_t, energy_f, acc_t, acc_f;
    for (const std::string& pol : g.policies) {
      std::vector<const RunVerdict*> t, fa;
      for (const FidelityPair* p : by_policy[pol])
        t.push_back(&p->trained), fa.push_back(&p->fast);
      time_t.push_back(reach_score(t, &RunVerdict::time_s));
      time_f.push_back(reach_score(fa, &RunVerdict::time_s));
      energy_t.push_back(reach_score(t, &RunVerdict::energy_j));
      energy_f.push_back(reach_score(fa, &RunVerdict::energy_j));
      acc_t.push_back(accuracy_score(t));
      acc_f.push_back(accuracy_score(fa));
    }
    g.rank_trained = ranks(time_t);
    g.rank_fast = ranks(time_f);
    g.tau_time = kendall_tau_b(time_t, time_f);
    g.tau_energy = kendall_tau_b(energy_t, energy_f);
    g.tau_accuracy = kendall_tau_b(acc_t, acc_f);
    const SelfAgreement self = self_agreement(g.policies, by_policy);
    g.self_tau_time = self.time, g.self_tau_energy = self.energy;
    g.rel_time = error_stats(e.time);
    g.rel_energy = error_stats(e.energy);
    g.abs_accuracy = error_stats(e.accuracy);
    f.tau_time = worst(f.tau_time, g.tau_time);
    f.tau_energy = worst(f.tau_energy, g.tau_energy);
    f.tau_accuracy = worst(f.tau_accuracy, g.tau_accuracy);
    f.self_tau_time = worst(f.self_tau_time, g.self_tau_time);
    f.self_tau_energy = worst(f.self_tau_energy, g.self_tau_energy);
    f.groups.push_back(std::move(g));
  }
  f.rel_time = error_stats(all.time);
  f.rel_energy = error_stats(all.energy);
  f.abs_accuracy = error_stats(all.accuracy);
  return f;
}

} // namespace edgetrain
