#include "simulator/learning/nn/params.hpp"

#include "simulator/common/rng.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace edgetrain::nn {

Params Params::zeros(const NetShape& shape) {
  Params p;
  for (std::size_t i = 0; i < shape.weighted_ops.size(); ++i) {
    const OpShape& op = shape.weighted(static_cast<int>(i));
    p.w.push_back(Eigen::MatrixXf::Zero(op.out_units, op.in_units * op.in_group));
    p.b.push_back(Eigen::VectorXf::Zero(op.out_units));
  }
  return p;
}

Params Params::init(const NetShape& shape, Rng& rng) {
  Params p = zeros(shape);
  for (std::size_t l = 0; l < p.w.size(); ++l) {
    Eigen::MatrixXf& w = p.w[l];
    const double bound = 1.0 / std::sqrt(static_cast<double>(w.cols()));
    // Column-major order: a fixed order keeps the initial weights identical for a seed.
    for (Eigen::Index j = 0; j < w.cols(); ++j)
      for (Eigen::Index i = 0; i < w.rows(); ++i)
        w(i, j) = static_cast<float>(rng.uniform(-bound, bound));
    for (Eigen::Index i = 0; i < p.b[l].size(); ++i)
      p.b[l](i) = static_cast<float>(rng.uniform(-bound, bound));
  }
  return p;
}

std::int64_t Params::count() const {
  std::int64_t n = 0;
  for (std::size_t i = 0; i < w.size(); ++i)
    n += w[i].size() + b[i].size();
  return n;
}

void check_keep(const NetShape& shape, const std::vector<double>& keep) {
  if (keep.size() != shape.slot_units.size())
    throw std::invalid_argument(
        fmt::format("model '{}' has {} prunable layers but the keep vector has {} entries", shape.model,
                    shape.slot_units.size(), keep.size()));
  for (double k : keep)
    if (!(k > 0.0 && k <= 1.0))
      throw std::invalid_argument(fmt::format("keep fraction {} is outside (0, 1]", k));
}

int Selection::kept_count(int n, double keep) {
  return std::max(1, static_cast<int>(std::lround(n * keep)));
}

Selection Selection::all(const NetShape& shape) {
  Selection s;
  for (int n : shape.slot_units) {
    s.kept.emplace_back(static_cast<std::size_t>(n));
    std::iota(s.kept.back().begin(), s.kept.back().end(), 0);
  }
  return s;
}

namespace {
// Per slot, kept_count units of `within` (all when null): `pick` moves the chosen ones to the front
// of the (ascending) list; they are kept, in order, and scaled as inverted dropout.
template <class Pick>
Selection choose(const NetShape& shape, const std::vector<double>& keep, const Selection* within, Pick pick) {
  check_keep(shape, keep);
  Selection s = within ? *within : Selection::all(shape);
  s.scale.clear();
  for (std::size_t i = 0; i < s.kept.size(); ++i) {
    auto& units = s.kept[i];
    const auto k =
        std::min(units.size(), static_cast<std::size_t>(Selection::kept_count(shape.slot_units[i], keep[i])));
    pick(units, k);
    s.scale.push_back(static_cast<float>(units.size()) / static_cast<float>(k));
    units.resize(k);
    std::sort(units.begin(), units.end());
  }
  return s;
}
} // namespace

Selection Selection::random(const NetShape& shape, const std::vector<double>& keep, Rng& rng,
                            const Selection* within) {
  return choose(shape, keep, within, [&](std::vector<int>& units, std::size_t k) {
    for (std::size_t j = 0; j < k; ++j) // partial Fisher-Yates: the first k become a uniform k-subset
      std::swap(units[j], units[j + rng.below(units.size() - j)]);
  });
}

Selection Selection::first(const NetShape& shape, const std::vector<double>& keep, const Selection* within) {
  return choose(shape, keep, within, [](std::vector<int>&, std::size_t) {}); // ascending: already first
}

Selection Selection::by_magnitude(const NetShape& shape, const Params& params,
                                  const std::vector<double>& keep, const Selection& previous) {
  check_keep(shape, keep);
  Selection s;
  for (std::size_t slot = 0; slot < shape.slot_units.size(); ++slot) {
    const auto& alive = previous.kept[slot];
    const auto k =
        std::min(alive.size(), static_cast<std::size_t>(kept_count(shape.slot_units[slot], keep[slot])));
    int wi = -1;
    for (std::size_t o = 0; o < shape.ops.size(); ++o)
      if (shape.ops[o].slot == static_cast<int>(slot)) wi = shape.ops[o].weighted;
    const Eigen::MatrixXf& w = params.w[static_cast<std::size_t>(wi)];
    std::vector<std::pair<double, int>> norms;
    for (int u : alive)
      norms.emplace_back(static_cast<double>(w.row(u).cwiseAbs().sum()), u);
    // Largest norm first; ties by lower index, so the choice is deterministic.
    std::sort(norms.begin(), norms.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::vector<int> units;
    for (std::size_t j = 0; j < k; ++j)
      units.push_back(norms[j].second);
    std::sort(units.begin(), units.end());
    s.kept.push_back(std::move(units));
  }
  return s;
}

std::vector<double> Selection::keep_fractions(const NetShape& shape) const {
  std::vector<double> f;
  for (std::size_t i = 0; i < kept.size(); ++i)
    f.push_back(static_cast<double>(kept[i].size()) / shape.slot_units[i]);
  return f;
}

} // namespace edgetrain::nn
