#pragma once
// The loss-evolution model, "data-driven and theoretical": one parametric form, motivated by SGD
// convergence bounds, that the surrogate learning process plays, PACT plans with, and
// `edgetrain calibrate` fits to traces of the trained process.
//
// For SGD with step eta on an L-smooth loss satisfying the PL condition with constant mu,
//     E[L_{t+1}] - L* <= (1 - eta mu) (E[L_t] - L*) + eta^2 L sigma^2 / 2,
// so the loss decays geometrically in the number of steps towards a floor set by the gradient
// noise (and, for federated SGD, by client drift); pruning the model raises the floor (a smaller
// model fits less) and compression makes each update worth less. Averaging more clients' updates
// mostly lowers the update's variance, so progress grows sublinearly with their number. Per
// round, with the n finished trainers i, their samples processed w_i over own data n_i, mean keep
// k_i, label mix q_i and label skew h_i (q_i's total-variation distance from uniform), and p_i = k_i
// if the model was pruned; for a nested sub-model, the share of the model the round's nested
// sub-models reach (per layer the largest nested keep, layer-weighted: the units above it stay at
// their initial weights and feed noise into the trained ones); 1 if units were dropped at random
// (every unit is trained in turn):
//     c_i  = k_i^r_i x n_i (1 - exp(-w_i / n_i))      (distinct samples seen, discounted)
// where r_i is the exponent of i's compression mode: compression_rate for a pruned model,
// dropout_rate, nested_rate or submodel_rate for the modes that leave the global model whole
// (they differ: a nested sub-model always trains the same first units, random ones spread the
// training over the model);
//     C    = sum c_i,  p = sum c_i p_i / C,  H = sum c_i h_i / C
//     U    = the total-variation distance from uniform of the round's union mix sum c_i q_i / C
//     F    = floor_loss + compression_floor (1 - p) + skew_floor U
//     rate = (1 / samples_scale) x n^(b - 1) x sum c_i (1 - h_i^skew_shape)^skew_exponent [x noise]
//     b    = participation_exponent x H
//     g    = (L - F) / (initial_loss - F)
//     L'   = F + (L - F) exp(-rate x g^tail_exponent x (1 - plateau x g))
// Label skew acts twice. A trainer's own skew h_i makes its update drift from the others' (the
// client drift of FedAvg's bounds), so it is worth less: (1 - h^skew_shape)^skew_exponent has no
// upper bound to sit at, and a one-class trainer (h -> 1) teaches nothing. skew_shape above 1 makes
// moderate skews cost far less than extreme ones, as trained LeNet-5 runs show (fitted 5.8: Dirichlet
// 0.5 trainers, h about 0.47, keep 0.88 of their value, two-shard ones, h 0.8, 0.04); at 1 (form 4)
// the extreme runs set the power and Dirichlet(0.5) campaigns came out 1.5 times too slow. The
// round's union mix U says what
// the round's average update is fitted to: one two-class trainer pulls the model towards its two
// classes (the floor rises; a loss below it climbs back), ten of them together cover every class
// (U ~ 0) whatever their own skews.
// tail_exponent 0 is the geometric decay of the PL bound; towards 1 the decay slows as the gap
// closes, like the O(1/t) bounds of general smooth SGD (for a small rate per round the gap then
// falls as 1 / (1 + rate t)), which is what trained curves show after their first rounds.
// Participation (form 4). With b = 0 the rate is the trainers' mean value: FedAvg averages updates,
// so on IID data ten trainers of 20 steps go about as far per round as one (averaging only lowers
// the update's variance), as trained LeNet-5 runs show (10 IID trainers of 10 steps: 27 rounds to a
// loss of 0.6; one of 20 steps: 19). On label-skewed data each trainer's update drifts towards its
// own classes and averaging more of them cancels the drift: b grows with the round's mean skew H,
// up to b = 1 (every sample counts the same wherever it was processed) at participation_exponent 1
// and full skew. One exponent for both (form 3) was pulled up by the skewed runs (0.78 on 85
// LeNet-5 runs) and made IID FedAvg 2.5 times too fast.
// plateau 0 is none; towards 1 the first rounds barely move the loss (small initial weights: the
// gradients grow only once the loss has started to fall), as heavily compressed and non-IID
// trained runs show.
// Coverage. Within a layer, unit u in [0, 1) (its position in the layer's width) gets from trainer
// i a share a_i(u) of its update, and is averaged over the n_i(u) trainers that send it: a = n = 1
// under Prune (the trainer trains all its pruned model); a = n = 1[u < k_il] under Nested (always
// the first units); a = n = k_il under Submodel (a random share of the units, fixed for the round,
// as in Federated Dropout); a = k_il, n = 1 under Dropout (units drawn anew at every step, so each
// is updated on a share k_il of the steps, and every unit is sent). The rate sums over layers l,
// with weights w_l, the integral over the layer's units of
//     sum_i v_i a_i(u) (1 + N_l(u) - n_i(u))^(b - 1),   N_l(u) = sum_i n_i(u)
// (v_i = c_i (1 - h_i)^skew_exponent, c_i discounted by the trainer's weighted mean keep): the
// unit's update from i is averaged with those of the others expected to send it too, so a lone
// trainer's is averaged over itself, and a unit few random sub-models reach is not counted as
// covered more often than it is. With whole models it is the formula above; with b below 1 the
// units many trainers cover are worth less each, so a HeteroFL round where strong nodes train the
// whole model loses little to its weak nodes' sub-models, and random sub-models, spread over the
// layer, lose less than nested ones of the same size.
// Swings: the loss a round reports is F + (L - F) exp(s z - s^2 / 2), z standard normal drawn every
// round, s = swing + swing_skew x H / sqrt(n): non-IID rounds of few trainers jump about their
// trend (and the run's state L goes on along it).
// Accuracy is read off a table fitted to the trained runs (accuracy_table: the accuracy at losses
// 0, initial_loss / K, ..., initial_loss, interpolated linearly, non-increasing), since trained
// accuracy is not linear in the loss: it climbs fast in the first rounds, slowly near the floor.
// Without a table, it is linear between chance (at initial_loss) and max_accuracy (at floor_loss).
#include "simulator/learning/cost_model.hpp"
#include "simulator/learning/model.hpp"

#include <vector>

namespace edgetrain {


struct LossModel {
  double initial_loss = 2.302585; // ln(10)
  double floor_loss = 0.25;
  double compression_floor = 0.6;
  double compression_rate = 0.5; // pruned models
  double dropout_rate = 0.5;
  double nested_rate = 0.5;
  double submodel_rate = 0.5;
  double plateau = 0.0;
  double samples_scale = 30000;
  double skew_exponent = 0.7; // a trainer's value is x (1 - label skew^skew_shape)^this
  double skew_shape = 1.0;    // 1: (1 - skew)^skew_exponent
  double skew_floor = 0;      // floor rise per unit of the round's union label skew
  double participation_exponent = 1.0;
  double tail_exponent = 0.0;
  double max_accuracy = 0.91;         // without a table
  std::vector<double> accuracy_table; // accuracy at losses j initial_loss / (size - 1)
  double swing = 0;      // sigma of a round's swing about its trend
  double swing_skew = 0; // its growth per unit of H / sqrt(trainers)
  // Not fitted: each prunable layer's weight in the round's rate (its share of the model's
  // training FLOPs, layer_weights()); empty: the model is one layer.
  std::vector<double> layer_weight;
};

struct Contribution {           // one trainer whose update arrived
  double samples_processed = 0; // local steps x batch
  double own_samples = 0;       // samples it holds
  double keep = 1;              // mean keep fraction of its (sub-)model
  double label_skew = 0;        // total-variation distance of its label mix from uniform
  // How the keep was applied: every mode but Prune leaves the global model whole (the floor stays).
  Compression::Mode mode = Compression::Mode::Prune;
  // Per prunable layer, the keep it trained with (averaged over its steps); empty: `keep` in
  // every layer.
  std::vector<double> layer_keep;
  // its data's share of each class (empty: uniform, as far as the round's union mix goes)
  std::vector<double> label_mix;
};

// The exponent of keep in a trainer's value under a compression mode.
double mode_rate(const LossModel& m, Compression::Mode mode);
// What a trainer's samples are worth at this keep under a mode of this rate: keep^rate.
double keep_discount(double keep, double rate);

// The loss after one round from `loss`; `noise` multiplies the rate (1: the expected step).
// With every trainer at the same penalty-weighted skew, rate = round_rate(sum of trainer_value, n):
// planners (PACT) use these pieces to cost a node set without building Contributions.
// `floor`, if given, receives the round's floor F (what the round's swing is about).
double next_loss(const LossModel& m, double loss, const std::vector<Contribution>& round, double noise = 1.0,
                 double* floor = nullptr);
// The swing's sigma s for a round (0 without trainers).
double swing_sigma(const LossModel& m, const std::vector<Contribution>& round);
// The loss reported for a round whose trend is `loss`: the swing applied with standard normal z.
double swung_loss(double loss, double sigma, double z, double floor);
// Each prunable layer's share of the model's training FLOPs (sums to 1).
std::vector<double> layer_weights(const ModelDescriptor& model);
double accuracy_of(const LossModel& m, double loss, int classes);
// c_i (1 - h_i)^skew_exponent: one trainer's share of the round's rate numerator.
double trainer_value(const LossModel& m, double samples_processed, double own_samples, double keep,
                     double label_skew, Compression::Mode mode = Compression::Mode::Prune);
// The exponent of the trainer count in a round whose trainers' mean label skew is `mean_skew`:
// participation_exponent x mean_skew (see the header).
double participation_at(const LossModel& m, double mean_skew);
// (sum of values / samples_scale) x n^(participation_exponent - 1): planners pass a model whose
// participation_exponent is already participation_at() their round's skew.
double round_rate(const LossModel& m, double value_sum, int trainers);
// L' from L at a given rate, the floor set by the pruned keep fraction p (1: not pruned) and the
// round's union label skew U (0: its trainers' data together cover the classes evenly).
double loss_step(const LossModel& m, double loss, double rate, double pruned_keep, double union_skew = 0);
// The round's floor F.
double round_floor(const LossModel& m, double pruned_keep, double union_skew);
// U: the total-variation distance from uniform of the trainers' label mixes weighted by `weights`
// (a trainer without a mix counts as uniform); 0 without weight.
double union_skew(const std::vector<Contribution>& round, const std::vector<double>& weights);

// A run of the trained process, as the model sees it.
struct LossTrace {
  double initial_loss = 0;
  std::vector<std::vector<Contribution>> rounds;
  std::vector<double> loss, accuracy; // observed after each round
};

// The model's open-loop prediction of a trace's losses (from its observed initial loss).
std::vector<double> predict(const LossModel& m, const LossTrace& t);
// First round (1-based) whose loss is at or below target; 0 if none.
int rounds_to(const std::vector<double>& loss, double target);

struct LossFit {
  LossModel model;
  double rmse = 0; // of the log of the fitted losses over every round of every trace
  int evaluations = 0;
};

// Nonlinear least squares (Eigen's Levenberg-Marquardt, several starts) of floor_loss,
// compression_floor, the four modes' rates, samples_scale, skew_exponent, skew_shape, skew_floor,
// participation_exponent, tail_exponent and plateau on the logs of the traces' losses (relative
// errors: a round near the target, late and low, weighs as much as an early one); initial_loss is the
// traces' mean initial loss, the swings are fitted to the residuals and the accuracy table to the
// observed (loss, accuracy) pairs. Parameters a trace set cannot identify (no compression, no
// skew) stay at `start`'s values; so do its layer weights.
LossFit fit_loss_model(const std::vector<LossTrace>& traces, const LossModel& start, int classes);

} // namespace edgetrain
