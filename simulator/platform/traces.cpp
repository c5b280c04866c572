#include "simulator/platform/traces.hpp"

#include "simulator/common/error.hpp"

#include <fmt/format.h>
#include <simgrid/kernel/ProfileBuilder.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace edgetrain {

namespace {

bool number(const std::string& s, double& x) {
  std::size_t used = 0;
  try {
    x = std::stod(s, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == s.size() && std::isfinite(x);
}

// What is wrong with a value, or "" when it is fine.
std::string value_problem(const TraceSection& t, double v) {
  if (t.kind == "state") {
    if (v != 0 && v != 1) return fmt::format("state must be 0 (off) or 1 (on), got {}", v);
  } else if (!(v >= 1e-6 && v <= 1)) {
    return fmt::format("{} is a fraction of the nominal value in [1e-6, 1], got {}", t.kind, v);
  }
  return "";
}

} // namespace

std::vector<TraceSection> read_traces(const std::filesystem::path& file, const std::string& shown) {
  std::ifstream in(file);
  if (!in) throw InputError(shown, "cannot read trace file");
  std::vector<TraceSection> out;
  std::string line;
  for (int no = 1; std::getline(in, line); ++no) {
    const auto where = [&] { return fmt::format("{}:{}", shown, no); }; // only made for errors
    if (const std::size_t hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    // Split on blanks by hand: generated files have millions of lines.
    std::vector<std::string> w;
    for (std::size_t i = 0; i < line.size();) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        ++i;
      std::size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r')
        ++j;
      if (j > i) w.emplace_back(line, i, j - i);
      i = j;
    }
    if (w.empty()) continue;
    if (w[0].front() == '[') { // a section header
      std::string header = line.substr(line.find('[') + 1);
      if (header.find(']') == std::string::npos) throw InputError(where(), "section header without ']'");
      header = header.substr(0, header.find(']'));
      std::istringstream h(header);
      TraceSection t;
      if (!(h >> t.resource >> t.name >> t.kind) || !(h >> std::ws).eof())
        throw InputError(where(), "expected [host NAME speed|state] or [link NAME bandwidth|state]");
      const bool host = t.resource == "host" && (t.kind == "speed" || t.kind == "state");
      const bool link = t.resource == "link" && (t.kind == "bandwidth" || t.kind == "state");
      if (!host && !link)
        throw InputError(
            where(), fmt::format("'{} {}': a host trace is speed or state, a link trace bandwidth or state",
                                 t.resource, t.kind));
      t.where = where();
      out.push_back(std::move(t));
      continue;
    }
    if (out.empty()) throw InputError(where(), "values before any [host NAME KIND] section header");
    TraceSection& t = out.back();
    if (t.loop >= 0) throw InputError(where(), "nothing may follow 'loop' in a section");
    if (w[0] == "loop") {
      double period = 0;
      if (w.size() != 2 || !number(w[1], period)) throw InputError(where(), "expected: loop PERIOD");
      if (t.points.empty()) throw InputError(where(), "loop in a section without values");
      if (!(period > t.points.back().first))
        throw InputError(where(), fmt::format("loop period {} must be above the section's last time {}",
                                              period, t.points.back().first));
      if (period < 1) throw InputError(where(), fmt::format("loop period {} is below 1 s", period));
      t.loop = period;
      continue;
    }
    double time = 0, value = 0;
    if (w.size() != 2 || !number(w[0], time) || !number(w[1], value))
      throw InputError(where(), "expected: TIME VALUE (two numbers)");
    if (time < 0) throw InputError(where(), fmt::format("time {} is negative", time));
    if (time > 1e12) throw InputError(where(), fmt::format("time {} is beyond 1e12 s", time));
    if (!t.points.empty() && time <= t.points.back().first)
      throw InputError(where(), fmt::format("time {} does not come after the previous time {}", time,
                                            t.points.back().first));
    if (const std::string problem = value_problem(t, value); !problem.empty())
      throw InputError(where(), problem);
    t.points.emplace_back(time, value);
  }
  for (const TraceSection& t : out)
    if (t.points.empty()) throw InputError(t.where, "section without values");
  return out;
}

std::string format_traces(const std::vector<TraceSection>& sections) {
  std::string s;
  for (const TraceSection& t : sections) {
    s += fmt::format("[{} {} {}]\n", t.resource, t.name, t.kind);
    for (const auto& [time, value] : t.points)
      s += fmt::format("{} {}\n", time, value);
    if (t.loop >= 0) s += fmt::format("loop {}\n", t.loop);
  }
  return s;
}

void attach_traces_on_creation(const std::vector<TraceSection>& sections) {
  // The profiles are built now and handed over in SimGrid's creation signals, by name.
  using Profile = simgrid::kernel::profile::Profile;
  static std::map<std::string, std::vector<std::pair<std::string, Profile*>>> by_host;
  by_host.clear();
  std::set<std::string> seen;
  for (const TraceSection& t : sections) {
    const std::string id = t.resource + " " + t.name + " " + t.kind;
    if (!seen.insert(id).second) throw InputError(t.where, fmt::format("a second '{}' section", id));
    // SimGrid's own profile text: "TIME VALUE" lines; a period repeats it.
    std::string text;
    for (const auto& [time, value] : t.points)
      text += fmt::format("{} {}\n", time, value);
    Profile* profile =
        simgrid::kernel::profile::ProfileBuilder::from_string(id, text, t.loop >= 0 ? t.loop : -1);
    if (t.resource == "host")
      by_host[t.name].emplace_back(t.kind, profile);
    else if (t.points.size() != 1 || t.loop >= 0)
      throw InputError(t.where,
                       "a link trace may only hold one value at time 0 here: SimGrid 3.32 accepts link "
                       "profiles only from the platform file itself (bandwidth_file / state_file on the "
                       "<link>), not once the link exists");
  }
  static bool connected = false;
  if (connected) return;
  connected = true;
  // SimGrid 3.32 signals a host's creation more than once: attach once.
  simgrid::s4u::Host::on_creation_cb([](simgrid::s4u::Host& h) {
    auto it = by_host.find(h.get_name());
    if (it == by_host.end()) return;
    const auto mine = std::move(it->second);
    by_host.erase(it);
    for (const auto& [kind, profile] : mine) {
      if (kind == "speed")
        h.set_speed_profile(profile);
      else
        h.set_state_profile(profile);
    }
  });
}

void check_traces_attached(const simgrid::s4u::Engine& engine, const std::vector<TraceSection>& sections) {
  if (sections.empty()) return;
  // SimGrid 3.32's lookups by name walk every zone: one map of each, built once, is far faster on
  // platforms of thousands of zones and links.
  std::set<std::string> hosts;
  for (const simgrid::s4u::Host* h : engine.get_all_hosts())
    hosts.insert(h->get_name());
  std::map<std::string, simgrid::s4u::Link*> links;
  for (simgrid::s4u::Link* l : engine.get_all_links())
    links.emplace(l->get_name(), l);
  for (const TraceSection& t : sections) {
    if (t.resource == "host") {
      if (!hosts.count(t.name))
        throw InputError(t.where, fmt::format("no host '{}' in the platform", t.name));
      continue;
    }
    const auto it = links.find(t.name);
    if (it == links.end()) throw InputError(t.where, fmt::format("no link '{}' in the platform", t.name));
    if (it->second->get_sharing_policy() == simgrid::s4u::Link::SharingPolicy::WIFI)
      throw InputError(t.where,
                       fmt::format("'{}' is a WiFi link: SimGrid 3.32 cannot change its rates or state; "
                                   "give stations other wifi_rate values instead",
                                   t.name));
    // A constant link section: a fixed fraction of the bandwidth (a WiFi station's own rate on its
    // private link), or a link that is off throughout.
    const double v = t.points.front().second;
    if (t.kind == "bandwidth")
      it->second->set_bandwidth(it->second->get_bandwidth() * v);
    else if (v == 0)
      it->second->turn_off();
  }
}

} // namespace edgetrain
