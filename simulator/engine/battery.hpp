#pragma once
// Batteries. SimGrid 3.32 has no battery plugin, so edgetrain models one on top of SimGrid's host
// energy: a battery-powered host starts with capacity x initial level, is drained by exactly the
// joules SimGrid's host_energy plugin accounts for it, and is switched off (SimGrid kills what
// runs on it: its round fails) the moment the battery is empty. During a charging window the host
// runs from the charger and the battery refills at the charging power, up to its capacity; an
// emptied host switches back on when a window opens.
//
// A "battery manager" actor sleeps until the earliest predicted empty time or window boundary.
// Predictions use the power the host draws in its current state (idle or training on all cores,
// at its pstate, from wattage_per_state), which trainers report at each change of state, so the
// host is switched off at the instant its battery runs out, not at the next poll.
//
// Host properties (validated by the platform check):
//   battery_wh              capacity in Wh (the host has a battery when this is set)
//   battery_level           initial charge as a fraction of capacity, default 1
//   battery_charge_w        charging power in W, default 0 (no charging)
//   battery_charge_windows  "START-END,START-END" in seconds within each period, e.g. "0-25200"
//   battery_charge_period   period of the windows in seconds, default 86400 (daily)
#include "simulator/platform/platform.hpp"

#include <memory>
#include <vector>

namespace edgetrain {

class Batteries {
public:
  explicit Batteries(const Platform& platform);
  ~Batteries();
  Batteries(const Batteries&) = delete;
  Batteries& operator=(const Batteries&) = delete;

  [[nodiscard]] bool any() const;
  // Creates the manager actor on `where` (the aggregator's host: it must stay on), before the run.
  void start(simgrid::s4u::Host* where);

  // From a trainer actor: its host now trains on all cores (true) or idles (false) at `pstate`.
  void set_busy(NodeId node, bool busy, unsigned long pstate);
  // Charge left, J; -1 for a node without a battery. Brings the node's account up to now.
  double level_j(NodeId node);
  double capacity_j(NodeId node) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace edgetrain
