#pragma once
// How a planning policy learns from a round it played: per node, the ratio of observed to predicted
// compute seconds, communication seconds and host joules (contention, traces and SimGrid's network model make
// them differ); the round's overhead watts; and the loss progress against the predictor's. Each correction
// moves halfway (geometrically) towards what the round showed, within bounds, so one odd round cannot derail
// the plan.
#include "policies/pact/problem.hpp"

namespace edgetrain {

void update_corrections(Corrections& c, const Problem& predicted, const RoundChoice& played,
                        const RoundOutcome& outcome, double loss_after);

} // namespace edgetrain
