#pragma once
// An output folder that appears whole or not at all: files are written into a hidden sibling
// folder, which is renamed into place by commit(). Dropped without commit() (an error, an
// exception), the hidden folder is removed, so no half-written results are ever left behind.
// Until then SIGINT, SIGTERM and SIGHUP (those not ignored) remove it too, and the process dies by
// the signal; only SIGKILL leaves it, for the next run into the same parent folder (or campaign
// resume) to remove. One at a time.
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace edgetrain {

class OutputDir {
public:
  // Throws InputError when `final_dir` exists and is not an empty folder, or cannot be created.
  explicit OutputDir(std::filesystem::path final_dir);
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  [[nodiscard]] std::filesystem::path file(const std::string& name) const { return tmp_ / name; }
  [[nodiscard]] const std::filesystem::path& final_path() const { return final_; }
  void commit();

private:
  std::filesystem::path final_, tmp_;
  bool committed_ = false;
};

// The hidden sibling a file or folder is written as before it is renamed into place:
// .<name>.partial-<host>-<pid>.
std::filesystem::path partial_path(const std::filesystem::path& path);

// Removes the hidden partial files and folders in `folder` that this machine's processes left
// and that are gone (killed by SIGKILL, a power cut); those of live processes, and of other hosts
// sharing the folder, stay.
void remove_stale_partials(const std::filesystem::path& folder);

// Throws InputError when `dir` exists and is not an empty folder.
void check_output_dir(const std::filesystem::path& dir);

// A fresh folder name under results/: results/<name>-<policy>-s<seed>, then -2, -3, ... when taken.
std::filesystem::path default_output_dir(const std::string& name, const std::string& policy,
                                         std::uint64_t seed);

// Writes a whole file (used for small files: summary.json, resolved.toml).
void write_file(const std::filesystem::path& path, const std::string& content);

// The same, through a hidden sibling renamed into place: readers see the old file or the new one,
// never a part (a campaign's merged tables, plan and failure records).
void write_file_atomic(const std::filesystem::path& path, const std::string& content);

// The same, written piece by piece, for a table too large to build in memory first (a
// million-run campaign's plan, its merged rounds): commit() renames it into place; destroyed
// without that (an exception), it removes its hidden sibling.
class AtomicFile {
public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  AtomicFile& operator<<(std::string_view text) {
    out_.write(text.data(), static_cast<std::streamsize>(text.size()));
    return *this;
  }
  void commit();

private:
  std::filesystem::path path_, tmp_;
  std::ofstream out_;
  bool done_ = false;
};

} // namespace edgetrain
