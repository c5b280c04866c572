#include "simulator/engine/simgrid_config.hpp"

#include "simulator/common/error.hpp"
#include "simulator/common/nearest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

namespace edgetrain {

namespace {

// The SimGrid options edgetrain passes on, with the values each may take. SimGrid 3.32 aborts,
// crashes or hangs on bad values of many options (an unknown model name, cpu/optim:TI,
// contexts/stack-size:1, surf/precision:-1), so only options checked to work are let through.
// ns-3 is left out: SimGrid's link energy plugin, which edgetrain relies on, refuses to run with
// it; so is the Constant network model, which aborts with the energy plugins.
enum class Kind { Choice, Bool, Positive, NonNegative, Text };
struct Option {
  Kind kind;
  std::vector<std::string> choices;
  double min = 0, max = std::numeric_limits<double>::infinity();  // for numbers
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
    // Actor stacks (KiB) and guard pages: 100,000 concurrent trainers exceed Linux's default
    // vm.max_map_count with SimGrid's 8 MiB stacks and guard pages; smaller stacks without guards
    // come from the heap. Below 64 KiB SimGrid crashes.
    {"contexts/stack-size", {Kind::Positive, {}, 64, 1048576}},
    {"contexts/guard-size", {Kind::NonNegative, {}, 0, 16}},
};
const std::vector<std::string> kBools = {"0", "1", "yes", "no", "on", "off", "true", "false"};

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

std::vector<std::string> option_names() {
  std::vector<std::string> names;
  for (const auto& [name, o] : kOptions)
    names.push_back(name);
  return names;
}

bool in(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// Splits "name:value"; throws InputError at `where` for anything SimGrid would abort on.
std::pair<std::string, std::string> check(const std::string& cfg, const std::string& where) {
  const std::size_t colon = cfg.find(':');
  if (colon == std::string::npos || colon == 0)
    throw InputError(where, fmt::format("'{}' is not of the form name:value", cfg));
  std::string name = cfg.substr(0, colon), value = cfg.substr(colon + 1);
  auto it = kOptions.find(name);
  if (it == kOptions.end()) {
    const std::string hint = nearest(name, option_names());
    throw InputError(where, fmt::format("{}: not a SimGrid option edgetrain passes on{} (it passes: {})",
                                        name, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                                        join(option_names())));
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
  }
  if (problem.empty() && (o.kind == Kind::Positive || o.kind == Kind::NonNegative) && (x < o.min || x > o.max))
    problem = fmt::format("'{}' must be between {} and {}", value, o.min, o.max);
  if (!problem.empty()) throw InputError(where, name + ": " + problem);
  return {name, value};
}

// --log=category.setting:value, in the forms SimGrid 3.32 takes without aborting.
void check_log(const std::string& arg) {
  const std::string spec = arg.substr(6);
  const std::size_t colon = spec.find(':'), dot = spec.rfind('.', colon);
  const auto bad = [&](const std::string& why) { throw InputError(arg, "SimGrid log setting: " + why); };
  if (colon == std::string::npos || dot == std::string::npos || dot == 0)
    bad("expected category.setting:value, e.g. --log=edgetrain_engine.thres:verbose");
  const std::string category = spec.substr(0, dot), setting = spec.substr(dot + 1, colon - dot - 1),
                    value = spec.substr(colon + 1);
  if (category.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
      std::string::npos)
    bad(fmt::format("'{}' is not a category name (letters, digits and _ only)", category));
  const std::vector<std::string> levels = {"trace",   "debug", "verbose", "info",
                                           "warning", "error", "critical"};
  if (setting == "thres" || setting == "threshold") {
    if (!in(levels, value)) bad(fmt::format("level '{}' is not one of: {}", value, join(levels)));
  } else if (setting == "add" || setting == "additivity") {
    if (!in(kBools, value)) bad(fmt::format("'{}' is not one of: {}", value, join(kBools)));
  } else if (setting == "app" || setting == "appender") {
    if (value.rfind("file:", 0) != 0 || value.size() == 5) bad("an appender is file:PATH");
  } else if (setting != "fmt") {
    bad(fmt::format("'{}' is not one of: thres, fmt, app, add", setting));
  }
}

} // namespace

std::unique_ptr<simgrid::s4u::Engine>
make_engine(const Scenario& scenario, const std::vector<std::string>& simgrid_args, bool verbose) {
  std::vector<std::string> from_cli;
  for (const std::string& a : simgrid_args) {
    if (a.rfind("--cfg=", 0) == 0) from_cli.push_back(check(a.substr(6), a).first);
    if (a.rfind("--log=", 0) == 0) check_log(a);
  }

  // SimGrid reads its options from an argv: ours first (quiet by default), the user's after, so
  // that theirs win. The engine keeps pointers into argv: static storage, one engine a process.
  static std::vector<std::string> args;
  args = {"edgetrain"};
  if (!verbose) {
    args.emplace_back("--log=root.thres:warning");
    args.emplace_back("--log=host_energy.thres:error"); // we warn about hosts without power ourselves
  }
  args.insert(args.end(), simgrid_args.begin(), simgrid_args.end());
  static std::vector<char*> argv;
  argv.clear();
  for (std::string& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  std::unique_ptr<simgrid::s4u::Engine> engine;
  try {
    engine = std::make_unique<simgrid::s4u::Engine>(&argc, argv.data());
  } catch (const std::exception& e) {
    throw InputError("command line", "SimGrid option: " + first_line(e.what()));
  }

  const std::string where = scenario.where("platform.simgrid_cfg");
  for (const std::string& cfg : scenario.simgrid_cfg) {
    const std::string name = check(cfg, where + ": platform.simgrid_cfg").first;
    if (std::find(from_cli.begin(), from_cli.end(), name) != from_cli.end())
      continue; // the command line wins
    try {
      engine->set_config(cfg);
    } catch (const std::exception& e) {
      throw InputError(where, fmt::format("platform.simgrid_cfg: '{}': {}", cfg, first_line(e.what())));
    }
  }
  return engine;
}

} // namespace edgetrain
