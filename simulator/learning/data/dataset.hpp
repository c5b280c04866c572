#pragma once
// Data sets for the trained learning process: samples as rows of channel-major features, integer
// labels, and (for federated data sets generated per device) the device that owns each sample.
#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace edgetrain {

struct Dataset {
  std::string name;
  int channels = 1, height = 1, width = 1, classes = 10;
  Eigen::MatrixXf x;  // samples x (channels * height * width)
  std::vector<int> y; // labels in [0, classes)

  [[nodiscard]] Eigen::Index size() const { return x.rows(); }
  [[nodiscard]] int features() const { return channels * height * width; }
};

struct DataSource {
  Dataset train, test;
  // Synthetic federated data: owner[i] is the node whose distribution drew train sample i (-1 for
  // pooled data sets such as Fashion-MNIST, which are dealt out by label instead).
  std::vector<int> owner;
};

// Where Debian's dataset-fashion-mnist package puts the IDX files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Reads the four gzipped IDX files of Fashion-MNIST from `dir`, scales pixels to [0, 1] and
// standardises them with the training set's mean and standard deviation. Throws InputError naming
// the file (and the Debian package when the directory is missing) on a missing or corrupt file.
DataSource load_fashion_mnist(const std::string& dir = kFashionMnistDir);
// The same, read once per process and shared while anyone holds it (calibration builds many
// trained processes over the same data).
std::shared_ptr<const DataSource> shared_fashion_mnist(const std::string& dir = kFashionMnistDir);

// Reads one gzipped IDX file (magic 0x0801 labels or 0x0803 images); exposed for tests.
struct IdxArray {
  std::vector<int> dims;
  std::vector<std::uint8_t> data;
};
IdxArray read_idx_gz(const std::string& path);

} // namespace edgetrain

namespace edgetrain {

// Synthetic(alpha, beta) of the FedProx paper (Li et al., MLSys 2020): device k draws
// u_k ~ N(0, alpha) and B_k ~ N(0, beta); its model W_k (10 x 60) and b_k have N(u_k, 1) entries,
// its inputs x ~ N(v_k, Sigma) with v_k entries N(B_k, 1) and Sigma = diag(j^-1.2), its labels
// y = argmax(W_k x + b_k). alpha controls how much local models differ, beta how much local
// inputs do. counts[k] training samples for device k (0 for a node without data), plus a
// quarter as many test samples (at least one) (FedProx's 80/20 split per device), pooled into the test set.
DataSource make_synthetic(const std::vector<std::int64_t>& counts, double alpha, double beta,
                          std::uint64_t seed);

} // namespace edgetrain
