#pragma once
// A network's parameters at full size (one weight matrix and bias vector per weighted layer), and
// a Selection: which units (filters or neurons) of each prunable layer take part. A trainer
// computes only the selected sub-network (net_shape.hpp explains the weight layout).
#include "simulator/learning/nn/net_shape.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace edgetrain {
class Rng;
}

namespace edgetrain::nn {

struct Params {
  std::vector<Eigen::MatrixXf> w; // out_units x (in_units * in_group)
  std::vector<Eigen::VectorXf> b; // out_units

  // Zero-valued parameters shaped for `shape`.
  static Params zeros(const NetShape& shape);
  // Weights and biases U(-1/sqrt(fan_in), +1/sqrt(fan_in)) from `rng`: PyTorch's default for
  // Linear and Conv2d layers, which most federated-learning results were obtained with (and
  // which starts near the chance loss ln(classes)).
  static Params init(const NetShape& shape, Rng& rng);
  [[nodiscard]] std::int64_t count() const;
};

struct Selection {
  std::vector<std::vector<int>> kept; // per prunable slot: kept unit indices, ascending
  // Per slot, a factor on the layer's outputs while training (empty: all 1). Random dropout sets
  // it to available / kept units ("inverted dropout"), so that the full model, which sums all
  // units at evaluation, sees activations of the size it was trained with.
  std::vector<float> scale;

  static Selection all(const NetShape& shape);
  // Units kept by a layer with `n` of them at fraction `keep`: max(1, round(n x keep)), as the
  // cost model counts them.
  static int kept_count(int n, double keep);
  // A fresh random choice per slot (DISTREAL-style dropout): kept_count units uniformly, among the
  // units of `within` when given (those pruning left), at most all of them; scaled as above.
  static Selection random(const NetShape& shape, const std::vector<double>& keep, Rng& rng,
                          const Selection* within = nullptr);
  // HeteroFL-style nested sub-model: per slot, the first kept_count units of `within` (all when
  // null), scaled as random dropout is.
  static Selection first(const NetShape& shape, const std::vector<double>& keep,
                         const Selection* within = nullptr);
  // Structured magnitude pruning (PACT-style): per slot, the kept_count units of largest L1 weight
  // norm among those `previous` still keeps; never revives a unit `previous` pruned.
  static Selection by_magnitude(const NetShape& shape, const Params& params, const std::vector<double>& keep,
                                const Selection& previous);
  [[nodiscard]] std::vector<double> keep_fractions(const NetShape& shape) const;
};

// Throws std::invalid_argument (naming the model) when keep does not have one fraction in (0, 1]
// per prunable layer.
void check_keep(const NetShape& shape, const std::vector<double>& keep);

} // namespace edgetrain::nn
