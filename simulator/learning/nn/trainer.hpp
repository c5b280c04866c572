#pragma once
// Forward and backward passes of the selected sub-network, on the CPU with Eigen (float, GEMM
// multithreaded through OpenMP when Eigen is built with it). Convolutions are im2col + GEMM.
//
// Only the kept units are computed: a layer's weights are gathered into a dense sub-matrix of its
// kept rows and kept input units, so the FLOPs performed are the cost model's (cost_model.hpp):
// 2 per multiply-accumulate of each GEMM, forward, weight gradient, and input gradient for every
// weighted layer but the first. flops() counts exactly those.
//
// Activations of convolutional parts are (batch x positions) x channels matrices, row
// b * positions + p; a sample enters as a row of channel-major features (c, h, w).
#include "simulator/learning/nn/params.hpp"

#include <Eigen/Core>

#include <vector>

namespace edgetrain::nn {

struct SgdConfig {
  double lr = 0.05;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  // Gradient-norm clipping: the mini-batch gradient (before weight decay) is scaled down to this
  // Euclidean norm when larger; 0 turns it off.
  double clip_norm = 0;
  // FedProx's proximal term: prox_mu x (w - anchor) added to every selected parameter's gradient
  // (after clipping, as weight decay), biases included, as FedProx's own optimiser does; needs
  // step()'s anchor.
  double prox_mu = 0;
};

struct Evaluation {
  double loss = 0;     // mean cross-entropy
  double accuracy = 0; // fraction correct
};

// What a local training changed: 1 where a parameter took part in at least one step.
struct Touched {
  std::vector<Eigen::MatrixXf> w;
  std::vector<Eigen::VectorXf> b;
  static Touched zeros(const NetShape& shape);
  void mark(const NetShape& shape, const Selection& s);
};

class Trainer {
public:
  explicit Trainer(NetShape shape);

  // Mean cross-entropy of the batch; `grad` (full size) receives the gradient of the selected
  // sub-network and zeros elsewhere. x: batch x input_size, labels: batch entries.
  double gradient(const Params& p, const Eigen::MatrixXf& x, const std::vector<int>& labels,
                  const Selection& s, Params& grad);
  // One SGD step with momentum and weight decay on the selected sub-network: unselected
  // parameters and their velocities stay as they are. Returns the batch's loss before the step.
  // `anchor`: the parameters the proximal term pulls towards (required when cfg.prox_mu > 0).
  double step(Params& p, Params& velocity, const Eigen::MatrixXf& x, const std::vector<int>& labels,
              const Selection& s, const SgdConfig& cfg, const Params* anchor = nullptr);
  // Loss and accuracy of the sub-network `s` on a data set, in batches.
  Evaluation evaluate(const Params& p, const Eigen::MatrixXf& x, const std::vector<int>& labels,
                      const Selection& s, int batch = 500);

  [[nodiscard]] const NetShape& shape() const { return shape_; }
  [[nodiscard]] double flops() const { return flops_; }
  void reset_flops() { flops_ = 0; }

private:
  struct OpCache {
    std::vector<int> rows, in_units;      // weighted layers: kept outputs and kept input units
    float scale = 1;                      // its outputs' dropout scale (Selection::scale)
    Eigen::MatrixXf w_sub;                // gathered weights
    const Eigen::MatrixXf* src = nullptr; // the op's input (the previous op's output)
    Eigen::MatrixXf col;                  // convolutions: im2col of the input
    Eigen::MatrixXf out;                  // after ReLU
    std::vector<Eigen::Index> argmax;
    Eigen::MatrixXf d_w; // gradient of w_sub
    Eigen::VectorXf d_b;
  };
  const Eigen::MatrixXf& forward(const Params& p, const Eigen::MatrixXf& x, const Selection& s, bool train);
  void backward(const Eigen::MatrixXf& d_logits);
  double loss_and_grad(const std::vector<int>& labels, Eigen::MatrixXf* d_logits) const;

  NetShape shape_;
  std::vector<OpCache> cache_;
  Eigen::MatrixXf input_;
  int batch_ = 0;
  double flops_ = 0;
};

} // namespace edgetrain::nn
