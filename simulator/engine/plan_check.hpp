#pragma once
// The engine validates every plan a policy returns: a policy bug must surface as a clear error,
// not as a silently wrong simulation.
#include "simulator/engine/round.hpp"
#include "simulator/platform/platform.hpp"

namespace edgetrain {

// Throws std::invalid_argument describing the first problem found.
void check_plan(const RoundPlan& plan, const Platform& platform, const ModelDescriptor& model,
                const std::vector<NodeView>& views);

} // namespace edgetrain
