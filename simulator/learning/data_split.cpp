#include "simulator/learning/data_split.hpp"

#include "simulator/common/apportion.hpp"
#include "simulator/common/error.hpp"
#include "simulator/common/rng.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace edgetrain {

std::int64_t dataset_train_size(const std::string& dataset) {
  (void)dataset; // fashion-mnist: 60,000 training images; synthetic: the same size by default
  return 60000;
}

std::vector<NodeData> split_data(const Scenario& s, const std::vector<std::string>& hosts,
                                 const std::vector<bool>& trainer, int classes) {
  const std::size_t n = hosts.size();
  std::vector<NodeData> data(n);
  std::vector<std::size_t> open; // trainers whose count is not given
  std::int64_t fixed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!trainer[i]) continue;
    auto it = s.data.by_host.find(hosts[i]);
    if (it != s.data.by_host.end())
      data[i].samples = it->second, fixed += it->second;
    else if (s.data.samples_per_node > 0)
      data[i].samples = s.data.samples_per_node;
    else
      open.push_back(i);
  }
  if (!open.empty()) {
    const std::int64_t total =
        (s.data.total_samples > 0 ? s.data.total_samples : dataset_train_size(s.data.dataset)) - fixed;
    if (total < static_cast<std::int64_t>(open.size()))
      throw InputError(
          s.where("data.total_samples"),
          fmt::format("data.total_samples: {} samples left after [data.samples] cannot give each of "
                      "the {} other trainers one",
                      total, open.size()));
    std::vector<double> w(open.size(), 1.0);
    if (s.data.quantity_skew == "lognormal") {
      Rng rng(s.seed, "data.quantity");
      for (double& x : w)
        x = std::exp(s.data.quantity_sigma * rng.normal());
    }
    const std::vector<std::int64_t> counts = apportion(w, total, 1);
    for (std::size_t k = 0; k < open.size(); ++k)
      data[open[k]].samples = counts[k];
  }
  if (s.data.label_shards > classes)
    throw InputError(s.where("data.label_shards"),
                     fmt::format("data.label_shards: {} classes a trainer, and {} has {}: at most {} (or 0: IID)",
                                 s.data.label_shards, s.data.dataset, classes, classes));
  Rng labels(s.seed, "data.labels");
  std::vector<int> deck; // shards: classes dealt in turn from shuffled decks
  for (std::size_t i = 0; i < n; ++i) {
    auto& mix = data[i].label_mix;
    mix.assign(static_cast<std::size_t>(classes), 1.0 / classes);
    if (trainer[i] && s.data.label_shards > 0) {
      const std::int64_t k = s.data.label_shards;
      std::fill(mix.begin(), mix.end(), 0.0);
      for (std::int64_t dealt = 0; dealt < k;) {
        if (deck.empty()) {
          deck.resize(static_cast<std::size_t>(classes));
          std::iota(deck.begin(), deck.end(), 0);
          for (std::size_t j = deck.size(); j > 1; --j)
            std::swap(deck[j - 1], deck[labels.below(j)]);
        }
        const int c = deck.back();
        deck.pop_back();
        if (mix[static_cast<std::size_t>(c)] > 0) continue; // already held: deal another
        mix[static_cast<std::size_t>(c)] = 1.0 / static_cast<double>(k);
        ++dealt;
      }
      continue;
    }
    if (!trainer[i] || s.data.label_alpha <= 0) continue;
    double sum = 0;
    for (double& p : mix)
      sum += (p = labels.gamma(s.data.label_alpha));
    if (sum <= 0) { // every draw underflowed (tiny alpha): all mass on one class
      std::fill(mix.begin(), mix.end(), 0.0);
      mix[labels.below(mix.size())] = 1.0;
    } else {
      for (double& p : mix)
        p /= sum;
    }
  }
  return data;
}

std::vector<std::vector<int>> assign_samples(const std::vector<NodeData>& data,
                                             const std::vector<int>& labels, const std::vector<int>& owner,
                                             int classes, Rng& rng) {
  std::vector<std::vector<int>> out(data.size());
  if (!owner.empty() && owner.front() >= 0) { // per-device data: each node gets what it drew
    for (std::size_t i = 0; i < owner.size(); ++i)
      out[static_cast<std::size_t>(owner[i])].push_back(static_cast<int>(i));
    return out;
  }
  std::vector<std::vector<int>> pool(static_cast<std::size_t>(classes));
  for (std::size_t i = 0; i < labels.size(); ++i)
    pool[static_cast<std::size_t>(labels[i])].push_back(static_cast<int>(i));
  for (auto& p : pool)
    for (std::size_t j = p.size(); j > 1; --j)
      std::swap(p[j - 1], p[rng.below(j)]);
  std::vector<std::size_t> next(pool.size(), 0);
  for (std::size_t node = 0; node < data.size(); ++node) {
    if (data[node].samples == 0) continue;
    const auto counts = apportion(data[node].label_mix, data[node].samples, 0);
    for (std::size_t c = 0; c < counts.size(); ++c) {
      if (counts[c] > 0 && pool[c].empty())
        throw std::invalid_argument(fmt::format("the data set has no sample of class {}", c));
      for (std::int64_t k = 0; k < counts[c]; ++k) {
        out[node].push_back(pool[c][next[c]]);
        next[c] = (next[c] + 1) % pool[c].size(); // reuse only once the class is exhausted
      }
    }
  }
  return out;
}

double label_skew(const std::vector<double>& mix) {
  double tv = 0;
  for (double p : mix)
    tv += std::abs(p - 1.0 / static_cast<double>(mix.size()));
  return 0.5 * tv;
}

} // namespace edgetrain
