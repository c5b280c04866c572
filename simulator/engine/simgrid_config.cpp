#include "simulator/engine/simgrid_config.hpp"

#include "simulator/common/error.hpp"
#include "simulator/common/nearest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace edgetrain {

namespace {

// Model names SimGrid 3.32 accepts. ns-3 is left out: SimGrid's link energy plugin, which
// edgetrain relies on, refuses to run with it.
const std::map<std::string, std::vector<std::string>> kModels = {
    {"network/model", {"LV08", "CM02", "Constant", "SMPI", "IB"}},
    {"cpu/model", {"Cas01"}},
    {"host/model", {"default", "compound", "ptask_L07"}},
};

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// Splits "name:value"; throws InputError at `where` for anything SimGrid would abort on.
std::pair<std::string, std::string> check(const std::string& cfg, const std::string& where) {
  const std::size_t colon = cfg.find(':');
  if (colon == std::string::npos || colon == 0)
    throw InputError(where, fmt::format("'{}' is not of the form name:value", cfg));
  std::string name = cfg.substr(0, colon), value = cfg.substr(colon + 1);
  auto it = kModels.find(name);
  if (it != kModels.end() && std::find(it->second.begin(), it->second.end(), value) == it->second.end()) {
    std::string msg = fmt::format("{}: '{}' is not one of: {}", name, value, join(it->second));
    if (name == "network/model" && value == "ns-3")
      msg += " (ns-3 cannot run with SimGrid's link energy plugin, which edgetrain uses)";
    throw InputError(where, msg);
  }
  return {name, value};
}

}  // namespace

std::unique_ptr<simgrid::s4u::Engine> make_engine(const Scenario& scenario, const std::vector<std::string>& simgrid_args,
                                                  bool verbose) {
  std::vector<std::string> from_cli;
  for (const std::string& a : simgrid_args)
    if (a.rfind("--cfg=", 0) == 0) from_cli.push_back(check(a.substr(6), a).first);

  // SimGrid reads its options from an argv: ours first (quiet by default), the user's after, so
  // that theirs win. The engine keeps pointers into argv: static storage, one engine a process.
  static std::vector<std::string> args;
  args = {"edgetrain"};
  if (!verbose) {
    args.emplace_back("--log=root.thres:warning");
    args.emplace_back("--log=host_energy.thres:error");  // we warn about hosts without power ourselves
  }
  args.insert(args.end(), simgrid_args.begin(), simgrid_args.end());
  static std::vector<char*> argv;
  argv.clear();
  for (std::string& a : args) argv.push_back(a.data());
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
    if (std::find(from_cli.begin(), from_cli.end(), name) != from_cli.end()) continue;  // the command line wins
    try {
      engine->set_config(cfg);
    } catch (const std::exception& e) {
      throw InputError(where, fmt::format("platform.simgrid_cfg: '{}': {}", cfg, first_line(e.what())));
    }
  }
  return engine;
}

}  // namespace edgetrain
