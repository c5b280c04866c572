#pragma once
// The platform as edgetrain uses it: a SimGrid platform file loaded into the engine, checked for
// the nonsense SimGrid accepts silently, and turned into nodes with roles, routes and data.
#include "simulator/engine/round.hpp"
#include "simulator/learning/learning_process.hpp"
#include "simulator/platform/platform_check.hpp"
#include "simulator/scenario/scenario.hpp"

#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace edgetrain {

struct BatterySpec {     // see engine/battery.hpp for the host properties it comes from
  double capacity_j = 0; // 0: mains powered
  double initial_fraction = 1;
  double charge_w = 0;
  std::vector<std::pair<double, double>> windows; // [start, end) seconds within each period
  double charge_period = 86400;
};

// Reads the battery properties of a host; throws std::invalid_argument with a readable message.
BatterySpec parse_battery(const std::function<const char*(const char*)>& property);

struct Node {
  NodeId id = 0;
  simgrid::s4u::Host* host = nullptr;
  std::string device_class; // host property device_class, or "" when absent
  Role role = Role::Trainer;
  int cores = 1;
  unsigned long initial_pstate = 0;            // as the platform file sets it
  unsigned long usable_pstates = 1;            // those before any 0 flop/s ones (boot, shutdown)
  bool has_power = false;                      // wattage_per_state present
  std::vector<double> watts_idle, watts_busy;  // per pstate (busy: all cores)
  std::vector<simgrid::s4u::Link*> route_down; // aggregator -> node
  std::vector<simgrid::s4u::Link*> route_up;   // node -> aggregator
  double down_bps = 0, up_bps = 0, latency_s = 0;
  std::vector<std::size_t> metered; // indices into Platform::metered_links of its routes' links
  BatterySpec battery;
};

struct Platform {
  std::vector<Node> nodes; // the aggregator first (id 0), then trainers in natural name order
  NodeId aggregator = 0;
  std::vector<NodeData> data; // indexed by NodeId
  std::vector<std::string> warnings;
  std::vector<simgrid::s4u::Link*> metered_links; // links on used routes whose energy is known, by name
  int links_energy_unknown = 0;                   // links on used routes whose energy is not
  bool has_state_traces = false; // hosts or links switch off and on: an empty round may be followed by others

  [[nodiscard]] std::size_t trainer_count() const { return nodes.size() - 1; }
};

struct LoadedPlatform {
  PlatformScan scan; // what the check read from the file (WiFi rates, trace files)
  bool has_state_traces = false;
};

// The two steps of loading, apart for `edgetrain validate`:
// 1. checks the file, installs the energy plugins, loads it into SimGrid, checks what SimGrid
//    made of it and attaches the traces;
LoadedPlatform load_simgrid_platform(simgrid::s4u::Engine& engine, const Scenario& scenario);
// 2. picks the roles, computes the routes and splits the data.
Platform build_platform(simgrid::s4u::Engine& engine, const Scenario& scenario, const LoadedPlatform& loaded,
                        int classes);
// Both. Each throws InputError naming the platform file, or the scenario key, at fault.
Platform load_platform(simgrid::s4u::Engine& engine, const Scenario& scenario, int classes);

// "wattage_per_state" parsing, shared with validation: one Idle:Epsilon:AllCores (or
// Idle:AllCores, Epsilon = Idle) entry per pstate, as SimGrid 3.32 reads it: with k of n cores
// busy a host draws Epsilon + (AllCores - Epsilon) x k / n, and Idle with none. `busy` gets
// AllCores. Throws std::invalid_argument with a readable message.
void parse_wattage(const std::string& text, std::size_t pstates, std::vector<double>& idle,
                   std::vector<double>& busy);

// edgetrain's cluster link-power convention. A <cluster> makes its links itself, so no XML can
// put a wattage_range on them. Its property bb_wattage_range="idle:busy" becomes its backbone's
// wattage_range; its hosts' own links take the host properties uplink_watts (the up half, first
// hop up) and downlink_watts (the down half, last hop down), applied with the routes. Called once
// the platform is loaded, before anything is simulated (the link_energy plugin reads
// wattage_range at a link's first transfer). Throws InputError naming `shown`.
void apply_cluster_power(const simgrid::s4u::Engine& engine, const std::set<std::string>& clusters,
                         const std::string& shown);

// Whether this link's energy is known: wattage_range set (SimGrid's link_energy plugin), or a WIFI
// link that platform/wifi_energy meters (wifi_watt_values set, the one WIFI link in use).
bool link_energy_known(const simgrid::s4u::Link* link);

// How many of a host's pstates compute: those before its first 0 flop/s one (SimGrid's idiom
// for booting and shutting down states, which training never uses).
unsigned long usable_pstates(const simgrid::s4u::Host* h);

// Natural order: "rpi-2" before "rpi-10".
bool natural_less(const std::string& a, const std::string& b);

} // namespace edgetrain
