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
  std::vector<double> watts_idle, watts_one_core, watts_all_cores;
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
  std::string backhaul_watts, up_watts, down_watts, watts; // "idle:busy" or ""
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
