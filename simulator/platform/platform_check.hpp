#pragma once
// Checks a SimGrid platform file BEFORE SimGrid loads it. SimGrid 3.32 aborts the whole process on
// some mistakes (a wattage list that does not match the pstates, core="0", an out-of-range pstate
// or wifi_rate, "inf" speeds, latency on a WiFi link, a Vivaldi host without coordinates) and
// silently accepts others (negative or zero speeds and bandwidths, idle power above busy power).
// Reading the XML ourselves finds both kinds, with the line they are on.
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace edgetrain {

struct PlatformProblem {
  std::string where; // "file:line"
  std::string what;  // "host 'x': ..."
};

// The routes a Full zone declares, by (src, dst) netpoint names (hosts, routers, zones), each
// with its gateways (empty for a <route>); symmetrical ones both ways.
struct FullZoneRoutes {
  std::string where; // "file:line" of the zone
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> routes;
};

struct PlatformScan {
  std::vector<PlatformProblem> problems; // in file order; empty when sound as far as this check goes
  // Rates of each WIFI link, bytes/s, by link id (SimGrid reports a WIFI link's bandwidth as 1).
  std::map<std::string, std::vector<double>> wifi_rates;
  // Trace files named by zone properties edgetrain_traces (comma-separated, relative to the file).
  std::vector<std::filesystem::path> trace_files;
  std::set<std::string> clusters; // ids of <cluster> zones: their hosts all route alike
  // Full zones by id: SimGrid 3.32 gives a missing route in one as no link at all, silently.
  std::map<std::string, FullZoneRoutes> full_zones;
  bool has_bypass = false; // bypass routes override the zones' own: the Full check is skipped
  std::string tracing_file; // tracing/filename set by the file's <config> section, if it is
  // Some wired link has power figures (wattage_range, or the host and cluster conventions that
  // become one): without any, SimGrid's link energy plugin is not started (it walks every flow of
  // a link at each transfer's start and end, quadratic in the trainers on a shared link).
  bool link_watts = false;
};

// `shown` is the file's name as messages give it.
PlatformScan check_platform_file(const std::filesystem::path& file, const std::string& shown);

// A SimGrid bandwidth ("54Mbps", "10MBps", "1.5GiBps", a bare number of bytes/s) in bytes/s;
// NaN when it is not one.
double parse_bandwidth(const std::string& text);
// A SimGrid speed ("3Gf", "100Mf", a bare number of FLOP/s) in FLOP/s; NaN when it is not one.
double parse_speed(const std::string& text);

} // namespace edgetrain
