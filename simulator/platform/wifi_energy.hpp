#pragma once
// WiFi link energy, booked exactly as SimGrid 3.32's wifi energy plugin books it
// (src/plugins/link_energy_wifi.cpp, class LinkEnergyWifi), but readable at any simulated time.
// 3.32 keeps the plugin's figures private (it only logs them when the link is destroyed) and
// sg_link_get_consumed_energy crashes on WIFI links, so a round could not be charged its WiFi
// energy otherwise.
//
// The model (the plugin's, same properties, same defaults): a WIFI link's medium is shared by its
// H stations and the access point. Properties: wifi_watt_values = "idle:tx:rx:sleep" watts (applied
// to every station and the AP; defaults 0.82:1.14:0.94:0.10, ns-3's WifiRadioEnergyModel),
// control_duration = fraction of time stations spend receiving beacons (default 0.0036). Between
// two transfer events (a start or an end) of duration d, with airtime u (the longest time a flow
// of the link was on air):
//   beacons  E_dyn  += d * control_duration * H * rx
//   busy     E_dyn  += u * (H * rx + tx)          E_stat += (d - u) * idle * (H + 1)
//   or idle  E_stat += (d - d * control_duration) * idle * (H + 1)
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>

#include <string>
#include <vector>

namespace edgetrain::wifi_energy {

struct Power { // a WIFI link's figures; the defaults are the plugin's
  double idle = 0.82, tx = 1.14, rx = 0.94, sleep = 0.10;
  double control_duration = 0.0036;
};

// Reads a WIFI link's properties (nullptr: absent, the plugin's default). Stricter than the plugin,
// which aborts on a wrong count and ignores trailing text: one group of four finite numbers >= 0,
// control_duration in [0, 1]. Throws std::invalid_argument saying what is wrong.
Power read_power(const char* wifi_watt_values, const char* control_duration);

// Link::set_host_wifi_rate, remembering the station: the plugin counts a link's stations (H).
void attach_station(simgrid::s4u::Link* link, const simgrid::s4u::Host* host, int level);

// The WIFI links on the routes edgetrain uses that it can meter: those with wifi_watt_values, when
// there is exactly one WIFI link in use (see wifi_energy.cpp for why). Call once, before the
// simulation runs; it starts their bookkeeping. Throws std::invalid_argument("link 'x': ...").
std::vector<simgrid::s4u::Link*> meter(const std::vector<simgrid::s4u::Link*>& wifi_links_used);

// Whether `link` is metered here.
bool metered(const simgrid::s4u::Link* link);

// Joules a metered link consumed from the start until now: for a WIFI link what the plugin would
// report were the link destroyed now, for another SimGrid's link_energy plugin's figure.
double link_consumed_j(const simgrid::s4u::Link* link);

// A metered WIFI link's power as the formula above draws it, for planners: while idle, and extra
// over idle while a flow is on air.
double idle_w(const simgrid::s4u::Link* link);
double airtime_w(const simgrid::s4u::Link* link);

} // namespace edgetrain::wifi_energy
