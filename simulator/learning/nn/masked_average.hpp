#pragma once
// Federated aggregation of sub-model updates by masked averaging (HeteroFL / Federated Dropout
// style): each parameter becomes the sample-weighted mean of the values of the trainers that
// trained it; a parameter no trainer touched keeps the global value. With every parameter
// touched by every trainer it is exactly FedAvg.
#include "simulator/learning/nn/trainer.hpp"

namespace edgetrain::nn {

class MaskedAverage {
public:
  explicit MaskedAverage(const NetShape& shape);
  // One trainer's parameters after local training, what it touched, and its weight (samples).
  void add(const Params& local, const Touched& touched, double weight);
  // The new global parameters.
  [[nodiscard]] Params result(const Params& global) const;

private:
  Params num_, den_; // sums of weight x touched x value, and of weight x touched
};

} // namespace edgetrain::nn
