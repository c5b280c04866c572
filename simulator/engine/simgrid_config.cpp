#include "simulator/engine/simgrid_config.hpp"

#include "simulator/common/error.hpp"
#include "simulator/common/nearest.hpp"
#include "simulator/common/simgrid_options.hpp"

#include <fmt/format.h>
#include <xbt/config.hpp>
#include <xbt/log.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>

XBT_LOG_NEW_DEFAULT_CATEGORY(edgetrain_simgrid_config, "edgetrain: SimGrid options");

namespace edgetrain {

namespace {

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
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
  if (const std::string problem = simgrid_option_problem(name, value); !problem.empty())
    throw InputError(where, problem);
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
    if (!in(simgrid_bool_words(), value))
      bad(fmt::format("'{}' is not one of: {}", value, join(simgrid_bool_words())));
  } else if (setting == "app" || setting == "appender") {
    if (value.rfind("file:", 0) != 0 || value.size() == 5) bad("an appender is file:PATH");
    // SimGrid aborts when it cannot open the file: its folder must exist and take files.
    const std::filesystem::path file(value.substr(5));
    const std::filesystem::path dir = file.parent_path().empty() ? "." : file.parent_path();
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      bad(fmt::format("log file '{}': no folder '{}'", file.string(), dir.string()));
    if (std::filesystem::is_directory(file, ec)) bad(fmt::format("log file '{}' is a folder", file.string()));
    if (access(dir.c_str(), W_OK) != 0)
      bad(fmt::format("log file '{}': folder '{}' is not writable", file.string(), dir.string()));
  } else if (setting != "fmt") {
    bad(fmt::format("'{}' is not one of: thres, fmt, app, add", setting));
  }
}

// How many more mappings this process may make: vm.max_map_count less those it has.
long mappings_left() {
  long max = 65530; // Linux's default, when /proc does not say
  if (std::ifstream f("/proc/sys/vm/max_map_count"); f) f >> max;
  long used = 0;
  if (std::ifstream maps("/proc/self/maps"); maps)
    for (std::string line; std::getline(maps, line);)
      ++used;
  return max - used;
}

} // namespace

void fit_actor_stacks(std::size_t actors, const std::string& where) {
  if (simgrid::config::get_value<int>("contexts/guard-size") == 0) return;
  const long left = mappings_left();
  // Two mappings an actor (its stack, split by the guard), and a margin for what SimGrid, the
  // learning process and the allocator map meanwhile.
  const long needed = 2 * static_cast<long>(actors) + 4096;
  if (needed <= left) return;
  if (!simgrid::config::is_default("contexts/guard-size"))
    throw InputError(where, fmt::format("contexts/guard-size: {} actors with guard pages need about {} memory "
                                        "mappings and this process may make {} more (vm.max_map_count): set "
                                        "--cfg=contexts/guard-size:0, or raise vm.max_map_count",
                                        actors, needed, left));
  simgrid::config::set_value("contexts/guard-size", 0);
  XBT_INFO("%zu actors at once: guard pages off (contexts/guard-size:0), or they would exceed vm.max_map_count",
           actors);
}

unsigned round_actor_stack_kib() {
  if (!simgrid::config::is_default("contexts/stack-size"))
    return static_cast<unsigned>(simgrid::config::get_value<int>("contexts/stack-size"));
#ifdef EDGETRAIN_SANITIZED
  return 1024;
#else
  return 64;
#endif
}

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
#ifdef EDGETRAIN_SANITIZED
  // A sanitizer build (EDGETRAIN_SANITIZE): AddressSanitizer cannot follow SimGrid's own stack
  // switching, and reports false overflows; it follows threads.
  args.emplace_back("--cfg=contexts/factory:thread");
#endif
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
