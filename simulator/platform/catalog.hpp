#pragma once
// The device and network catalog (platforms/catalog.toml): what generated platforms are made of.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace edgetrain {

struct DeviceClass {
  std::string id, name;
  int cores = 1;
  std::vector<double> speeds; // FLOP/s per core, per pstate, fastest first
  // SimGrid's Idle:Epsilon:AllCores per pstate: k of `cores` busy draw
  // epsilon + (all_cores - epsilon) x k / cores (Epsilon: power at a vanishing load).
  std::vector<double> watts_idle, watts_epsilon, watts_all_cores;
  double watts_off = 0;
  double battery_wh = 0; // 0: mains
  std::string network;   // default network class
};

struct NetworkClass {
  std::string id, kind;          // wifi | cellular | wired
  std::vector<double> rates_bps; // wifi
  double up_bps = 0, down_bps = 0, bps = 0;
  double latency_s = 0;
  double backhaul_bps = 0;
  // Link power, "idle:busy" or "" (unknown). watts: a standalone wired link. up/down_watts: a
  // device's private link halves; backbone_watts: a group's cluster backbone; backhaul_watts (wifi)
  // and access_watts (wired): the group's access link.
  std::string backhaul_watts, up_watts, down_watts, watts, backbone_watts, access_watts;
  double access_j_per_bit = 0; // cellular: the base station's load-dependent J/bit; 0 = unknown
};

struct Catalog {
  std::map<std::string, DeviceClass> devices;
  std::map<std::string, NetworkClass> networks;
};

// Where the catalog shipped with edgetrain lives.
std::filesystem::path default_catalog_path();

// Reads and checks a catalog; throws InputError naming "file:line:col: key" on any problem.
Catalog load_catalog(const std::filesystem::path& file);

} // namespace edgetrain
