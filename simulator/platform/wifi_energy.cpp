#include "simulator/platform/wifi_energy.hpp"

#include <fmt/format.h>
#include <simgrid/kernel/resource/Action.hpp>
#include <simgrid/kernel/resource/Model.hpp>
#include <simgrid/plugins/energy.h>
#include <simgrid/s4u/Engine.hpp>
#include <xbt/log.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <typeinfo>

XBT_LOG_NEW_DEFAULT_CATEGORY(edgetrain_wifi_energy,
                             "edgetrain: WiFi link energy, as the wifi energy plugin books it");

// How the plugin's bookkeeping is followed with SimGrid 3.32's public API.
//
// The plugin (LinkEnergyWifi::update) books a link at every start (CommImpl::on_start) and end
// (Link::on_communication_state_change, CommImpl::on_completion) of a transfer crossing it, reading
// each flow's cost, start time and current rate off the link's LMM constraint. Of those events only
// the end is public; rates are public through Engine::get_all_models() (each model's action sets)
// and Action::get_rate(). Starts are seen afterwards: an action we have not met yet started at the
// current time step (its start time says when), before any new sharing was solved, so the rates the
// plugin read then are those of the snapshot taken when the clock last advanced. We book its start
// then, before anything later. Several events at one time: only the first books (the plugin skips
// intervals under 1e-6 s).
//
// Which link an action crosses is not public either (NetworkAction::get_links() is not in the
// installed headers); whether it crosses a WIFI link is: its class is then WifiLinkAction. So one
// WIFI link in use can be metered exactly (every such action crosses it); with several, none is.
//
// Flows are keyed by action address, as the plugin's flowTmp map is, and their bytes sent kept in
// an int, as there: the figures match the plugin's, quirks included (an int count a fraction short
// of the size keeps the entry, which a later action at the same address inherits).

namespace sg4 = simgrid::s4u;
using simgrid::kernel::resource::Action;

namespace edgetrain::wifi_energy {

namespace {

struct Flow { // one flow as the plugin reads it at an update
  const Action* id;
  double cost, rate, start;
};

struct Meter {
  sg4::Link* link = nullptr;
  Power p;
  double hosts = 0; // H: the stations attached (WifiLinkImpl::get_host_count)
  double e_dyn = 0, e_stat = 0, prev = 0, dur_txrx = 0, dur_idle = 0;
  double snap_usage = 0;                                    // Link::get_usage() when the clock last advanced
  std::map<const Action*, std::pair<int, double>> flow_tmp; // the plugin's: bytes sent, last update
};

struct State {
  std::map<std::string, std::set<std::string>> stations; // by link; names, as WifiLinkImpl keeps them
  std::vector<Meter> meters;
  std::vector<Flow> snap;               // WiFi flows when the clock last advanced
  std::map<const Action*, double> seen; // start time of each WiFi action seen alive
  bool hooked = false;
};

State& state() {
  static State s;
  return s;
}

// `int += double`, as the plugin counts bytes: truncation, and what x86-64 gives out of range.
int plugin_int(double x) {
  if (!(x > static_cast<double>(INT_MIN) - 1.0 && x < static_cast<double>(INT_MAX) + 1.0)) return INT_MIN;
  return static_cast<int>(x);
}

// LinkEnergyWifi::update, for `flows` (the link's) with `usage` the link's LMM usage.
void book(Meter& m, double now, const std::vector<Flow>& flows, double usage) {
  const double duration = now - m.prev;
  m.prev = now;
  if (duration < 1e-6) return;
  double dur_usage = 0;
  for (const Flow& f : flows) {
    if (f.rate == 0.0) continue;
    auto it = m.flow_tmp.find(f.id);
    if (it == m.flow_tmp.end()) it = m.flow_tmp.emplace(f.id, std::pair<int, double>(0, f.start)).first;
    double du = (f.cost - it->second.first) / f.rate;
    if (du > now - it->second.second) du = now - it->second.second;
    if (du > dur_usage) dur_usage = du;
    it->second.first = plugin_int(it->second.first + du * f.rate);
    it->second.second = now;
    if (it->second.first >= f.cost) m.flow_tmp.erase(it);
  }
  const double h = m.hosts;
  m.e_dyn += duration * m.p.control_duration * h * m.p.rx;
  if (usage != 0.0) {
    m.e_dyn += dur_usage * ((h * m.p.rx) + m.p.tx);
    m.e_stat += (duration - dur_usage) * m.p.idle * (h + 1);
    m.dur_txrx += duration;
  } else {
    m.dur_idle += duration;
    m.e_stat += (duration - (duration * m.p.control_duration)) * m.p.idle * (h + 1);
  }
}

// LinkEnergyWifi::update_destroy on a copy: the energy the plugin would report at `now`.
Meter destroyed(Meter m, double now) {
  const double duration = now - m.prev;
  m.prev = now;
  m.dur_idle += duration;
  m.e_dyn += duration * m.p.control_duration * m.hosts * m.p.rx;
  m.e_stat += (duration - (duration * m.p.control_duration)) * m.p.idle * (m.hosts + 1);
  return m;
}

bool is_wifi_action(const Action& a) {
  const char* name = typeid(a).name();
  if (*name == '*') ++name;
  return std::strcmp(name, "N7simgrid6kernel8resource14WifiLinkActionE") == 0;
}

// The WiFi flows alive now: actions running, or ended but not yet released (the plugin still sees
// those on the constraint).
std::vector<Flow> scan() {
  std::vector<Flow> flows;
  for (auto* model : sg4::Engine::get_instance()->get_all_models())
    for (const auto* set :
         {model->get_started_action_set(), model->get_failed_action_set(), model->get_finished_action_set()})
      for (const Action& a : *set)
        if (is_wifi_action(a)) flows.push_back({&a, a.get_cost(), a.get_rate(), a.get_start_time()});
  return flows;
}

// Books the starts not met yet (see the top of the file); returns the flows alive now.
std::vector<Flow> catch_up(State& s) {
  std::vector<Flow> flows = scan();
  bool started = false;
  double when = 0;
  std::map<const Action*, double> seen;
  for (const Flow& f : flows) {
    const auto it = s.seen.find(f.id);
    if (it == s.seen.end() || it->second != f.start) started = true, when = f.start;
    seen.emplace(f.id, f.start);
  }
  s.seen = std::move(seen);
  if (started)
    for (Meter& m : s.meters)
      book(m, when, s.snap, m.snap_usage);
  return flows;
}

void hook(State& s) {
  if (s.hooked) return;
  s.hooked = true;
  sg4::Link::on_communication_state_change_cb(
      [](simgrid::kernel::resource::NetworkAction& action, Action::State /*previous*/) {
        State& st = state();
        if (st.meters.empty()) return;
        const std::vector<Flow> flows = catch_up(st);
        // NetworkAction derives from Action alone: both name the same address.
        const void* changed = &action;
        if (std::none_of(flows.begin(), flows.end(), [&](const Flow& f) { return f.id == changed; })) return;
        for (Meter& m : st.meters)
          book(m, sg4::Engine::get_clock(), flows, m.link->get_usage());
      });
  sg4::Engine::on_time_advance_cb([](double /*delta*/) {
    State& st = state();
    if (st.meters.empty()) return;
    st.snap = catch_up(st);
    for (Meter& m : st.meters)
      m.snap_usage = m.link->get_usage();
  });
  // The plugin's figure is logged there too: the end-of-run figures can be compared.
  sg4::Link::on_destruction_cb([](const sg4::Link& l) {
    for (const Meter& m : state().meters)
      if (m.link == &l) {
        const Meter d = destroyed(m, sg4::Engine::get_clock());
        XBT_INFO("Link %s destroyed, consumed: %.17g J dyn: %.17g stat: %.17g durIdle: %.17g durTxRx: %.17g",
                 l.get_cname(), d.e_dyn + d.e_stat, d.e_dyn, d.e_stat, d.dur_idle, d.dur_txrx);
      }
  });
}

const Meter* find(const sg4::Link* l) {
  for (const Meter& m : state().meters)
    if (m.link == l) return &m;
  return nullptr;
}

// One value the plugin reads with std::stod; trailing text, non-finite and negative values refused.
double number(const std::string& text, const std::string& what) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  while (end != begin && (*end == ' ' || *end == '\t'))
    ++end;
  if (end == begin || *end != '\0' || !std::isfinite(v) || v < 0)
    throw std::invalid_argument(fmt::format("{} '{}' is not a number >= 0", what, text));
  return v;
}

} // namespace

Power read_power(const char* wifi_watt_values, const char* control_duration) {
  Power p;
  if (control_duration) {
    p.control_duration = number(control_duration, "property control_duration");
    if (p.control_duration > 1)
      throw std::invalid_argument(fmt::format(
          "property control_duration '{}' is a fraction of time: between 0 and 1", control_duration));
  }
  if (!wifi_watt_values) return p;
  const std::string w = wifi_watt_values;
  if (w.find(',') != std::string::npos)
    throw std::invalid_argument(
        fmt::format("property wifi_watt_values '{}': one idle:tx:rx:sleep group, which the plugin applies to "
                    "every station (given several, it keeps the last)",
                    w));
  std::vector<std::string> parts;
  for (std::size_t from = 0;;) {
    const std::size_t colon = w.find(':', from);
    parts.push_back(w.substr(from, colon - from));
    if (colon == std::string::npos) break;
    from = colon + 1;
  }
  if (parts.size() != 4)
    throw std::invalid_argument(
        fmt::format("property wifi_watt_values '{}' must be idle:tx:rx:sleep, four watts >= 0", w));
  const std::string what = "property wifi_watt_values: ";
  p.idle = number(parts[0], what + "idle");
  p.tx = number(parts[1], what + "tx");
  p.rx = number(parts[2], what + "rx");
  p.sleep = number(parts[3], what + "sleep");
  return p;
}

void attach_station(sg4::Link* link, const sg4::Host* host, int level) {
  link->set_host_wifi_rate(host, level);
  state().stations[link->get_name()].insert(host->get_name());
}

std::vector<sg4::Link*> meter(const std::vector<sg4::Link*>& wifi_links_used) {
  State& s = state();
  s.meters.clear();
  if (wifi_links_used.size() != 1) return {};
  sg4::Link* l = wifi_links_used.front();
  const char* w = l->get_property("wifi_watt_values");
  if (!w) return {};
  Meter m;
  m.link = l;
  try {
    m.p = read_power(w, l->get_property("control_duration"));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("link '{}': {}", l->get_name(), e.what()));
  }
  m.hosts = static_cast<double>(s.stations[l->get_name()].size());
  s.meters.push_back(std::move(m));
  hook(s);
  return {l};
}

bool metered(const sg4::Link* link) {
  return find(link) != nullptr;
}

double link_consumed_j(const sg4::Link* link) {
  const Meter* m = find(link);
  if (!m) return sg_link_get_consumed_energy(link);
  catch_up(state());
  const Meter d = destroyed(*m, sg4::Engine::get_clock());
  return d.e_dyn + d.e_stat;
}

double idle_w(const sg4::Link* link) {
  const Meter* m = find(link);
  if (!m) return 0;
  const Power& p = m->p;
  return p.control_duration * m->hosts * p.rx + (1 - p.control_duration) * p.idle * (m->hosts + 1);
}

double airtime_w(const sg4::Link* link) {
  const Meter* m = find(link);
  if (!m) return 0;
  const Power& p = m->p;
  return (m->hosts * p.rx + p.tx) - p.idle * (m->hosts + 1);
}

} // namespace edgetrain::wifi_energy
