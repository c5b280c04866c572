#pragma once
// `edgetrain platform generate`: SimGrid platforms of N edge devices drawn from the catalog.
//
// Devices of one class in one cell form a SimGrid <cluster> (one private link each, split up and
// down, and a backbone), which keeps 100,000 nodes to a few thousand XML lines and loads in
// seconds. What a cluster cannot say per host, the generator writes as edgetrain conventions:
// host properties uplink_bw / uplink_watts / downlink_watts (cellular asymmetry and radio power,
// applied by edgetrain to each host's first and last hop), and a trace file (per-station WiFi
// rates as bandwidth fractions, background load, churn, diurnal availability) that the platform
// names in its edgetrain_traces zone property.
//
// Topologies:
//   star        every group reaches the aggregator (an edge server) through one shared metro link;
//   cells       K cells; a cell's groups share the cell's metro uplink to the aggregator;
//   edge-cloud  K edge sites with their metro uplinks, then one shared WAN link to an aggregator in
//               the cloud.
// A WiFi group's backbone is its access point's medium (shared at the top rate); a cellular or
// wired group's backbone is not a bottleneck.
#include "simulator/platform/catalog.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace edgetrain {

struct GenerateOptions {
  long nodes = 0;
  std::vector<std::pair<std::string, double>> mix; // class, fraction; fractions sum to 1
  std::string topology = "star";
  long cells = 1;
  std::vector<std::string> traces; // any of: speed, churn, diurnal
  std::uint64_t seed = 1;
  std::string trace_file;              // file name the platform refers to (beside the XML)
  double horizon_s = 86400;            // traces cover this, then loop
  double speed_mean = 0.7;             // mean fraction of speed left by background load
  double speed_changes_per_h = 2;      // how often the background load changes
  double mtbf_s = 7200, mttr_s = 1800; // churn: mean time up, mean time down
};

struct GeneratedPlatform {
  std::string xml;
  std::string traces; // empty when no trace is needed
  long hosts = 0, clusters = 0;
};

// "rpi4:0.5,phone-mid:0.5" -> pairs; throws InputError naming `where`.
std::vector<std::pair<std::string, double>> parse_mix(const std::string& text, const std::string& where);

// Throws InputError for options out of range, unknown classes, a mix not summing to 1.
GeneratedPlatform generate_platform(const GenerateOptions& options, const Catalog& catalog);

} // namespace edgetrain
