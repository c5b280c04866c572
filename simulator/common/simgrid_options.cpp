#include "simulator/common/simgrid_options.hpp"

#include "simulator/common/nearest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>

namespace edgetrain {

namespace {

// ns-3 is left out: SimGrid's link energy plugin, which edgetrain relies on, refuses to run with
// it; so is the Constant network model, which aborts with the energy plugins.
enum class Kind { Choice, Bool, Positive, NonNegative, Text, OutputFile };
struct Option {
  Kind kind;
  std::vector<std::string> choices;
  double min = 0, max = std::numeric_limits<double>::infinity(); // for numbers
};
const std::map<std::string, Option> kOptions = {
    {"network/model", {Kind::Choice, {"LV08", "CM02", "SMPI", "IB"}}},
    {"cpu/model", {Kind::Choice, {"Cas01"}}},
    {"host/model", {Kind::Choice, {"default", "compound", "ptask_L07"}}},
    {"cpu/optim", {Kind::Choice, {"Lazy", "Full"}}},
    {"network/optim", {Kind::Choice, {"Lazy", "Full"}}},
    {"network/crosstraffic", {Kind::Bool, {}}},
    {"network/latency-factor", {Kind::Positive, {}}},
    {"network/bandwidth-factor", {Kind::Positive, {}}},
    {"network/TCP-gamma", {Kind::NonNegative, {}}},
    {"network/weight-S", {Kind::NonNegative, {}}},
    {"network/loopback-bw", {Kind::Positive, {}}},
    {"network/loopback-lat", {Kind::NonNegative, {}}},
    {"maxmin/precision", {Kind::Positive, {}}},
    {"surf/precision", {Kind::Positive, {}}},
    {"path", {Kind::Text, {}}},
    // Paje traces of the run (SimGrid's own, beside edgetrain's outputs): the file's folder must
    // exist, or SimGrid aborts at the first event.
    {"tracing", {Kind::Bool, {}}},
    {"tracing/platform", {Kind::Bool, {}}},
    {"tracing/categorized", {Kind::Bool, {}}},
    {"tracing/uncategorized", {Kind::Bool, {}}},
    {"tracing/actor", {Kind::Bool, {}}},
    {"tracing/filename", {Kind::OutputFile, {}}},
    // Actor stacks (KiB) and guard pages: 100,000 concurrent trainers exceed Linux's default
    // vm.max_map_count with SimGrid's 8 MiB stacks and guard pages; smaller stacks without guards
    // come from the heap. Below 64 KiB SimGrid crashes.
    {"contexts/stack-size", {Kind::Positive, {}, 64, 1048576}},
    {"contexts/guard-size", {Kind::NonNegative, {}, 0, 16}},
    // How actors switch: raw (SimGrid's default, fastest), ucontext, or thread (a system thread
    // per actor, slower: what AddressSanitizer and Valgrind can follow). The results are the same.
    {"contexts/factory", {Kind::Choice, {"raw", "ucontext", "thread"}}},
};
const std::vector<std::string> kBools = {"0", "1", "yes", "no", "on", "off", "true", "false"};

bool in(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

} // namespace

const std::vector<std::string>& simgrid_bool_words() {
  return kBools;
}

std::vector<std::string> simgrid_option_names() {
  std::vector<std::string> names;
  for (const auto& [name, o] : kOptions)
    names.push_back(name);
  return names;
}

std::string simgrid_option_problem(const std::string& name, const std::string& value) {
  auto it = kOptions.find(name);
  if (it == kOptions.end()) {
    const std::string hint = nearest(name, simgrid_option_names());
    return fmt::format("{}: not a SimGrid option edgetrain passes on{} (it passes: {})", name,
                       hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint), join(simgrid_option_names()));
  }
  const Option& o = it->second;
  std::string problem;
  char* end = nullptr;
  const double x = std::strtod(value.c_str(), &end);
  const bool number = !value.empty() && *end == '\0' && std::isfinite(x);
  switch (o.kind) {
  case Kind::Choice:
    if (!in(o.choices, value)) problem = fmt::format("'{}' is not one of: {}", value, join(o.choices));
    if (name == "network/model" && value == "ns-3")
      problem += " (ns-3 cannot run with SimGrid's link energy plugin, which edgetrain uses)";
    break;
  case Kind::Bool:
    if (!in(kBools, value)) problem = fmt::format("'{}' is not one of: {}", value, join(kBools));
    break;
  case Kind::Positive:
    if (!number || x <= 0) problem = fmt::format("'{}' must be a finite number > 0", value);
    break;
  case Kind::NonNegative:
    if (!number || x < 0) problem = fmt::format("'{}' must be a finite number >= 0", value);
    break;
  case Kind::Text:
    break;
  case Kind::OutputFile: {
    const std::filesystem::path file(value), dir = file.parent_path().empty() ? "." : file.parent_path();
    std::error_code ec;
    if (value.empty() || std::filesystem::is_directory(file, ec))
      problem = fmt::format("'{}' is not a file name", value);
    else if (!std::filesystem::is_directory(dir, ec))
      problem = fmt::format("'{}': no folder '{}'", value, dir.string());
    break;
  }
  }
  if (problem.empty() && (o.kind == Kind::Positive || o.kind == Kind::NonNegative) && (x < o.min || x > o.max))
    problem = fmt::format("'{}' must be between {} and {}", value, o.min, o.max);
  return problem.empty() ? "" : name + ": " + problem;
}

} // namespace edgetrain
