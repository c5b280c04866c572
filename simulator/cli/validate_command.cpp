#include "simulator/cli/validate_command.hpp"

#include "simulator/cli/report_errors.hpp"

#include "simulator/common/error.hpp"
#include "simulator/engine/simgrid_config.hpp"
#include "simulator/platform/platform.hpp"
#include "simulator/scenario/scenario.hpp"

#include <fmt/format.h>
#include <simgrid/s4u/Host.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace edgetrain {

namespace fs = std::filesystem;
namespace sg4 = simgrid::s4u;

namespace {

// A scenario that only names the platform: roles from host properties, one sample per trainer.
Scenario bare_scenario(const std::string& platform) {
  Scenario s;
  s.file = fs::absolute(platform);
  s.platform_file = s.file.lexically_normal();
  s.platform_shown = platform;
  s.data.dataset = "fashion-mnist";
  s.data.samples_per_node = 1;
  s.data.quantity_skew = "equal";
  return s;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double x) { lo = std::min(lo, x), hi = std::max(hi, x); }
  [[nodiscard]] std::string text(double scale, int precision) const {
    if (lo > hi) return "-";
    if (lo == hi) return fmt::format("{:.{}f}", lo / scale, precision);
    return fmt::format("{:.{}f}..{:.{}f}", lo / scale, precision, hi / scale, precision);
  }
};

struct ClassRow {
  int hosts = 0, unknown_power = 0;
  Range cores, peak, idle, busy, up, down, battery;
};

void print_table(const std::vector<sg4::Host*>& hosts, const Platform* platform) {
  std::map<std::string, ClassRow> rows;
  std::map<const sg4::Host*, const Node*> nodes;
  if (platform)
    for (const Node& n : platform->nodes)
      nodes[n.host] = &n;
  for (const sg4::Host* h : hosts) {
    const char* c = h->get_property("device_class");
    ClassRow& r = rows[c ? c : "(no device_class)"];
    ++r.hosts;
    r.cores.add(h->get_core_count());
    r.peak.add(h->get_pstate_speed(0) * h->get_core_count());
    std::vector<double> idle, busy;
    if (const char* w = h->get_property("wattage_per_state")) {
      parse_wattage(w, h->get_pstate_count(), idle, busy);
      r.idle.add(*std::min_element(idle.begin(), idle.end()));
      r.busy.add(*std::max_element(busy.begin(), busy.end()));
    } else {
      ++r.unknown_power;
    }
    if (const char* b = h->get_property("battery_wh")) r.battery.add(std::stod(b));
    if (auto it = nodes.find(h); it != nodes.end() && it->second->role == Role::Trainer) {
      r.up.add(it->second->up_bps * 8), r.down.add(it->second->down_bps * 8);
    }
  }
  fmt::print("{:<20} {:>6} {:>6} {:>16} {:>10} {:>12} {:>16} {:>16} {:>11}\n", "class", "hosts", "cores",
             "peak GFLOP/s", "idle W", "busy W", "up Mbit/s", "down Mbit/s", "battery Wh");
  for (const auto& [name, r] : rows) {
    const std::string power_note = r.unknown_power ? fmt::format(" ({} unknown)", r.unknown_power) : "";
    fmt::print("{:<20} {:>6} {:>6} {:>16} {:>10} {:>12} {:>16} {:>16} {:>11}\n", name, r.hosts,
               r.cores.text(1, 0), r.peak.text(1e9, 1), r.idle.text(1, 1), r.busy.text(1, 1) + power_note,
               r.up.text(1e6, 1), r.down.text(1e6, 1), r.battery.text(1, 1));
  }
}

} // namespace

int validate_command(const std::string& platform_arg, const std::string& scenario_arg) {
  return report_errors(
      [&] {
        Scenario s = bare_scenario(platform_arg);
        if (!scenario_arg.empty()) {
          const Value where =
              fs::absolute(platform_arg).string(); // the platform given wins over the scenario's
          s = load_scenario(scenario_arg, {{"platform.file", value_to_string(where)}});
        }
        s.platform_shown = platform_arg;
        auto engine = make_engine(s, {}, false);
        const LoadedPlatform loaded = load_simgrid_platform(*engine, s);
        const std::vector<sg4::Host*> hosts = engine->get_all_hosts();

        const bool named =
            !s.aggregator.empty() || std::any_of(hosts.begin(), hosts.end(), [](const sg4::Host* h) {
              const char* r = h->get_property("role");
              return r && std::string(r) == "aggregator";
            });
        std::unique_ptr<Platform> platform;
        if (named) platform = std::make_unique<Platform>(build_platform(*engine, s, loaded, 10));
        fmt::print("{}: {} hosts, {} links", platform_arg, hosts.size(), engine->get_all_links().size());
        if (platform)
          fmt::print(", aggregator {}, {} trainers\n", platform->nodes[platform->aggregator].host->get_name(),
                     platform->trainer_count());
        else
          fmt::print(
              "\nnote: no aggregator (no host with role=\"aggregator\", no scenario): routes not checked\n");
        print_table(hosts, platform.get());
        if (platform)
          for (const std::string& w : platform->warnings)
            fmt::print("warning: {}\n", w);
        fmt::print("sound\n");
        return 0;
      },
      2); // whatever stops a platform from loading is a problem of the platform
}

} // namespace edgetrain
