#include "simulator/platform/catalog.hpp"
#include "simulator/common/toml_file.hpp"

#include "simulator/common/error.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>

namespace edgetrain {

namespace fs = std::filesystem;

fs::path default_catalog_path() {
  return fs::path(EDGETRAIN_DATA_DIR) / "catalog.toml";
}

namespace {

struct Reader {
  std::string file;
  [[noreturn]] void fail(const toml::node& n, const std::string& key, const std::string& what) const {
    throw InputError(fmt::format("{}:{}:{}", file, n.source().begin.line, n.source().begin.column),
                     key + ": " + what);
  }
  const toml::node& need(const toml::table& t, const std::string& table, const char* key) const {
    const toml::node* n = t.get(key);
    if (!n) fail(t, table, fmt::format("missing key '{}'", key));
    return *n;
  }
  double number(const toml::table& t, const std::string& table, const char* key, double min = 0,
                double max = 1e15) const {
    const toml::node& n = need(t, table, key);
    const std::optional<double> v = exact_number(n);
    if (!v || !std::isfinite(*v) || *v < min || *v > max)
      fail(n, table + "." + key, fmt::format("expected a finite number >= {}", min));
    return *v;
  }
  // "idle:busy" watts, or "" for unknown; a missing optional key is unknown too.
  std::string watts(const toml::table& t, const std::string& table, const char* key,
                    bool optional = false) const {
    if (optional && !t.get(key)) return "";
    const std::string w = text(t, table, key);
    if (w.empty()) return w;
    const std::size_t colon = w.find(':');
    double idle = -1, busy = -1;
    try {
      std::size_t u1 = 0, u2 = 0;
      idle = std::stod(w.substr(0, colon), &u1);
      busy = std::stod(w.substr(colon + 1), &u2);
      if (colon == std::string::npos || u1 != colon || u2 != w.size() - colon - 1) idle = -1;
    } catch (const std::exception&) {
      idle = -1;
    }
    if (!(idle >= 0 && busy >= idle && busy < 1e6))
      fail(need(t, table, key), table + "." + key,
           fmt::format("'{}' is not idle:busy watts with 0 <= idle <= busy", w));
    return w;
  }
  std::string text(const toml::table& t, const std::string& table, const char* key) const {
    const toml::node& n = need(t, table, key);
    if (!n.is_string()) fail(n, table + "." + key, "expected a string");
    return n.as_string()->get();
  }
  std::vector<double> numbers(const toml::table& t, const std::string& table, const char* key) const {
    const toml::node& n = need(t, table, key);
    if (!n.is_array() || n.as_array()->empty())
      fail(n, table + "." + key, "expected a non-empty array of numbers");
    std::vector<double> out;
    for (const toml::node& e : *n.as_array()) {
      const std::optional<double> v = exact_number(e);
      if (!v || !std::isfinite(*v) || *v < 1e-3 || *v > 1e18)
        fail(n, table + "." + key, "every entry must be a number in [0.001, 1e18]");
      out.push_back(*v);
    }
    return out;
  }
};

} // namespace

Catalog load_catalog(const fs::path& file) {
  const toml::table root = parse_toml_file(file.string(), file.string());
  Reader r{file.string()};
  Catalog c;
  if (const toml::table* nets = root["network"].as_table())
    for (auto&& [k, node] : *nets) {
      if (!node.is_table()) r.fail(node, "network." + std::string(k.str()), "expected a table");
      const toml::table& t = *node.as_table();
      const std::string key = "network." + std::string(k.str());
      NetworkClass n;
      n.id = k.str();
      n.kind = r.text(t, key, "kind");
      n.latency_s = r.number(t, key, "latency_s", 0, 1e3);
      const bool wired = n.kind == "wired"; // a wired class need not serve devices (metro, WAN)
      n.up_watts = r.watts(t, key, "up_watts", wired), n.down_watts = r.watts(t, key, "down_watts", wired);
      n.backbone_watts = r.watts(t, key, "backbone_watts", true);
      if (n.kind == "wifi") {
        n.rates_bps = r.numbers(t, key, "rates_bps");
        n.backhaul_bps = r.number(t, key, "backhaul_bps", 1);
        n.backhaul_watts = r.watts(t, key, "backhaul_watts");
      } else if (n.kind == "cellular") {
        n.up_bps = r.number(t, key, "up_bps", 1), n.down_bps = r.number(t, key, "down_bps", 1);
        if (t.get("access_j_per_bit")) n.access_j_per_bit = r.number(t, key, "access_j_per_bit", 0, 1);
      } else if (wired) {
        n.bps = r.number(t, key, "bps", 1);
        n.watts = r.watts(t, key, "watts");
        n.access_watts = r.watts(t, key, "access_watts", true);
      } else {
        r.fail(r.need(t, key, "kind"), key + ".kind",
               "expected wifi, cellular or wired, got '" + n.kind + "'");
      }
      c.networks[n.id] = n;
    }
  const toml::table* devs = root["device"].as_table();
  if (!devs) throw InputError(file.string(), "no [device.*] table");
  for (auto&& [k, node] : *devs) {
    const std::string key = "device." + std::string(k.str());
    if (!node.is_table()) r.fail(node, key, "expected a table");
    const toml::table& t = *node.as_table();
    DeviceClass d;
    d.id = k.str();
    d.name = r.text(t, key, "name");
    d.cores = static_cast<int>(r.number(t, key, "cores", 1, 4096));
    d.speeds = r.numbers(t, key, "speeds");
    d.watts_idle = r.numbers(t, key, "watts_idle");
    d.watts_epsilon = r.numbers(t, key, "watts_epsilon");
    d.watts_all_cores = r.numbers(t, key, "watts_all_cores");
    for (const auto* w : {&d.watts_idle, &d.watts_epsilon, &d.watts_all_cores})
      if (w->size() != d.speeds.size()) r.fail(t, key, "every watts list needs one entry per speed");
    // As platform files (parse_wattage): Epsilon, an intercept, may sit below idle, but power must
    // not fall as load grows.
    for (std::size_t i = 0; i < d.speeds.size(); ++i)
      if (!(d.watts_idle[i] <= d.watts_all_cores[i] && d.watts_epsilon[i] <= d.watts_all_cores[i]))
        r.fail(t, key, fmt::format("state {}: idle and epsilon watts must not exceed all-cores watts", i));
    d.watts_off = r.number(t, key, "watts_off", 0, 1e6);
    d.battery_wh = r.number(t, key, "battery_wh", 0, 1e6);
    d.network = r.text(t, key, "network");
    if (!c.networks.count(d.network))
      r.fail(r.need(t, key, "network"), key + ".network", "no network class '" + d.network + "'");
    c.devices[d.id] = d;
  }
  return c;
}

} // namespace edgetrain
