#include "simulator/platform/platform.hpp"

#include "simulator/common/error.hpp"
#include "simulator/platform/full_routes.hpp"
#include "simulator/platform/load_guard.hpp"
#include "simulator/platform/wifi_energy.hpp"
#include "simulator/learning/data_split.hpp"
#include "simulator/platform/platform_check.hpp"
#include "simulator/platform/traces.hpp"

#include <fmt/format.h>
#include <simgrid/Exception.hpp>
#include <simgrid/plugins/energy.h>
#include <xbt/config.hpp>
#include <xbt/log.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fnmatch.h>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>
#include <set>
#include <simgrid/s4u/NetZone.hpp>
#include <sstream>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

XBT_LOG_NEW_DEFAULT_CATEGORY(edgetrain_platform, "edgetrain: platform loading and checks");

namespace sg4 = simgrid::s4u;
namespace fs = std::filesystem;

namespace edgetrain {

unsigned long usable_pstates(const sg4::Host* h) {
  unsigned long n = 0;
  while (n < h->get_pstate_count() && h->get_pstate_speed(n) > 0)
    ++n;
  return n;
}

bool link_energy_known(const sg4::Link* l) {
  // WIFI links: the wifi energy plugin keeps its figures private in 3.32 (and
  // sg_link_get_consumed_energy crashes on them); platform/wifi_energy books them the plugin's way.
  if (l->get_sharing_policy() == sg4::Link::SharingPolicy::WIFI) return wifi_energy::metered(l);
  if (l->get_property("wattage_range") == nullptr) return false;
  if (!sg_link_energy_is_inited()) // the platform scan missed where this link got its figures
    throw std::logic_error("link '" + l->get_name() + "' has power figures but the link energy plugin is off");
  return true;
}

namespace {

// "a, b, c and 97 more": warnings stay one line on platforms with thousands of links.
std::string abbreviate(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 4;
  if (names.size() <= kShown + 1) return fmt::format("{}", fmt::join(names, ", "));
  return fmt::format("{} and {} more", fmt::join(names.begin(), names.begin() + kShown, ", "),
                     names.size() - kShown);
}

std::string plat(const Scenario& s) {
  return s.platform_shown;
}

void check_hosts_and_links(const sg4::Engine& engine, const Scenario& s) {
  for (const sg4::Host* h : engine.get_all_hosts()) {
    // 0 flop/s pstates are allowed last (booting, shutting down): training uses the ones before.
    const unsigned long usable = usable_pstates(h);
    for (unsigned long p = 0; p < h->get_pstate_count(); ++p)
      if (p < usable ? !(h->get_pstate_speed(p) > 0) : h->get_pstate_speed(p) != 0)
        throw InputError(plat(s), fmt::format("host '{}': speed of pstate {} must be > 0 (or 0 for the last "
                                              "ones, booting and shutting down), got {}",
                                              h->get_name(), p, h->get_pstate_speed(p)));
    if (usable == 0 || h->get_pstate() >= usable)
      throw InputError(plat(s), fmt::format("host '{}': it starts in pstate {}, of speed 0: a host starts in a "
                                            "pstate that computes",
                                            h->get_name(), h->get_pstate()));
    if (h->get_core_count() < 1)
      throw InputError(plat(s), fmt::format("host '{}': core count < 1", h->get_name()));
  }
  for (const sg4::Link* l : engine.get_all_links()) {
    if (!(l->get_bandwidth() > 0))
      throw InputError(plat(s), fmt::format("link '{}': bandwidth must be > 0, got {}", l->get_name(),
                                            l->get_bandwidth()));
    if (!(l->get_latency() >= 0))
      throw InputError(
          plat(s), fmt::format("link '{}': latency must be >= 0, got {}", l->get_name(), l->get_latency()));
  }
}

Role role_of(const sg4::Host* h) {
  const char* r = h->get_property("role");
  return r && std::string(r) == "aggregator" ? Role::Aggregator : Role::Trainer;
}

// Picks the aggregator and the trainers, following the scenario's rules (DESIGN: roles from
// host properties, or from names and patterns in the scenario).
std::vector<sg4::Host*> pick_roles(const sg4::Engine& engine, const Scenario& s) {
  std::vector<sg4::Host*> hosts = engine.get_all_hosts();
  std::sort(hosts.begin(), hosts.end(),
            [](auto* a, auto* b) { return natural_less(a->get_name(), b->get_name()); });

  sg4::Host* agg = nullptr;
  if (!s.aggregator.empty()) {
    agg = engine.host_by_name_or_null(s.aggregator);
    if (!agg)
      throw InputError(s.where("platform.aggregator"),
                       fmt::format("platform.aggregator: no host '{}' in {}", s.aggregator, plat(s)));
  } else {
    std::vector<std::string> found;
    for (sg4::Host* h : hosts)
      if (const char* r = h->get_property("role"); r && std::string(r) == "aggregator")
        agg = h, found.push_back(h->get_name());
    if (found.empty())
      throw InputError(s.file.string(),
                       fmt::format("platform.aggregator: not set, and no host of {} has the property "
                                   "role=\"aggregator\"",
                                   plat(s)));
    if (found.size() > 1)
      throw InputError(s.file.string(), fmt::format("platform.aggregator: not set, and several hosts have "
                                                    "role=\"aggregator\" ({}); name one",
                                                    fmt::join(found, ", ")));
  }

  std::vector<sg4::Host*> picked{agg};
  if (!s.trainers.empty()) {
    for (const std::string& pattern : s.trainers) {
      bool any = false;
      for (sg4::Host* h : hosts)
        if (fnmatch(pattern.c_str(), h->get_name().c_str(), 0) == 0) {
          any = true;
          if (h != agg && std::find(picked.begin(), picked.end(), h) == picked.end()) picked.push_back(h);
        }
      if (!any)
        throw InputError(
            s.where("platform.trainers"),
            fmt::format("platform.trainers: pattern '{}' matches no host of {}", pattern, plat(s)));
    }
    std::sort(picked.begin() + 1, picked.end(),
              [](auto* a, auto* b) { return natural_less(a->get_name(), b->get_name()); });
  } else {
    // Hosts with role "trainer" if any has it; otherwise every host but the aggregator and those
    // marked role="none".
    const auto role_is = [](const sg4::Host* h, const char* r) {
      const char* v = h->get_property("role");
      return v && std::string(v) == r;
    };
    const bool named =
        std::any_of(hosts.begin(), hosts.end(), [&](auto* h) { return role_is(h, "trainer"); });
    for (sg4::Host* h : hosts) {
      if (h == agg) continue;
      if (named ? role_is(h, "trainer") : !role_is(h, "none") && !role_is(h, "aggregator"))
        picked.push_back(h);
    }
  }
  if (picked.size() < 2) throw InputError(s.file.string(), fmt::format("no trainer host in {}", plat(s)));
  return picked;
}

bool is_wifi(const sg4::Link* l) {
  return l->get_sharing_policy() == sg4::Link::SharingPolicy::WIFI;
}

std::vector<std::string> names_of(const std::vector<sg4::Link*>& links) {
  std::vector<std::string> names;
  for (const sg4::Link* l : links)
    names.push_back(l->get_name());
  return names;
}

// SimGrid does not read station rates from the XML: the platform says them with the host property
// wifi_rate (an index into the WIFI link's bandwidth list) and we apply it. A station without
// one gets the first (fastest) rate, with a warning, rather than SimGrid's abort at its first comm.
// Returns the station's rate in bytes/s.
double attach_wifi_station(sg4::Host* h, sg4::Link* ap, Platform& p, const Scenario& s,
                           const PlatformScan& scan) {
  int level = 0;
  if (const char* r = h->get_property("wifi_rate")) {
    std::size_t used = 0;
    try {
      level = std::stoi(r, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || r[used] != '\0' || level < 0)
      throw InputError(plat(s), fmt::format("host '{}': property wifi_rate '{}' is not a rate index >= 0",
                                            h->get_name(), r));
  } else {
    p.warnings.push_back(
        fmt::format("host '{}' is a station of WiFi link '{}' but has no wifi_rate property: using "
                    "rate 0 (the first bandwidth)",
                    h->get_name(), ap->get_name()));
  }
  wifi_energy::attach_station(ap, h, level);
  const auto it = scan.wifi_rates.find(ap->get_name());
  return it != scan.wifi_rates.end() && static_cast<std::size_t>(level) < it->second.size()
             ? it->second[static_cast<std::size_t>(level)]
             : std::numeric_limits<double>::infinity();
}

// What SimGrid logged in a file before it died: its last CRITICAL line's message.
std::string last_critical(std::FILE* log) {
  std::string text;
  std::rewind(log);
  for (int c = std::fgetc(log); c != EOF; c = std::fgetc(log))
    text += static_cast<char>(c);
  return std::string(last_critical_line(text));
}

// SimGrid 3.32 dies computing some routes that do not exist (SIGSEGV in Floyd zones, xbt_die in a
// Vivaldi zone without coordinates or an Empty zone holding routes) and throws on others (a
// zoneRoute missing). So the routes are first computed in a forked child: it reports each trainer
// before computing its routes, and what SimGrid threw or logged before dying, so the error names
// the trainer and SimGrid's reason. The parent's engine is untouched, and computes the routes
// again once they are known safe.
void probe_routes(const std::vector<sg4::Host*>& hosts, const Scenario& s,
                  const std::set<std::string>& clusters) {
  // The child writes the index of the trainer it works on into a shared page: no system call
  // per trainer (100,000 of them would cost seconds). An exception's message follows it.
  struct Shared {
    std::size_t current;
    char thrown[1024];
  };
  void* page = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return; // cannot probe: compute routes directly, as SimGrid would
  auto* shared = static_cast<volatile Shared*>(page);
  shared->current = 0;
  shared->thrown[0] = '\0';
  std::FILE* log = std::tmpfile(); // the child's stderr: SimGrid's last words
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    munmap(page, sizeof(Shared));
    if (log) std::fclose(log);
    return;
  }
  if (pid == 0) {
    if (log ? dup2(fileno(log), STDERR_FILENO) < 0 : !std::freopen("/dev/null", "w", stderr)) _exit(3);
    std::vector<sg4::Link*> links;
    double lat = 0;
    try {
      std::set<std::string> probed; // a cluster's hosts all route alike: one of each is enough
      for (std::size_t i = 1; i < hosts.size(); ++i) {
        const std::string& zone = hosts[i]->get_englobing_zone()->get_name();
        if (clusters.count(zone) && !probed.insert(zone).second) continue;
        shared->current = i;
        links.clear();
        hosts[i]->route_to(hosts[0], links, &lat);
        links.clear();
        hosts[0]->route_to(hosts[i], links, &lat);
      }
    } catch (const std::exception& e) { // never let the child unwind into the caller
      const std::string what = e.what();
      const std::size_t n = std::min(what.size(), sizeof(shared->thrown) - 1);
      for (std::size_t k = 0; k < n; ++k)
        shared->thrown[k] = what[k];
      shared->thrown[n] = '\0';
      _exit(4);
    } catch (...) {
      _exit(4);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const std::size_t last = shared->current;
  std::string said = const_cast<const char*>(shared->thrown);
  munmap(page, sizeof(Shared));
  if (log) {
    if (said.empty()) said = last_critical(log);
    std::fclose(log);
  }
  const std::string hint = said.find("Empty zone") != std::string::npos
                               ? ": a zone of routing None has no routes (SimGrid's Constant network model needs "
                                 "none; edgetrain does): make it Full, with <route>s"
                               : "";
  if ((WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 4)) && last > 0)
    throw InputError(plat(s),
                     fmt::format("trainer '{}' has no route to or from aggregator '{}': {}{}", hosts[last]->get_name(),
                                 hosts[0]->get_name(),
                                 said.empty() ? "SimGrid crashed looking for one (is a route or zoneRoute missing?)"
                                              : "SimGrid says \"" + said + "\"",
                                 hint));
}

// Generated platforms put hosts in SimGrid clusters, whose links cannot carry per-direction
// figures in XML; these host properties give them, and apply to the host's first hop up and last
// hop down (its private link halves): uplink_bw (a SimGrid bandwidth), uplink_watts and
// downlink_watts ("idle:busy": the device's radio or port power while it sends or receives; on a
// private link that is not split, both land on the one link, downlink_watts last). The backbone
// is apply_cluster_power's.
void apply_link_conventions(const sg4::Host* h, const std::vector<sg4::Link*>& up,
                            const std::vector<sg4::Link*>& down) {
  const char* up_bw = h->get_property("uplink_bw");
  const char* up_w = h->get_property("uplink_watts");
  const char* down_w = h->get_property("downlink_watts");
  if (!up_bw && !up_w && !down_w) return;
  if (up_bw) up.front()->set_bandwidth(parse_bandwidth(up_bw));
  if (up_w) up.front()->set_property("wattage_range", up_w);
  if (down_w) down.back()->set_property("wattage_range", down_w);
}

double bottleneck(const std::vector<sg4::Link*>& links) {
  double b = std::numeric_limits<double>::infinity();
  for (const sg4::Link* l : links)
    if (!is_wifi(l)) b = std::min(b, l->get_bandwidth()); // a WIFI link reports 1
  return b;
}

double route(sg4::Host* from, sg4::Host* to, std::vector<sg4::Link*>& links, double& narrowest) {
  double latency = 0;
  links.clear();
  from->route_to(to, links, &latency);
  narrowest = bottleneck(links);
  return latency;
}

} // namespace

LoadedPlatform load_simgrid_platform(sg4::Engine& engine, const Scenario& s) {
  LoadedPlatform loaded;
  loaded.scan = check_platform_file(s.platform_file, s.platform_shown);
  if (const auto& problems = loaded.scan.problems; !problems.empty()) {
    std::string rest; // every problem, one "error:" line each
    for (std::size_t i = 1; i < problems.size(); ++i)
      rest += fmt::format("\nerror: {}: {}", problems[i].where, problems[i].what);
    throw InputError(problems[0].where, problems[0].what + rest);
  }
  std::vector<TraceSection> traces;
  std::vector<fs::path> files = loaded.scan.trace_files;
  files.insert(files.end(), s.traces.begin(), s.traces.end());
  for (const auto& f : files) {
    auto t = read_traces(f, f.lexically_relative(fs::current_path()).string());
    traces.insert(traces.end(), t.begin(), t.end());
  }
  attach_traces_on_creation(traces);
  sg_host_energy_plugin_init();
  if (loaded.scan.link_watts) sg_link_energy_plugin_init();
  sg_wifi_energy_plugin_init();
  try {
    // A platform's <config> may turn SimGrid's tracing on, under its own file name or the one
    // already set (--cfg, or SimGrid's default).
    const LoadGuard guard(plat(s), loaded.scan.tracing_file.empty()
                                       ? simgrid::config::get_value<std::string>("tracing/filename")
                                       : loaded.scan.tracing_file);
    engine.load_platform(s.platform_file.string());
    // Sealing builds the zones' routing (Dijkstra's graphs, clusters' tables): every route query
    // below must come after it, or SimGrid answers "no route" where there is one.
    engine.seal_platform();
  } catch (const simgrid::ParseError& e) {
    throw InputError(plat(s), fmt::format("SimGrid cannot parse the platform: {}", e.what()));
  } catch (const std::exception& e) {
    throw InputError(plat(s), fmt::format("SimGrid cannot load the platform: {}", e.what()));
  }
  check_hosts_and_links(engine, s);
  apply_cluster_power(engine, loaded.scan.clusters, plat(s));
  check_traces_attached(engine, traces);
  loaded.has_state_traces =
      std::any_of(traces.begin(), traces.end(), [](const TraceSection& t) { return t.kind == "state"; });
  return loaded;
}

Platform load_platform(sg4::Engine& engine, const Scenario& s, int classes) {
  const LoadedPlatform loaded = load_simgrid_platform(engine, s);
  return build_platform(engine, s, loaded, classes);
}

Platform build_platform(sg4::Engine& engine, const Scenario& s, const LoadedPlatform& loaded, int classes) {
  const PlatformScan& scan = loaded.scan;
  Platform p;
  p.has_state_traces = loaded.has_state_traces;
  const std::vector<sg4::Host*> hosts = pick_roles(engine, s);
  // Full zones first: reading the file's routes needs no route computed, and names the zone.
  for (std::size_t i = 1; i < hosts.size(); ++i)
    for (const auto& [from, to] : {std::pair{hosts[i], hosts[0]}, std::pair{hosts[0], hosts[i]}})
      if (const MissingRoute m = missing_full_route(from, to, scan); !m.what.empty())
        throw InputError(m.where, fmt::format("{}: trainer '{}' has no complete route {} aggregator '{}'", m.what,
                                              hosts[i]->get_name(), from == hosts[i] ? "to" : "from",
                                              hosts[0]->get_name()));
  probe_routes(hosts, s, scan.clusters);
  std::set<sg4::Link*, std::function<bool(sg4::Link*, sg4::Link*)>> used(
      [](sg4::Link* a, sg4::Link* b) { return natural_less(a->get_name(), b->get_name()); });
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    sg4::Host* h = hosts[i];
    Node n;
    n.id = i;
    n.host = h;
    n.role = i == 0 ? Role::Aggregator : Role::Trainer;
    if (i > 0 && role_of(h) == Role::Aggregator && !s.trainers.empty())
      p.warnings.push_back(fmt::format(
          "host '{}' has role=\"aggregator\" but platform.trainers selects it as a trainer", h->get_name()));
    n.cores = h->get_core_count();
    n.initial_pstate = h->get_pstate();
    n.usable_pstates = usable_pstates(h);
    if (const char* c = h->get_property("device_class")) n.device_class = c;
    try {
      n.battery = parse_battery([h](const char* key) { return h->get_property(key); });
    } catch (const std::invalid_argument& e) {
      throw InputError(plat(s), fmt::format("host '{}': {}", h->get_name(), e.what()));
    }
    if (n.battery.capacity_j > 0 && !h->get_property("wattage_per_state"))
      throw InputError(plat(s),
                       fmt::format("host '{}' has a battery but no wattage_per_state: nothing would drain it",
                                   h->get_name()));
    if (const char* w = h->get_property("wattage_per_state")) {
      try {
        parse_wattage(w, h->get_pstate_count(), n.watts_idle, n.watts_busy);
      } catch (const std::invalid_argument& e) {
        throw InputError(plat(s),
                         fmt::format("host '{}': property wattage_per_state: {}", h->get_name(), e.what()));
      }
      n.has_power = true;
    } else {
      p.warnings.push_back(
          fmt::format("host '{}' has no wattage_per_state property: its energy is reported as "
                      "unknown (empty), not 0",
                      h->get_name()));
    }
    if (i > 0) {
      double down = 0, up = 0;
      double up_latency = 0;
      try { // the probe found these safe; where it could not run, SimGrid may still throw
        n.latency_s = route(hosts[0], h, n.route_down, down);
        up_latency = route(h, hosts[0], n.route_up, up);
      } catch (const std::exception& e) {
        throw InputError(plat(s), fmt::format("trainer '{}' has no route to or from aggregator '{}': SimGrid says "
                                              "\"{}\"",
                                              h->get_name(), hosts[0]->get_name(), e.what()));
      }
      // No link and no latency is no route (a Full zone without it). No link but a latency is a
      // route: a Vivaldi zone's hosts without private links talk over their coordinates' delay.
      if ((n.route_down.empty() && !(n.latency_s > 0)) || (n.route_up.empty() && !(up_latency > 0)))
        throw InputError(plat(s), fmt::format("trainer '{}' has no route {} aggregator '{}'", h->get_name(),
                                              n.route_up.empty() ? "to" : "from", hosts[0]->get_name()));
      if (h->get_property("uplink_bw") || h->get_property("uplink_watts") ||
          h->get_property("downlink_watts")) {
        if (n.route_up.empty() || n.route_down.empty())
          throw InputError(plat(s), fmt::format("host '{}': uplink_bw, uplink_watts and downlink_watts apply to "
                                                "its first link up and last link down, and its route to "
                                                "aggregator '{}' has no link",
                                                h->get_name(), hosts[0]->get_name()));
        apply_link_conventions(h, n.route_up, n.route_down);
        up = bottleneck(n.route_up), down = bottleneck(n.route_down); // bandwidths changed
      }
      // A station's WiFi rate bounds its bandwidth both ways (the shared medium carries both).
      if (!n.route_up.empty() && is_wifi(n.route_up.front())) {
        const double rate = attach_wifi_station(h, n.route_up.front(), p, s, scan);
        up = std::min(up, rate), down = std::min(down, rate);
      }
      if (!n.route_down.empty() && is_wifi(n.route_down.front())) {
        const double rate = attach_wifi_station(hosts[0], n.route_down.front(), p, s, scan);
        up = std::min(up, rate), down = std::min(down, rate);
      }
      n.down_bps = down, n.up_bps = up;
      used.insert(n.route_down.begin(), n.route_down.end());
      used.insert(n.route_up.begin(), n.route_up.end());
    }
    p.nodes.push_back(std::move(n));
  }
  std::vector<sg4::Link*> wifi_used;
  std::copy_if(used.begin(), used.end(), std::back_inserter(wifi_used), is_wifi);
  try {
    wifi_energy::meter(wifi_used);
  } catch (const std::invalid_argument& e) {
    throw InputError(plat(s), e.what());
  }
  const bool many_wifi = wifi_used.size() > 1; // none metered: they get a warning of their own
  if (many_wifi)
    p.warnings.push_back(fmt::format(
        "{} WiFi links are in use ({}): edgetrain meters a WiFi link only when it is the one in use "
        "(SimGrid 3.32 does not say which WiFi link a transfer crosses): not counted in energy_network_j",
        wifi_used.size(), abbreviate(names_of(wifi_used))));
  std::vector<std::string> unknown; // links without power figures
  std::map<const sg4::Link*, std::size_t> index;
  for (sg4::Link* l : used) {
    if (link_energy_known(l))
      index[l] = p.metered_links.size(), p.metered_links.push_back(l);
    else if (many_wifi && is_wifi(l))
      ++p.links_energy_unknown;
    else
      unknown.push_back(l->get_name());
  }
  for (Node& n : p.nodes) {
    for (const auto* route : {&n.route_down, &n.route_up})
      for (const sg4::Link* l : *route)
        if (auto it = index.find(l); it != index.end()) n.metered.push_back(it->second);
    std::sort(n.metered.begin(), n.metered.end());
    n.metered.erase(std::unique(n.metered.begin(), n.metered.end()), n.metered.end());
  }
  p.links_energy_unknown += static_cast<int>(unknown.size());
  if (!unknown.empty())
    p.warnings.push_back(
        fmt::format("{} link(s) ({}) carry no power figures (wattage_range, or wifi_watt_values on a "
                    "WiFi link): not counted in energy_network_j",
                    unknown.size(), abbreviate(unknown)));

  for (const auto& [host, count] : s.data.by_host) {
    const bool known = std::any_of(p.nodes.begin(), p.nodes.end(), [&](const Node& n) {
      return n.role == Role::Trainer && n.host->get_name() == host;
    });
    if (!known)
      throw InputError(
          s.where("data.samples." + host),
          fmt::format("data.samples.{}: no trainer host '{}' (samples go to trainers only)", host, host));
    (void)count;
  }
  std::vector<std::string> names;
  std::vector<bool> trainer;
  for (const Node& n : p.nodes)
    names.push_back(n.host->get_name()), trainer.push_back(n.role == Role::Trainer);
  p.data = split_data(s, names, trainer, classes);
  XBT_INFO("platform %s: aggregator %s, %zu trainers", plat(s).c_str(), hosts[0]->get_cname(),
           p.trainer_count());
  return p;
}

} // namespace edgetrain
