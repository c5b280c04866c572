#pragma once
// How a planning policy learns from a round it played: per node, the ratio of observed to predicted
// compute seconds, communication seconds and host joules (contention, traces and SimGrid's network model make
// them differ), and the round's overhead watts: each moves halfway (geometrically) towards what the round
// showed, within bounds, so one odd round cannot derail the plan. And the loss progress: the predictor's
// rate scale and trainer-count exponent are refitted to the last 100 rounds played (refit_progress), so a
// predictor fitted on other runs that promises too much from each added trainer learns otherwise.
#include "policies/pact/problem.hpp"

namespace edgetrain {

void update_corrections(Corrections& c, const Problem& predicted, const RoundChoice& played,
                        const RoundOutcome& outcome, double loss_after);

// Least squares of each observed round's progress (the log of its loss gap's shrinking), on a log
// scale, over the rate factor (c.rate, in [0.05, 20]) and the exponent (c.exponent, in [0, 1]) of
// `prior`, with a prior pull towards 1 (within a factor e) and prior.participation_exponent (within
// 0.5), weighed as rounds that swing by half their progress: with few rounds, or all of one trainer
// count, the exponent stays near the predictor's.
void refit_progress(Corrections& c, const LossModel& prior);

} // namespace edgetrain
