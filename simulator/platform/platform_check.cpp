#include "simulator/platform/platform_check.hpp"

#include "simulator/common/simgrid_options.hpp"
#include "simulator/common/text_file.hpp"
#include "simulator/platform/wifi_energy.hpp"

#include "simulator/platform/platform.hpp"

#include <fmt/format.h>
#include <pugixml.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <strings.h>

namespace edgetrain {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, sep);)
    out.push_back(item);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

// The number a SimGrid value starts with ("10MBps" -> 10); false when there is none.
bool leading_number(const std::string& text, double& value) {
  const char* begin = text.c_str();
  while (*begin == ' ' || *begin == '\t')
    ++begin;
  char* end = nullptr;
  value = std::strtod(begin, &end);
  return end != begin;
}

// A number and nothing after it (leading spaces allowed, as strtod skips them).
bool whole_number(const std::string& text, double& value) {
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end != text.c_str() && *end == '\0';
}

bool whole_int(const std::string& text, long& value) {
  char* end = nullptr;
  value = std::strtol(text.c_str(), &end, 10);
  return !text.empty() && *end == '\0';
}

class Checker {
public:
  Checker(const fs::path& file, std::string shown) : file_(file), shown_(std::move(shown)) {}

  PlatformScan run() {
    text_ = read_file(file_);
    for (std::size_t i = 0; i < text_.size(); ++i)
      if (text_[i] == '\n') newlines_.push_back(static_cast<std::ptrdiff_t>(i));

    pugi::xml_document doc;
    const pugi::xml_parse_result r = doc.load_buffer(text_.data(), text_.size());
    if (!r) {
      add_at(r.offset, fmt::format("malformed XML: {}", r.description()));
      return scan_;
    }
    walk(doc.document_element(), "");
    scan_.link_watts = !doc.select_node("//prop[@id='wattage_range' or @id='uplink_watts' or "
                                        "@id='downlink_watts' or @id='bb_wattage_range']")
                            .node()
                            .empty();
    return scan_;
  }

private:
  long line_of(std::ptrdiff_t offset) const {
    return std::upper_bound(newlines_.begin(), newlines_.end(), offset) - newlines_.begin() + 1;
  }
  std::string where(std::ptrdiff_t offset) const { return fmt::format("{}:{}", shown_, line_of(offset)); }
  void add_at(std::ptrdiff_t offset, std::string what) {
    scan_.problems.push_back({where(offset), std::move(what)});
  }
  void add(const pugi::xml_node& n, std::string what) { add_at(n.offset_debug(), std::move(what)); }

  static std::string prop(const pugi::xml_node& n, const char* id) {
    for (const pugi::xml_node& p : n.children("prop"))
      if (std::string(p.attribute("id").value()) == id) return p.attribute("value").value();
    return "";
  }
  static bool has_prop(const pugi::xml_node& n, const char* id) {
    for (const pugi::xml_node& p : n.children("prop"))
      if (std::string(p.attribute("id").value()) == id) return true;
    return false;
  }

  // A comma-separated list of values each > 0 (speeds, bandwidths); returns how many. With
  // `zeros_at_end`, a speed list may end in 0 flop/s pstates (SimGrid's idiom for booting and
  // shutting down, energy_boot.xml): `usable` gets the count before them.
  std::size_t positive_list(const pugi::xml_node& n, const std::string& who, const char* attr,
                            std::size_t* usable = nullptr) {
    const pugi::xml_attribute a = n.attribute(attr);
    if (usable) *usable = 1;
    if (!a) return 1;
    std::size_t count = 0, positive = 0;
    bool zero_seen = false;
    for (std::string v : split(a.value(), ',')) {
      v.erase(0, v.find_first_not_of(" \t\n\r"));
      ++count;
      double x = 0;
      const bool number = leading_number(v, x) && std::isfinite(x);
      if (usable && number && x == 0 && count > 1) {
        zero_seen = true;
        continue;
      }
      if (!number || x <= 0)
        add(n, fmt::format("{}: {} '{}' must be a finite number > 0{}", who, attr, v,
                           usable && number && x == 0 ? " (0 only for pstates after others: booting, shutting down)"
                                                      : ""));
      else if (zero_seen)
        add(n, fmt::format("{}: {} '{}' comes after a 0 flop/s pstate: 0 flop/s pstates (booting, shutting "
                           "down) must come last",
                           who, attr, v));
      else
        ++positive;
      if (number && x > 0 && (std::string(attr) == "speed" ? parse_speed(v) < 1 : parse_bandwidth(v) < 1))
        // SimGrid's solver fails ("The Impossible Did Happen") on rates this small
        add(n, fmt::format("{}: {} '{}' is below 1 {}/s", who, attr, v,
                           std::string(attr) == "speed" ? "FLOP" : "byte"));
    }
    if (usable) *usable = std::max<std::size_t>(positive, 1);
    return count;
  }
  void non_negative(const pugi::xml_node& n, const std::string& who, const char* attr) {
    const pugi::xml_attribute a = n.attribute(attr);
    double x = 0;
    if (a && (!leading_number(a.value(), x) || !std::isfinite(x) || x < 0))
      add(n, fmt::format("{}: {} '{}' must be a finite number >= 0", who, attr, a.value()));
  }
  void file_exists(const pugi::xml_node& n, const std::string& who, const char* attr) {
    const pugi::xml_attribute a = n.attribute(attr);
    if (!a) return;
    const fs::path p =
        fs::path(a.value()).is_absolute() ? fs::path(a.value()) : file_.parent_path() / a.value();
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) add(n, fmt::format("{}: {} '{}': no such file", who, attr, a.value()));
  }

  // Host-like elements (host, cluster): speeds, cores, pstate, power properties.
  void compute_node(const pugi::xml_node& n, const std::string& who) {
    std::size_t usable = 1;
    const std::size_t pstates = positive_list(n, who, "speed", &usable);
    long v = 0;
    if (const pugi::xml_attribute c = n.attribute("core"); c && (!whole_int(c.value(), v) || v < 1))
      add(n, fmt::format("{}: core '{}' must be a whole number >= 1", who, c.value()));
    if (const pugi::xml_attribute p = n.attribute("pstate");
        p && (!whole_int(p.value(), v) || v < 0 || static_cast<std::size_t>(v) >= pstates))
      add(n, fmt::format("{}: pstate '{}' must be between 0 and {} (one per speed)", who, p.value(),
                         pstates - 1));
    else if (p && static_cast<std::size_t>(v) >= usable)
      add(n, fmt::format("{}: pstate '{}' has speed 0: a host starts in a pstate that computes", who, p.value()));
    if (has_prop(n, "wattage_per_state")) {
      std::vector<double> idle, busy;
      try {
        parse_wattage(prop(n, "wattage_per_state"), pstates, idle, busy);
      } catch (const std::invalid_argument& e) {
        add(n, fmt::format("{}: property wattage_per_state: {}", who, e.what()));
      }
    }
    if (has_prop(n, "wattage_off")) {
      double x = 0;
      const std::string w = prop(n, "wattage_off");
      if (!leading_number(w, x) || !std::isfinite(x) || x < 0)
        add(n, fmt::format("{}: property wattage_off '{}' must be a number >= 0", who, w));
    }
    for (const char* f : {"speed_file", "state_file", "availability_file"})
      file_exists(n, who, f);
    if (has_prop(n, "uplink_bw")) {
      const double b = parse_bandwidth(prop(n, "uplink_bw"));
      if (!(b > 0) || !std::isfinite(b))
        add(n, fmt::format("{}: property uplink_bw '{}' is not a bandwidth > 0", who, prop(n, "uplink_bw")));
    }
    for (const char* w : {"uplink_watts", "downlink_watts"})
      if (has_prop(n, w)) check_idle_busy(n, who, w, prop(n, w));
    std::map<std::string, std::string> props;
    for (const pugi::xml_node& p : n.children("prop"))
      props[p.attribute("id").value()] = p.attribute("value").value();
    try {
      (void)parse_battery([&props](const char* key) -> const char* {
        auto it = props.find(key);
        return it == props.end() ? nullptr : it->second.c_str();
      });
    } catch (const std::invalid_argument& e) {
      add(n, fmt::format("{}: {}", who, e.what()));
    }
  }

  // A link's "idle:busy" watts (wattage_range, and the conventions edgetrain turns into one).
  // SimGrid aborts on an entry that is not two figures (a trailing ',' makes an empty one), so
  // each figure must be a whole number, nothing after it.
  void check_idle_busy(const pugi::xml_node& n, const std::string& who, const char* what,
                       const std::string& w) {
    const std::vector<std::string> parts = split(w, ':');
    double idle = 0, busy = 0;
    if (parts.size() != 2 || !whole_number(parts[0], idle) || !whole_number(parts[1], busy) ||
        !std::isfinite(idle) || !std::isfinite(busy) || idle < 0 || busy < 0)
      add(n, fmt::format("{}: property {} '{}' must be idle:busy, two numbers >= 0", who, what, w));
    else if (idle > busy)
      add(n, fmt::format("{}: property {} '{}': idle power above busy power", who, what, w));
  }

  void link(const pugi::xml_node& n, const std::string& who) {
    const std::size_t listed = positive_list(n, who, "bandwidth");
    non_negative(n, who, "latency");
    const bool wifi = std::string(n.attribute("sharing_policy").value()) == "WIFI";
    if (listed > 1 && !wifi)
      add(n, fmt::format("{}: bandwidth '{}' lists {} rates, which only a sharing_policy=\"WIFI\" link has "
                         "(SimGrid aborts)",
                         who, n.attribute("bandwidth").value(), listed));
    if (wifi) {
      auto& rates = scan_.wifi_rates[n.attribute("id").value()];
      for (const std::string& v : split(n.attribute("bandwidth").value(), ','))
        rates.push_back(parse_bandwidth(v));
      double lat = 0;
      if (n.attribute("latency") && leading_number(n.attribute("latency").value(), lat) && lat != 0)
        add(n,
            fmt::format("{}: a WIFI link cannot have a latency (SimGrid forbids it); put it on the next link",
                        who));
      // The wifi energy plugin aborts on some malformed figures and misreads others.
      const std::string watts = prop(n, "wifi_watt_values"), beacons = prop(n, "control_duration");
      try {
        (void)wifi_energy::read_power(has_prop(n, "wifi_watt_values") ? watts.c_str() : nullptr,
                                      has_prop(n, "control_duration") ? beacons.c_str() : nullptr);
      } catch (const std::invalid_argument& e) {
        add(n, fmt::format("{}: {}", who, e.what()));
      }
    }
    if (has_prop(n, "wattage_range")) check_idle_busy(n, who, "wattage_range", prop(n, "wattage_range"));
    for (const char* f : {"bandwidth_file", "latency_file", "state_file"})
      file_exists(n, who, f);
  }

  // SimGrid aborts on a second link, or a second host, router or zone (one namespace), of a name.
  void unique(const pugi::xml_node& n, std::map<std::string, std::ptrdiff_t>& seen, const std::string& who) {
    const std::string id = n.attribute("id").value();
    if (id.empty()) return;
    const auto [it, fresh] = seen.emplace(id, n.offset_debug());
    if (!fresh)
      add(n, fmt::format("{}: a second one of that name (the first is on line {}); SimGrid aborts on it", who,
                         line_of(it->second)));
  }

  void full_routes(const pugi::xml_node& zone, const std::string& id) {
    FullZoneRoutes& z = scan_.full_zones[id];
    z.where = where(zone.offset_debug());
    for (const pugi::xml_node& r : zone.children()) {
      const std::string tag = r.name();
      if (tag.rfind("bypass", 0) == 0) scan_.has_bypass = true;
      if (tag != "route" && tag != "zoneRoute" && tag != "ASroute") continue;
      const std::string src = r.attribute("src").value(), dst = r.attribute("dst").value();
      const std::string gw_src = r.attribute("gw_src").value(), gw_dst = r.attribute("gw_dst").value();
      z.routes[{src, dst}] = {gw_src, gw_dst};
      if (strcasecmp(r.attribute("symmetrical").as_string("YES"), "NO") != 0) z.routes[{dst, src}] = {gw_dst, gw_src};
    }
  }

  // The platform's <config> section sets SimGrid options: checked as --cfg= ones are.
  void config(const pugi::xml_node& n) {
    for (const pugi::xml_node& p : n.children("prop")) {
      if (std::string(p.attribute("id").value()) == "tracing/filename") scan_.tracing_file = p.attribute("value").value();
      if (const std::string problem = simgrid_option_problem(p.attribute("id").value(), p.attribute("value").value());
          !problem.empty())
        add(p, "<config>: " + problem);
    }
  }

  void walk(const pugi::xml_node& node, const std::string& routing) {
    for (const pugi::xml_node& n : node.children()) {
      const std::string tag = n.name();
      const std::string id = n.attribute("id").value();
      if (tag.rfind("bypass", 0) == 0) scan_.has_bypass = true;
      if (tag == "config") {
        config(n);
      } else if (tag == "include") {
        add(n, "<include> is refused by SimGrid 3.32 (it was removed in 3.22): paste the included file's "
               "zones in");
      } else if (tag == "zone" || tag == "AS") {
        unique(n, netpoints_, fmt::format("zone '{}'", id));
        // SimGrid compares the routing case-insensitively.
        const std::string given = n.attribute("routing").value();
        static const std::vector<std::string> kRoutings = {"Full", "Floyd",   "Dijkstra", "DijkstraCache",
                                                           "None", "Vivaldi", "Cluster",  "Wifi"};
        const auto known = std::find_if(kRoutings.begin(), kRoutings.end(),
                                        [&](const std::string& k) { return strcasecmp(k.c_str(), given.c_str()) == 0; });
        const std::string r = known == kRoutings.end() ? given : *known;
        if (known == kRoutings.end())
          add(n, fmt::format("zone '{}': routing '{}' is not one SimGrid 3.32 reads from XML ({})", id, given,
                             fmt::join(kRoutings, ", ")));
        if (r == "None")
          for (const char* route : {"route", "zoneRoute", "ASroute", "bypassRoute", "bypassZoneRoute", "bypassASroute"})
            if (const pugi::xml_node x = n.child(route))
              add(x, fmt::format("zone '{}' has routing None, which holds no routes (SimGrid aborts): make it Full",
                                 id));
        if (r == "Wifi") check_wifi_zone(n);
        if (r == "Full") full_routes(n, id);
        if (has_prop(n, "edgetrain_traces"))
          for (const std::string& f : split(prop(n, "edgetrain_traces"), ',')) {
            const fs::path p = file_.parent_path() / f;
            std::error_code ec;
            if (!fs::is_regular_file(p, ec))
              add(n, fmt::format("zone '{}': property edgetrain_traces: '{}': no such file", id, f));
            scan_.trace_files.push_back(p.lexically_normal());
          }
        walk(n, r);
      } else if (tag == "host" || tag == "router" || tag == "peer") {
        unique(n, netpoints_, fmt::format("{} '{}'", tag, id));
        if (tag == "router") continue;
        const std::string who = fmt::format("{} '{}'", tag, id);
        compute_node(n, who);
        if (has_prop(n, "role")) {
          const std::string role = prop(n, "role");
          if (role != "aggregator" && role != "trainer" && role != "none")
            add(n, fmt::format("{}: property role '{}' is not one of: aggregator, trainer, none", who, role));
        }
        if (routing == "Vivaldi") {
          const std::vector<std::string> c = split(n.attribute("coordinates").value(), ' ');
          double x = 0;
          if (c.size() != 3 ||
              !std::all_of(c.begin(), c.end(), [&](const std::string& s) { return leading_number(s, x); }))
            add(n, fmt::format("{}: a host in a Vivaldi zone needs coordinates=\"x y z\"", who));
        }
      } else if (tag == "cluster") {
        unique(n, netpoints_, fmt::format("cluster '{}'", id));
        scan_.clusters.insert(id);
        const std::string who = fmt::format("cluster '{}'", id);
        compute_node(n, who);
        for (const char* a : {"bw", "bb_bw"})
          positive_list(n, who, a);
        for (const char* a : {"lat", "bb_lat"})
          non_negative(n, who, a);
        cluster_backbone_power(n, who);
      } else if (tag == "link" || tag == "backbone") {
        unique(n, links_, fmt::format("link '{}'", id));
        link(n, fmt::format("link '{}'", id));
      } else if (tag == "trace") {
        file_exists(n, fmt::format("trace '{}'", id), "file");
      } else if (tag != "prop") {
        walk(n, routing);
      }
    }
  }

  // edgetrain's convention for a cluster's backbone power (applied by apply_cluster_power): the
  // figures must read, and the cluster must have a backbone (SimGrid makes one only for bb_bw or
  // bb_lat > 0).
  void cluster_backbone_power(const pugi::xml_node& n, const std::string& who) {
    if (!has_prop(n, "bb_wattage_range")) return;
    check_idle_busy(n, who, "bb_wattage_range", prop(n, "bb_wattage_range"));
    double bw = 0, lat = 0;
    const bool backbone = (leading_number(n.attribute("bb_bw").value(), bw) && bw > 0) ||
                          (leading_number(n.attribute("bb_lat").value(), lat) && lat > 0);
    if (!backbone)
      add(n, fmt::format("{}: property bb_wattage_range, but the cluster has no backbone (no bb_bw)", who));
  }

  // Stations' wifi_rate must index the WIFI link's rate list (SimGrid aborts otherwise).
  void check_wifi_zone(const pugi::xml_node& zone) {
    if (!has_prop(zone, "access_point"))
      add(zone, fmt::format("zone '{}': a Wifi zone needs its property access_point (the router or host "
                            "that serves the cell); SimGrid aborts without it",
                            zone.attribute("id").value()));
    std::size_t rates = 0;
    for (const pugi::xml_node& l : zone.children("link"))
      if (std::string(l.attribute("sharing_policy").value()) == "WIFI")
        rates = split(l.attribute("bandwidth").value(), ',').size();
    for (const pugi::xml_node& h : zone.children("host")) {
      if (!has_prop(h, "wifi_rate")) continue;
      const std::string r = prop(h, "wifi_rate");
      long v = 0;
      if (!whole_int(r, v) || v < 0 || static_cast<std::size_t>(v) >= rates)
        add(h, fmt::format("host '{}': wifi_rate '{}' must index the WIFI link's {} rate(s): 0 to {}",
                           h.attribute("id").value(), r, rates, rates == 0 ? 0 : rates - 1));
    }
  }

  fs::path file_;
  std::string shown_;
  std::string text_;
  std::vector<std::ptrdiff_t> newlines_;
  PlatformScan scan_;
  std::map<std::string, std::ptrdiff_t> netpoints_, links_; // first offset of each name
};

} // namespace

double parse_bandwidth(const std::string& text) {
  double x = 0;
  if (!leading_number(text, x)) return std::nan("");
  const char* begin = text.c_str();
  char* end = nullptr;
  (void)std::strtod(begin, &end);
  std::string unit(end);
  if (unit.empty()) return x; // a bare number: bytes/s
  double scale = 1;
  if (unit.size() > 3) {
    const bool binary = unit.size() > 4 && unit[1] == 'i';
    const double base = binary ? 1024.0 : 1000.0;
    const std::string prefixes = "kKMGTPE";
    const std::size_t at = prefixes.find(unit[0]);
    if (at == std::string::npos) return std::nan("");
    scale = std::pow(base, at == 0 ? 1.0 : static_cast<double>(at));
    unit = unit.substr(binary ? 2 : 1);
  }
  if (unit == "Bps") return x * scale;
  if (unit == "bps") return x * scale / 8;
  return std::nan("");
}

double parse_speed(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double x = std::strtod(begin, &end);
  if (end == begin) return std::nan("");
  const std::string unit(end);
  if (unit.empty() || unit == "f" || unit == "flops") return x;
  const std::string prefixes = "kMGTPE";
  const std::size_t at = prefixes.find(unit[0]);
  if (at == std::string::npos || (unit.substr(1) != "f" && unit.substr(1) != "flops")) return std::nan("");
  return x * std::pow(1000.0, static_cast<double>(at + 1));
}

PlatformScan check_platform_file(const fs::path& file, const std::string& shown) {
  return Checker(file, shown).run();
}

} // namespace edgetrain
