#include "simulator/learning/data_split.hpp"

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

namespace {
// Largest-remainder rounding of weights to integers summing to total, each at least 1.
std::vector<std::int64_t> apportion(const std::vector<double>& weights, std::int64_t total) {
  const std::size_t n = weights.size();
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  const std::int64_t spare = total - static_cast<std::int64_t>(n); // one sample each first
  std::vector<std::int64_t> out(n, 1);
  std::vector<std::pair<double, std::size_t>> rest;
  std::int64_t given = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double share = static_cast<double>(spare) * weights[i] / sum;
    const auto whole = static_cast<std::int64_t>(std::floor(share));
    out[i] += whole;
    given += whole;
    rest.emplace_back(share - static_cast<double>(whole), i);
  }
  std::stable_sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < spare; ++k, ++given)
    ++out[rest[k % n].second];
  return out;
}
} // namespace

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
    const std::vector<std::int64_t> counts = apportion(w, total);
    for (std::size_t k = 0; k < open.size(); ++k)
      data[open[k]].samples = counts[k];
  }
  Rng labels(s.seed, "data.labels");
  for (std::size_t i = 0; i < n; ++i) {
    auto& mix = data[i].label_mix;
    mix.assign(static_cast<std::size_t>(classes), 1.0 / classes);
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

double label_skew(const std::vector<double>& mix) {
  double tv = 0;
  for (double p : mix)
    tv += std::abs(p - 1.0 / static_cast<double>(mix.size()));
  return 0.5 * tv;
}

} // namespace edgetrain
