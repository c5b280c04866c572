#pragma once
// Availability over time: the edgetrain trace format, read with line-precise errors and attached
// to hosts and links as SimGrid profiles (speed, state, bandwidth), so that SimGrid itself slows
// hosts down, switches them off and on, and narrows links.
//
// Format (plain text; '#' starts a comment; blank lines are ignored):
//
//   [host rpi4-1 speed]      one section per resource and kind: host speed | host state |
//   0 1.0                    link bandwidth | link state. Then "TIME VALUE" lines, times in
//   3600 0.5                 seconds from the start, strictly increasing, the first at 0 or later.
//   loop 86400               optional last line: the section repeats with this period (>= 1 s),
//   [host phone-3 state]     which must be above its last time.
//   0 1
//   1800 0
//
// speed and bandwidth are the fraction of the nominal value available, in [1e-6, 1]; state is 1
// (on) or 0 (off). A resource has at most one section per kind. Link sections hold one value at
// time 0 (a fixed fraction, or off throughout): SimGrid 3.32 takes time-varying link profiles
// only from the platform file's own bandwidth_file / state_file attributes.
#include <simgrid/s4u/Engine.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace edgetrain {

struct TraceSection {
  std::string resource;                          // "host" or "link"
  std::string name;                              // host or link name
  std::string kind;                              // "speed", "state" or "bandwidth"
  std::vector<std::pair<double, double>> points; // (time, value)
  double loop = -1;                              // period, or -1 for none
  std::string where;                             // "file:line" of the section header
};

// Reads a trace file. `shown` is the file's name as messages give it. Throws InputError naming
// "shown:line" for anything malformed: a bad header, a time going backwards, a value out of range.
std::vector<TraceSection> read_traces(const std::filesystem::path& file, const std::string& shown);

// Writes sections in the same format (generators use it).
std::string format_traces(const std::vector<TraceSection>& sections);

// Attaches every section to its resource as SimGrid creates it: call BEFORE loading the platform
// (SimGrid refuses profiles on links once they are sealed). Throws InputError (at the section's
// line) for a second section of the same kind for one resource.
void attach_traces_on_creation(const std::vector<TraceSection>& sections);
// After loading: applies the (constant) link sections, and throws InputError (at the section's
// line) for a host or link that is not there.
void check_traces_attached(const simgrid::s4u::Engine& engine, const std::vector<TraceSection>& sections);

} // namespace edgetrain
