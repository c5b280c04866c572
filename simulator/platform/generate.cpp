#include "simulator/platform/generate.hpp"

#include "simulator/common/apportion.hpp"
#include "simulator/common/error.hpp"
#include "simulator/common/nearest.hpp"
#include "simulator/common/rng.hpp"
#include "simulator/platform/traces.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace edgetrain {

std::vector<std::pair<std::string, double>> parse_mix(const std::string& text, const std::string& where) {
  std::vector<std::pair<std::string, double>> mix;
  std::stringstream items(text);
  for (std::string item; std::getline(items, item, ',');) {
    const std::size_t colon = item.find(':');
    double f = 0;
    std::size_t used = 0;
    try {
      f = std::stod(item.substr(colon + 1), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (colon == std::string::npos || colon == 0 || used == 0 || colon + 1 + used != item.size())
      throw InputError(where, fmt::format("'{}' is not CLASS:FRACTION", item));
    if (!(f > 0 && f <= 1)) throw InputError(where, fmt::format("'{}': a fraction is in (0, 1]", item));
    mix.emplace_back(item.substr(0, colon), f);
  }
  if (mix.empty()) throw InputError(where, "empty mix");
  return mix;
}

namespace {

std::string flops(const std::vector<double>& speeds) {
  std::string s;
  for (double v : speeds) { // appended piece by piece: GCC 12 -O3 misreads a temporary's concatenation
    if (!s.empty()) s += ',';
    s += fmt::format("{}f", v);
  }
  return s;
}
std::string bps(double bits) {
  return fmt::format("{}Bps", bits / 8);
}
std::string watts(const DeviceClass& d) {
  std::string s;
  for (std::size_t i = 0; i < d.speeds.size(); ++i)
    s +=
        (i ? ", " : "") + fmt::format("{}:{}:{}", d.watts_idle[i], d.watts_epsilon[i], d.watts_all_cores[i]);
  return s;
}
std::string prop(const std::string& id, const std::string& value) {
  return fmt::format("      <prop id=\"{}\" value=\"{}\"/>\n", id, value);
}
std::string link(const std::string& id, double bits, double latency, const std::string& power) {
  if (power.empty())
    return fmt::format("  <link id=\"{}\" bandwidth=\"{}\" latency=\"{}s\"/>\n", id, bps(bits), latency);
  return fmt::format(
      "  <link id=\"{}\" bandwidth=\"{}\" latency=\"{}s\"><prop id=\"wattage_range\" value=\"{}\"/></link>\n",
      id, bps(bits), latency, power);
}

// A group's access link power: the WiFi AP's, the wired switch's, or a base station's load-dependent
// power per bit at this link's rate (the rate is the generator's, so only per bit means anything).
std::string access_watts(const NetworkClass& n, double bits) {
  if (n.kind == "wifi") return n.backhaul_watts;
  if (n.kind == "wired") return n.access_watts;
  return n.access_j_per_bit > 0 ? fmt::format("0:{:.6g}", n.access_j_per_bit * bits) : "";
}

double exponential(Rng& rng, double mean) {
  return -mean * std::log(1.0 - rng.uniform());
}

} // namespace

GeneratedPlatform generate_platform(const GenerateOptions& o, const Catalog& catalog) {
  const std::string where = "platform generate";
  if (o.nodes < 1 || o.nodes > 10'000'000)
    throw InputError("--nodes", fmt::format("{} is not in [1, 10000000]", o.nodes));
  const std::vector<std::string> topologies = {"star", "cells", "edge-cloud"};
  if (std::find(topologies.begin(), topologies.end(), o.topology) == topologies.end())
    throw InputError("--topology", fmt::format("'{}' is not one of: {}", o.topology, join(topologies)));
  const long cells = o.topology == "star" ? 1 : o.cells;
  if (cells < 1 || cells > o.nodes)
    throw InputError("--cells", fmt::format("{} is not in [1, --nodes]", o.cells));
  double total = 0;
  std::vector<std::string> ids;
  for (const auto& [c, f] : o.mix) {
    if (!catalog.devices.count(c)) {
      std::vector<std::string> known;
      for (const auto& [id, d] : catalog.devices)
        known.push_back(id);
      const std::string hint = nearest(c, known);
      throw InputError("--mix", fmt::format("no device class '{}'{} (classes: {})", c,
                                            hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                                            join(known)));
    }
    if (std::find(ids.begin(), ids.end(), c) != ids.end())
      throw InputError("--mix", fmt::format("'{}' given twice", c));
    ids.push_back(c);
    total += f;
  }
  if (std::abs(total - 1.0) > 1e-6)
    throw InputError("--mix", fmt::format("fractions sum to {}, not 1", total));
  for (const std::string& t : o.traces)
    if (t != "speed" && t != "churn" && t != "diurnal")
      throw InputError("--traces", fmt::format("'{}' is not one of: speed, churn, diurnal", t));
  const auto wants = [&](const char* t) {
    return std::find(o.traces.begin(), o.traces.end(), t) != o.traces.end();
  };
  // Bounds keep generated traces finite and small enough to load: a year of horizon, events no
  // closer than a second on average.
  if (!(o.horizon_s >= 1 && o.horizon_s <= 3.2e7))
    throw InputError("--horizon", "must be between 1 s and a year (3.2e7 s)");
  if (!(o.speed_mean >= 0.06 && o.speed_mean <= 1)) throw InputError("--speed-mean", "must be in [0.06, 1]");
  if (!(o.speed_changes_per_h > 0 && o.speed_changes_per_h <= 3600))
    throw InputError("--speed-changes-per-hour", "must be in (0, 3600]");
  if (!(o.mtbf_s >= 1 && o.mtbf_s <= 3.2e7) || !(o.mttr_s >= 1 && o.mttr_s <= 3.2e7))
    throw InputError("--mtbf/--mttr", "must be between 1 s and a year (3.2e7 s)");
  const auto server = catalog.devices.find("edge-server");
  if (server == catalog.devices.end())
    throw InputError(where, "the catalog has no edge-server class for the aggregator");

  std::vector<double> fractions;
  for (const auto& [c, f] : o.mix)
    fractions.push_back(f);
  const std::vector<std::int64_t> per_class = apportion(fractions, o.nodes);

  GeneratedPlatform g;
  std::vector<TraceSection> traces;
  std::string routes; // after every zone and link, as SimGrid's DTD wants
  Rng rates(o.seed, "generate.wifi"), load(o.seed, "generate.speed"), churn(o.seed, "generate.churn"),
      day(o.seed, "generate.diurnal");
  std::string x = "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n";
  x += fmt::format(
      "<!-- Generated by edgetrain platform generate: {} nodes, topology {}, {} cell(s), seed {}. -->\n",
      o.nodes, o.topology, cells, o.seed);
  x += "<!-- Speeds, watts and bandwidths are the device and network catalog's (platforms/catalog.toml "
       "unless --catalog), which names each figure's source. -->\n";
  x += "<platform version=\"4.1\">\n<zone id=\"world\" routing=\"Full\">\n";
  const bool edge_cloud = o.topology == "edge-cloud";
  // The aggregator: an edge server (in the cloud for edge-cloud) behind a 10 Gbit/s NIC.
  const DeviceClass& s = server->second;
  const NetworkClass* nic =
      catalog.networks.count("ethernet-10g") ? &catalog.networks.at("ethernet-10g") : nullptr;
  x += "  <zone id=\"aggregator-site\" routing=\"Full\">\n";
  x += fmt::format("    <host id=\"aggregator\" speed=\"{}\" core=\"{}\">\n", flops(s.speeds), s.cores);
  x += prop("role", "aggregator") + prop("device_class", s.id) + prop("wattage_per_state", watts(s)) +
       prop("wattage_off", fmt::format("{}", s.watts_off));
  x += "    </host>\n    <router id=\"aggregator-router\"/>\n";
  x += "  " +
       link("aggregator-nic", nic ? nic->bps : 10e9, nic ? nic->latency_s : 5e-5, nic ? nic->watts : "");
  x += "    <route src=\"aggregator\" dst=\"aggregator-router\"><link_ctn id=\"aggregator-nic\"/></route>\n  "
       "</zone>\n";
  const NetworkClass* metro = catalog.networks.count("metro") ? &catalog.networks.at("metro") : nullptr;
  const NetworkClass* wan = catalog.networks.count("wan") ? &catalog.networks.at("wan") : nullptr;
  for (long c = 0; c < cells; ++c)
    x += link(fmt::format("cell{}-uplink", c), metro ? metro->bps : 10e9, metro ? metro->latency_s : 0.003,
              metro ? metro->watts : "");
  if (edge_cloud) x += link("wan", wan ? wan->bps : 1e9, wan ? wan->latency_s : 0.025, wan ? wan->watts : "");

  for (std::size_t k = 0; k < ids.size(); ++k) {
    const DeviceClass& d = catalog.devices.at(ids[k]);
    const NetworkClass& n = catalog.networks.at(d.network);
    const std::vector<std::int64_t> per_cell =
        apportion(std::vector<double>(static_cast<std::size_t>(cells), 1.0), per_class[k]);
    for (long c = 0; c < cells; ++c) {
      const long count = per_cell[static_cast<std::size_t>(c)];
      if (count == 0) continue;
      const std::string id = cells == 1 ? d.id : fmt::format("c{}-{}", c, d.id);
      const std::string prefix = id + "-";
      const double down = n.kind == "wifi" ? n.rates_bps.front() : n.kind == "cellular" ? n.down_bps : n.bps;
      const double backbone = n.kind == "wifi" ? n.rates_bps.front() : down * static_cast<double>(count) * 10;
      x += fmt::format(
          "  <cluster id=\"{}\" prefix=\"{}\" suffix=\"\" radical=\"0-{}\" speed=\"{}\" core=\"{}\" "
          "bw=\"{}\" lat=\"{}s\" bb_bw=\"{}\" bb_lat=\"0s\" sharing_policy=\"SPLITDUPLEX\" "
          "bb_sharing_policy=\"{}\">\n",
          id, prefix, count - 1, flops(d.speeds), d.cores, bps(down), n.latency_s, bps(backbone),
          n.kind == "wifi" ? "SHARED" : "FATPIPE");
      x += prop("role", "trainer") + prop("device_class", d.id) + prop("wattage_per_state", watts(d)) +
           prop("wattage_off", fmt::format("{}", d.watts_off));
      if (n.kind == "cellular") x += prop("uplink_bw", bps(n.up_bps));
      // Power of the cluster's links, which no <link> element can carry (apply_cluster_power and
      // apply_link_conventions in platform.cpp): each host's private link halves, the backbone.
      if (!n.up_watts.empty()) x += prop("uplink_watts", n.up_watts);
      if (!n.down_watts.empty()) x += prop("downlink_watts", n.down_watts);
      if (!n.backbone_watts.empty()) x += prop("bb_wattage_range", n.backbone_watts);
      // Diurnal availability: the group is online (and charging, when it has a battery) for a
      // nightly window starting between 22:00 and 01:00, 6 to 9 hours long.
      double night_start = 0, night_len = 0;
      if (wants("diurnal")) {
        night_start = std::fmod(79200 + day.uniform(0, 10800), 86400);
        night_len = day.uniform(21600, 32400);
      }
      if (d.battery_wh > 0) {
        x += prop("battery_wh", fmt::format("{}", d.battery_wh));
        if (wants("diurnal")) {
          x += prop("battery_charge_w", "15"); // a phone charger, EST (USB PD 15 W class)
          const double end = night_start + night_len;
          x += prop("battery_charge_windows", end <= 86400
                                                  ? fmt::format("{}-{}", night_start, end)
                                                  : fmt::format("0-{},{}-86400", end - 86400, night_start));
        }
      }
      x += "  </cluster>\n";
      // The group's access backhaul (a WiFi AP's uplink, a cell site's), then the cell's uplink.
      std::string hops = fmt::format("<link_ctn id=\"{}-access\"/><link_ctn id=\"cell{}-uplink\"/>", id, c);
      if (edge_cloud) hops += "<link_ctn id=\"wan\"/>";
      const double access = n.kind == "wifi" ? n.backhaul_bps : backbone;
      x += link(id + "-access", access, 0, access_watts(n, access));
      routes += fmt::format("  <zoneRoute src=\"{}\" dst=\"aggregator-site\" gw_src=\"{}{}_router\" "
                            "gw_dst=\"aggregator-router\">"
                            "{}<link_ctn id=\"aggregator-nic\"/></zoneRoute>\n",
                            id, prefix, id, hops);
      for (long i = 0; i < count; ++i) {
        const std::string host = fmt::format("{}{}", prefix, i);
        if (n.kind == "wifi") { // this station's rate: a fraction of the top rate on its own link
          const double u = rates.uniform();
          const std::size_t r = std::min(n.rates_bps.size() - 1, static_cast<std::size_t>(u < 0.5   ? 0
                                                                                          : u < 0.8 ? 1
                                                                                                    : 2));
          if (r > 0)
            for (const char* dir : {"UP", "DOWN"})
              traces.push_back({"link",
                                fmt::format("{}_link_{}_{}", id, i, dir),
                                "bandwidth",
                                {{0, n.rates_bps[r] / n.rates_bps.front()}},
                                -1,
                                ""});
        }
        if (wants("speed")) {
          TraceSection t{"host", host, "speed", {}, o.horizon_s, ""};
          const double w = std::min(o.speed_mean - 0.05, 1.0 - o.speed_mean);
          for (double at = 0; at < o.horizon_s; at += exponential(load, 3600 / o.speed_changes_per_h))
            t.points.emplace_back(at, std::clamp(o.speed_mean + w * (2 * load.uniform() - 1), 0.05, 1.0));
          traces.push_back(std::move(t));
        }
        if (wants("diurnal")) {
          const double end = night_start + night_len;
          TraceSection t{"host", host, "state", {}, 86400, ""};
          if (end <= 86400)
            t.points = {{0, 0}, {night_start, 1}, {end, 0}};
          else
            t.points = {{0, 1}, {end - 86400, 0}, {night_start, 1}};
          traces.push_back(std::move(t));
        } else if (wants("churn")) {
          TraceSection t{"host", host, "state", {{0, 1}}, o.horizon_s, ""};
          bool up = true;
          for (double at = exponential(churn, o.mtbf_s); at < o.horizon_s;
               at += exponential(churn, up ? o.mttr_s : o.mtbf_s)) {
            up = !up;
            t.points.emplace_back(at, up ? 1 : 0);
          }
          traces.push_back(std::move(t));
        }
      }
      g.hosts += count;
      ++g.clusters;
    }
  }
  if (!traces.empty()) {
    if (o.trace_file.empty()) throw InputError(where, "traces are needed but no trace file name was given");
    const std::string world = "<zone id=\"world\" routing=\"Full\">\n";
    x.insert(x.find(world) + world.size(),
             fmt::format("  <prop id=\"edgetrain_traces\" value=\"{}\"/>\n", o.trace_file));
    g.traces = "# Generated by edgetrain platform generate (edgetrain trace format, see README).\n" +
               format_traces(traces);
  }
  x += routes + "</zone>\n</platform>\n";
  g.xml = std::move(x);
  g.hosts += 1;
  return g;
}

} // namespace edgetrain
