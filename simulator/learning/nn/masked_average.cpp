#include "simulator/learning/nn/masked_average.hpp"

namespace edgetrain::nn {

MaskedAverage::MaskedAverage(const NetShape& shape)
    : num_(Params::zeros(shape)), den_(Params::zeros(shape)) {}

void MaskedAverage::add(const Params& local, const Touched& touched, double weight) {
  const auto wt = static_cast<float>(weight);
  for (std::size_t i = 0; i < num_.w.size(); ++i) {
    num_.w[i] += wt * touched.w[i].cwiseProduct(local.w[i]);
    den_.w[i] += wt * touched.w[i];
    num_.b[i] += wt * touched.b[i].cwiseProduct(local.b[i]);
    den_.b[i] += wt * touched.b[i];
  }
}

Params MaskedAverage::result(const Params& global) const {
  Params out = global;
  for (std::size_t i = 0; i < out.w.size(); ++i) {
    out.w[i] = (den_.w[i].array() > 0.0f).select(num_.w[i].array() / den_.w[i].array(), global.w[i].array());
    out.b[i] = (den_.b[i].array() > 0.0f).select(num_.b[i].array() / den_.b[i].array(), global.b[i].array());
  }
  return out;
}

} // namespace edgetrain::nn
