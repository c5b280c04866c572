#pragma once
// Baselines DISTREAL is measured against (REFERENCES.md), each a policy. All train the sampled
// trainers (policy.<name>.k of the online ones each round, 0 = all) and differ in how they handle
// slow devices:
//   fedavg-deadline  drops stragglers: the round stops at round_s (default: the 70th percentile of
//                    the sampled trainers' predicted times), late updates are lost;
//   fed-dropout      Federated Dropout (Caldas et al. 2018): each device gets its own random
//                    sub-model, `keep` of every prunable layer's units, fixed for the round; only
//                    the sub-model moves and is averaged back (Compression::Mode::Submodel);
//   heterofl         HeteroFL (Diao et al. 2021): a static width per device from its peak FLOP/s,
//                    the widest of `widths` whose cost (width^2 of the full model's, conv layers
//                    scaling with in x out) fits its share of the fastest device's; nested
//                    sub-models (the first channels), averaged over the devices that hold them;
//   fedprox-partial  FedProx (Li et al. 2020): each device runs the local steps that fit in
//                    round_s (default: the median predicted time of a full round), at least one,
//                    and trains with the proximal term mu (the trained process applies it; the
//                    surrogate's loss model has no term for it).
#include "policies/policy.hpp"

namespace edgetrain {
PolicyInfo fedavg_deadline_policy_info();
PolicyInfo fed_dropout_policy_info();
PolicyInfo heterofl_policy_info();
PolicyInfo fedprox_partial_policy_info();
} // namespace edgetrain
