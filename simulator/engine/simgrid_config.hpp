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

// Each SimGrid actor's stack is a memory mapping, and its guard page splits it in two: tens of
// thousands of trainers at once exceed Linux's vm.max_map_count (65,530 by default) and SimGrid
// aborts ("Failed to protect stack") at the first round. Called once the platform is loaded,
// before any actor exists: when `actors` stacks with guard pages would not fit, guard pages are
// turned off (contexts/guard-size:0; the stacks are the same, only overflow detection is lost),
// unless the user set the guard size, which is then refused with the fix named.
void fit_actor_stacks(std::size_t actors, const std::string& where);

// The stack, in KiB, of each trainer actor and its proxy (round_play): they run a few frames of
// SimGrid and edgetrain code (a device chooser's at most). The whole suite passes with 8 KiB and
// overflows at 4 KiB; 64 leaves room. Sanitizer builds' frames are larger: 1024 there. The user's
// contexts/stack-size, when set, wins. The coordinator, which runs the policies, keeps SimGrid's
// default (8 MiB). Without guard pages SimGrid zeroes every stack it allocates, so their size is
// memory: 100,000 trainers with 8 MiB stacks would need 1.6 TB.
unsigned round_actor_stack_kib();

} // namespace edgetrain
