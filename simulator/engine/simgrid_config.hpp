#pragma once
// SimGrid settings from the command line (--cfg=...) and the scenario (platform.simgrid_cfg),
// checked before SimGrid sees them: SimGrid aborts the process on an unknown model name, and
// its error for an unknown key lists every key it has.
#include "simulator/scenario/scenario.hpp"

#include <simgrid/s4u/Engine.hpp>

#include <memory>
#include <string>
#include <vector>

namespace edgetrain {

// Builds the engine from --cfg/--log arguments (quiet logs unless verbose), then applies the
// scenario's settings that the command line does not override. Throws InputError.
std::unique_ptr<simgrid::s4u::Engine> make_engine(const Scenario& scenario,
                                                  const std::vector<std::string>& simgrid_args, bool verbose);

} // namespace edgetrain
