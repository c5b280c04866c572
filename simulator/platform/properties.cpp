// Parsing of the host properties edgetrain reads (power, battery), shared by the platform check
// (on the XML, with line numbers) and the loader (on what SimGrid loaded), and the cluster
// link-power convention.
#include "simulator/platform/platform.hpp"

#include "simulator/common/error.hpp"

#include <simgrid/s4u/NetZone.hpp>

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace edgetrain {

bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2])))
        ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2])))
        ++j2;
      const std::string na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      const std::string ta = na.substr(std::min(na.find_first_not_of('0'), na.size()));
      const std::string tb = nb.substr(std::min(nb.find_first_not_of('0'), nb.size()));
      if (ta.size() != tb.size()) return ta.size() < tb.size();
      if (ta != tb) return ta < tb;
      i = i2, j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
  return a < b;
}

void parse_wattage(const std::string& text, std::size_t pstates, std::vector<double>& idle,
                   std::vector<double>& busy) {
  idle.clear(), busy.clear();
  std::stringstream entries(text);
  std::string entry;
  // getline drops a last empty field, SimGrid's split does not (and aborts on it): catch those.
  if (!text.empty() && text.back() == ',') throw std::invalid_argument("an empty entry after the last ','");
  while (std::getline(entries, entry, ',')) {
    if (!entry.empty() && entry.back() == ':')
      throw std::invalid_argument(fmt::format("entry '{}' ends with an empty figure", entry));
    std::vector<double> w;
    std::stringstream parts(entry);
    std::string part;
    while (std::getline(parts, part, ':')) {
      std::size_t used = 0;
      double v = 0;
      try {
        v = std::stod(part, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      // SimGrid parses each figure with strtod and rejects anything after it, a space included.
      if (used == 0 || used != part.size() || !std::isfinite(v))
        throw std::invalid_argument(fmt::format("'{}' is not a number", part));
      if (v < 0) throw std::invalid_argument(fmt::format("negative power {} W", v));
      w.push_back(v);
    }
    if (w.size() != 2 && w.size() != 3)
      throw std::invalid_argument(fmt::format("entry '{}' needs Idle:AllCores or Idle:Epsilon:AllCores", entry));
    // SimGrid itself checks no order. Idle above AllCores, or Epsilon above it (power falling as
    // cores get busy), is nonsense; Epsilon below Idle is not: it is the intercept of power
    // against busy cores, and a deep idle state may draw more than that line's start.
    if (w.front() > w.back())
      throw std::invalid_argument(fmt::format("entry '{}': idle power above busy power", entry));
    if (w.size() == 3 && w[1] > w[2])
      throw std::invalid_argument(fmt::format("entry '{}': Epsilon above AllCores (power would fall with load)", entry));
    idle.push_back(w.front());
    busy.push_back(w.back());
  }
  if (idle.size() != pstates)
    throw std::invalid_argument(fmt::format("{} entries for {} pstates", idle.size(), pstates));
}

void apply_cluster_power(const simgrid::s4u::Engine& engine, const std::set<std::string>& clusters,
                         const std::string& shown) {
  for (const std::string& id : clusters) {
    const simgrid::s4u::NetZone* zone = engine.netzone_by_name_or_null(id);
    const char* watts = zone ? zone->get_property("bb_wattage_range") : nullptr;
    if (!watts) continue;
    // SimGrid 3.32 (sg_platf_new_cluster_flat) names a cluster's backbone "<id>_backbone".
    simgrid::s4u::Link* backbone = engine.link_by_name_or_null(id + "_backbone");
    if (!backbone) // the platform check refuses this first; kept for platforms built otherwise
      throw InputError(shown, fmt::format("link '{}_backbone': cluster '{}' has property bb_wattage_range "
                                          "but no backbone",
                                          id, id));
    backbone->set_property("wattage_range", watts);
  }
}

BatterySpec parse_battery(const std::function<const char*(const char*)>& property) {
  BatterySpec b;
  const auto number = [&](const char* key, double& out, double min, bool exclusive) {
    const char* v = property(key);
    if (!v) return false;
    std::size_t used = 0;
    try {
      out = std::stod(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || v[used] != '\0' || !std::isfinite(out) || (exclusive ? out <= min : out < min))
      throw std::invalid_argument(
          fmt::format("property {} '{}' must be a number {} {}", key, v, exclusive ? ">" : ">=", min));
    return true;
  };
  double wh = 0;
  if (!number("battery_wh", wh, 0, true)) {
    for (const char* k :
         {"battery_level", "battery_charge_w", "battery_charge_windows", "battery_charge_period"})
      if (property(k)) throw std::invalid_argument(fmt::format("property {} without battery_wh", k));
    return b;
  }
  if (wh > 1e6) throw std::invalid_argument("property battery_wh above 1e6 Wh");
  b.capacity_j = wh * 3600.0;
  if (number("battery_level", b.initial_fraction, 0, true) && b.initial_fraction > 1)
    throw std::invalid_argument("property battery_level must be a fraction in (0, 1]");
  number("battery_charge_w", b.charge_w, 0, false);
  if (number("battery_charge_period", b.charge_period, 1, false) && b.charge_period > 3.2e7)
    throw std::invalid_argument("property battery_charge_period above a year (3.2e7 s)");
  if (const char* w = property("battery_charge_windows")) {
    std::stringstream list(w);
    for (std::string item; std::getline(list, item, ',');) {
      const std::size_t dash = item.find('-', 1);
      double from = 0, to = 0;
      std::size_t u1 = 0, u2 = 0;
      try {
        from = std::stod(item.substr(0, dash), &u1);
        to = std::stod(item.substr(dash + 1), &u2);
      } catch (const std::exception&) {
        u1 = 0;
      }
      if (dash == std::string::npos || u1 == 0 || u2 == 0 ||
          !(from >= 0 && from < to && to <= b.charge_period))
        throw std::invalid_argument(fmt::format("property battery_charge_windows: '{}' is not START-END with "
                                                "0 <= START < END <= the period ({} s)",
                                                item, b.charge_period));
      for (const auto& [f, t] : b.windows)
        if (from < t && f < to)
          throw std::invalid_argument(
              fmt::format("property battery_charge_windows: '{}' overlaps another window", item));
      b.windows.emplace_back(from, to);
    }
  }
  return b;
}

} // namespace edgetrain
