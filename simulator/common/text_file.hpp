#pragma once
// Small text helpers shared by the readers of our own files (CSV tables, platforms, summaries).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace edgetrain {

// The whole file ("" when it cannot be read: callers check existence where it matters).
inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The fields of one line of an unquoted CSV (our tables quote nothing they read back this way).
inline std::vector<std::string> split(const std::string& line, char sep = ',') {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string f; std::getline(ss, f, sep);)
    out.push_back(f);
  return out;
}

} // namespace edgetrain
