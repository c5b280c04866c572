#pragma once
// One round on SimGrid, played from the coordinator actor (on the aggregator host):
//   1. the aggregator sends each trainer its (possibly compressed) model, all at once, so the
//      transfers share links exactly as SimGrid's network model shares them;
//   2. each trainer computes local_steps x batch x training FLOPs per sample on all its cores at the
//      planned DVFS state (the whole round runs at that state): one execution, or, for a device
//      with a chooser (round.hpp), one per mini-batch, each with the option it picks just before;
//   3. it sends its update back;
//   4. the aggregator waits for all updates, or until round_timeout_s after the round started, or
//      until the run's deadline, whichever comes first: late trainers are stopped there (their
//      activities cancelled; the energy they burnt until then still counts);
//   5. it aggregates on one core: aggregation_flops_per_param x parameters of each update received.
//      Aggregation, too, stops at the deadline: a round whose aggregation cannot end by then counts
//      no update (RoundOutcome::aggregated false, every trainer unfinished), and ends at the deadline.
// Energy comes from SimGrid's plugins: a trainer's from the round start until its update arrives
// (or it is stopped), the aggregator's over the whole round, and the network's as the energy of
// every link on the routes used, over the whole round.
#include "simulator/engine/battery.hpp"
#include "simulator/engine/round.hpp"
#include "simulator/platform/platform.hpp"

namespace edgetrain {

// `deadline_s`: the run's deadline, as a clock time (infinity: none).
RoundOutcome play_round(const RoundPlan& plan, int round, const Platform& platform,
                        const ModelDescriptor& model, double aggregation_flops_per_param,
                        Batteries& batteries, double deadline_s);

} // namespace edgetrain
