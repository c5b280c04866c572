#include "simulator/metrics/output_dir.hpp"

#include "simulator/common/error.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>

namespace edgetrain {

namespace fs = std::filesystem;

void check_output_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    throw InputError(dir.string(), "output folder exists and is not empty (choose another --out)");
}

OutputDir::OutputDir(fs::path final_dir) : final_(std::move(final_dir)) {
  check_output_dir(final_);
  std::error_code ec;
  const fs::path parent = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  fs::create_directories(parent, ec);
  if (ec) throw InputError(parent.string(), "cannot create output folder: " + ec.message());
  tmp_ = parent / fmt::format(".{}.partial-{}", final_.filename().string(), ::getpid());
  fs::remove_all(tmp_, ec);
  if (!fs::create_directory(tmp_, ec) || ec)
    throw InputError(tmp_.string(), "cannot create output folder: " + ec.message());
}

OutputDir::~OutputDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(tmp_, ec);
}

void OutputDir::commit() {
  std::error_code ec;
  if (fs::exists(final_, ec)) fs::remove(final_, ec); // checked empty at construction
  fs::rename(tmp_, final_, ec);
  if (ec) throw InputError(final_.string(), "cannot move results into place: " + ec.message());
  committed_ = true;
}

fs::path default_output_dir(const std::string& name, const std::string& policy, std::uint64_t seed) {
  const fs::path base = fs::path("results") / fmt::format("{}-{}-s{}", name, policy, seed);
  fs::path p = base;
  for (int k = 2; fs::exists(p); ++k)
    p = fmt::format("{}-{}", base.string(), k);
  return p;
}

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary);
  f << content;
  f.close();
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

void write_file_atomic(const fs::path& path, const std::string& content) {
  const fs::path tmp =
      path.parent_path() / fmt::format(".{}.partial-{}", path.filename().string(), ::getpid());
  write_file(tmp, content);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error("cannot write " + path.string());
  }
}

} // namespace edgetrain
