#pragma once
// The run's rules, owned by the engine and applied the same way to every policy's plan (DESIGN.md:
// policies only decide). Before a round is played:
//   - steps and batch a policy left at 0 become the scenario's (training.local_steps, .batch);
//   - steps and batch above training.max_local_steps / .max_batch are clipped to them;
//   - the round's timeout is at most training.round_timeout_s (a policy may only shorten it).
// The deadline is applied while the round plays (round_play.hpp): nothing runs past it.
#include "simulator/engine/round.hpp"
#include "simulator/scenario/scenario.hpp"

#include <string>
#include <vector>

namespace edgetrain {

TrainingLimits limits_of(const TrainingSpec& t);

// Fills in and clips `plan` in place; returns one line per change (naming the hosts of `nodes`),
// for the log.
std::vector<std::string> apply_rules(RoundPlan& plan, const TrainingLimits& limits,
                                     const std::vector<NodeView>& nodes);

} // namespace edgetrain
