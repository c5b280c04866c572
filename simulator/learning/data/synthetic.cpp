#include "simulator/common/rng.hpp"
#include "simulator/learning/data/dataset.hpp"

#include <algorithm>
#include <cmath>

namespace edgetrain {

DataSource make_synthetic(const std::vector<std::int64_t>& counts, double alpha, double beta,
                          std::uint64_t seed) {
  constexpr int kDim = 60, kClasses = 10;
  std::int64_t train_n = 0, test_n = 0;
  for (std::int64_t c : counts)
    train_n += c, test_n += c > 0 ? std::max<std::int64_t>(1, c / 4) : 0;
  DataSource s;
  for (Dataset* d : {&s.train, &s.test}) {
    d->name = "synthetic", d->channels = 1, d->height = 1, d->width = kDim, d->classes = kClasses;
    d->x.resize(d == &s.train ? train_n : test_n, kDim);
  }
  Eigen::VectorXd sd(kDim);
  for (int j = 0; j < kDim; ++j)
    sd(j) = std::sqrt(std::pow(j + 1.0, -1.2));
  Eigen::Index tr = 0, te = 0;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    if (counts[k] == 0) continue;
    // Each device its own stream: one device's draws never shift another's.
    Rng rng(seed, "synthetic.device." + std::to_string(k));
    const double u = std::sqrt(alpha) * rng.normal(), bk = std::sqrt(beta) * rng.normal();
    Eigen::MatrixXd w(kClasses, kDim);
    Eigen::VectorXd b(kClasses), v(kDim);
    for (int i = 0; i < kClasses; ++i)
      for (int j = 0; j < kDim; ++j)
        w(i, j) = u + rng.normal();
    for (int i = 0; i < kClasses; ++i)
      b(i) = u + rng.normal();
    for (int j = 0; j < kDim; ++j)
      v(j) = bk + rng.normal();
    const auto draw = [&](Dataset& d, Eigen::Index row) {
      Eigen::VectorXd x(kDim);
      for (int j = 0; j < kDim; ++j)
        x(j) = v(j) + sd(j) * rng.normal();
      Eigen::Index label = 0;
      (w * x + b).maxCoeff(&label);
      d.x.row(row) = x.cast<float>().transpose();
      d.y.push_back(static_cast<int>(label));
    };
    for (std::int64_t i = 0; i < counts[k]; ++i) {
      draw(s.train, tr++);
      s.owner.push_back(static_cast<int>(k));
    }
    for (std::int64_t i = 0; i < std::max<std::int64_t>(1, counts[k] / 4); ++i)
      draw(s.test, te++);
  }
  return s;
}

} // namespace edgetrain
