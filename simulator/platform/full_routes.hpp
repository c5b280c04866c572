#pragma once
// SimGrid 3.32 answers a route missing from a Full zone with no link at all and says nothing: a
// phone whose uplink <route> was deleted would send its updates over the rest of the path alone
// (the backbone's 10 Gbit/s). This walks the zones between two hosts as SimGrid does, with the
// routes the file declares, and names the first one missing.
#include "simulator/platform/platform_check.hpp"

#include <simgrid/s4u/Host.hpp>

#include <string>

namespace edgetrain {

// Empty `what` when every Full zone on the way from `from` to `to` has the route it needs;
// otherwise the zone's "file:line" and "zone 'z' has no route from 'a' to 'b'". Zones of other
// kinds compute their routes from their graphs and are not checked here (a route missing there
// is SimGrid's error).
struct MissingRoute {
  std::string where, what;
};
MissingRoute missing_full_route(const simgrid::s4u::Host* from, const simgrid::s4u::Host* to,
                                const PlatformScan& scan);

} // namespace edgetrain
