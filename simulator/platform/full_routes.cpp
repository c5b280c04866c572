#include "simulator/platform/full_routes.hpp"

#include <fmt/format.h>
#include <simgrid/kernel/routing/NetPoint.hpp>
#include <simgrid/kernel/routing/NetZoneImpl.hpp>
#include <simgrid/s4u/Engine.hpp>

#include <algorithm>
#include <vector>

namespace edgetrain {

namespace {

using simgrid::kernel::routing::NetPoint;
using simgrid::kernel::routing::NetZoneImpl;

std::vector<const NetZoneImpl*> zones_above(const NetPoint* p) {
  std::vector<const NetZoneImpl*> chain;
  for (const NetZoneImpl* z = p->get_englobing_zone(); z; z = z->get_parent())
    chain.push_back(z);
  return chain;
}

// As NetZoneImpl::get_global_route: the common ancestor's local route between the children
// holding each end, then, for a zone route, from the source to its gateway and from the other
// gateway to the destination. `depth` bounds a malformed file's gateway loops.
MissingRoute check(const NetPoint* src, const NetPoint* dst, const PlatformScan& scan, int depth) {
  if (src == dst || depth > 64) return {};
  const std::vector<const NetZoneImpl*> up_src = zones_above(src), up_dst = zones_above(dst);
  const auto common = std::find_first_of(up_src.begin(), up_src.end(), up_dst.begin(), up_dst.end());
  if (common == up_src.end()) return {};
  const NetZoneImpl* zone = *common;
  const auto child_of = [&](const NetPoint* p, const std::vector<const NetZoneImpl*>& up) -> const NetPoint* {
    if (up.front() == zone) return p;
    const auto it = std::find(up.begin(), up.end(), zone);
    return (*(it - 1))->get_netpoint();
  };
  const NetPoint* a = child_of(src, up_src);
  const NetPoint* b = child_of(dst, up_dst);
  if (a == b) return {};
  const auto full = scan.full_zones.find(zone->get_name());
  if (full == scan.full_zones.end()) return {}; // a graph or cluster zone: SimGrid's own error
  const auto route = full->second.routes.find({a->get_name(), b->get_name()});
  if (route == full->second.routes.end())
    return {full->second.where,
            fmt::format("zone '{}' has no route from '{}' to '{}'", zone->get_name(), a->get_name(), b->get_name())};
  const auto& [gw_src, gw_dst] = route->second;
  if (gw_src.empty() || gw_dst.empty()) return {};
  const simgrid::s4u::Engine* e = simgrid::s4u::Engine::get_instance();
  const NetPoint* gs = e->netpoint_by_name_or_null(gw_src);
  const NetPoint* gd = e->netpoint_by_name_or_null(gw_dst);
  if (!gs || !gd) return {}; // SimGrid refused such a file already
  MissingRoute missing = check(src, gs, scan, depth + 1);
  return missing.what.empty() ? check(gd, dst, scan, depth + 1) : missing;
}

} // namespace

MissingRoute missing_full_route(const simgrid::s4u::Host* from, const simgrid::s4u::Host* to,
                                const PlatformScan& scan) {
  if (scan.has_bypass) return {};
  return check(from->get_netpoint(), to->get_netpoint(), scan, 0);
}

} // namespace edgetrain
