#pragma once
// Checks a SimGrid platform file BEFORE SimGrid loads it. SimGrid 3.32 aborts the whole process on
// some mistakes (a wattage list that does not match the pstates, core="0", an out-of-range pstate
// or wifi_rate, "inf" speeds, latency on a WiFi link, a Vivaldi host without coordinates) and
// silently accepts others (negative or zero speeds and bandwidths, idle power above busy power).
// Reading the XML ourselves finds both kinds, with the line they are on.
#include <filesystem>
#include <string>
#include <vector>

namespace edgetrain {

struct PlatformProblem {
  std::string where;  // "file:line"
  std::string what;   // "host 'x': ..."
};

// Every problem found, in file order; empty when the file is sound as far as this check goes.
// `shown` is the file's name as messages give it.
std::vector<PlatformProblem> check_platform_file(const std::filesystem::path& file, const std::string& shown);

}  // namespace edgetrain
