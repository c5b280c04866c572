#include "simulator/common/error.hpp"
#include "simulator/learning/data/dataset.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

namespace edgetrain {

namespace {
struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

std::uint32_t big_endian(const unsigned char* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}
} // namespace

IdxArray read_idx_gz(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw InputError(path, "no such file");
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) throw InputError(path, "cannot be opened");
  const auto read = [&](void* buf, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      const int r = gzread(f.get(), static_cast<char*>(buf) + got,
                           static_cast<unsigned>(std::min<std::size_t>(n - got, 1u << 30)));
      if (r <= 0) return false;
      got += static_cast<std::size_t>(r);
    }
    return true;
  };
  unsigned char head[4];
  if (!read(head, 4)) throw InputError(path, "not a gzipped IDX file (too short or not gzip)");
  if (head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] < 1 || head[3] > 3)
    throw InputError(path, "not an IDX file of unsigned bytes (bad magic number)");
  IdxArray a;
  std::size_t total = 1;
  for (int d = 0; d < head[3]; ++d) {
    unsigned char b[4];
    if (!read(b, 4)) throw InputError(path, "truncated IDX header");
    const std::uint32_t n = big_endian(b);
    if (n == 0 || n > 100'000'000) throw InputError(path, fmt::format("implausible IDX dimension {}", n));
    a.dims.push_back(static_cast<int>(n));
    total *= n;
  }
  if (total > 1'000'000'000) throw InputError(path, "IDX array too large");
  a.data.resize(total);
  if (!read(a.data.data(), total))
    throw InputError(path, fmt::format("truncated: the header announces {} bytes of data", total));
  unsigned char extra;
  if (read(&extra, 1)) throw InputError(path, "trailing bytes after the IDX data");
  return a;
}

DataSource load_fashion_mnist(const std::string& dir) {
  if (!std::filesystem::is_directory(dir))
    throw InputError(dir,
                     "the Fashion-MNIST data set is not installed: apt-get install dataset-fashion-mnist");
  const auto load = [&](const char* images, const char* labels) {
    const std::string ip = dir + "/" + images, lp = dir + "/" + labels;
    const IdxArray im = read_idx_gz(ip), lb = read_idx_gz(lp);
    if (im.dims.size() != 3 || im.dims[1] != 28 || im.dims[2] != 28)
      throw InputError(ip, "expected N x 28 x 28 images");
    if (lb.dims.size() != 1 || lb.dims[0] != im.dims[0])
      throw InputError(lp, fmt::format("expected {} labels, as many as images", im.dims[0]));
    Dataset d;
    d.name = "fashion-mnist", d.channels = 1, d.height = 28, d.width = 28, d.classes = 10;
    const Eigen::Index n = im.dims[0];
    d.x.resize(n, 784);
    for (Eigen::Index j = 0; j < 784; ++j)
      for (Eigen::Index i = 0; i < n; ++i)
        d.x(i, j) = static_cast<float>(im.data[static_cast<std::size_t>(i * 784 + j)]) / 255.0f;
    for (std::uint8_t l : lb.data) {
      if (l > 9) throw InputError(lp, fmt::format("label {} outside 0..9", l));
      d.y.push_back(l);
    }
    return d;
  };
  DataSource s;
  s.train = load("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
  s.test = load("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
  s.owner.assign(static_cast<std::size_t>(s.train.size()), -1);
  // Standardise with the training set's statistics (in double: 47 million pixels).
  double sum = 0, sq = 0;
  for (Eigen::Index j = 0; j < s.train.x.cols(); ++j)
    for (Eigen::Index i = 0; i < s.train.x.rows(); ++i) {
      const auto v = static_cast<double>(s.train.x(i, j));
      sum += v, sq += v * v;
    }
  const double count = static_cast<double>(s.train.x.size());
  const double mean = sum / count, sd = std::sqrt(sq / count - mean * mean);
  for (Dataset* d : {&s.train, &s.test})
    d->x = (d->x.array() - static_cast<float>(mean)) / static_cast<float>(sd);
  return s;
}

std::shared_ptr<const DataSource> shared_fashion_mnist(const std::string& dir) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const DataSource>> cache;
  const std::lock_guard<std::mutex> lock(mutex);
  if (auto held = cache[dir].lock()) return held;
  auto loaded = std::make_shared<const DataSource>(load_fashion_mnist(dir));
  cache[dir] = loaded;
  return loaded;
}

} // namespace edgetrain
