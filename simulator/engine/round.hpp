#pragma once
// What flows through one round: the read-only snapshot a policy decides on (RoundState), its
// decision (RoundPlan), what SimGrid made of it (RoundOutcome) and the row kept in history.
#include "simulator/learning/cost_model.hpp"
#include "simulator/learning/model.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace edgetrain {

using NodeId = std::size_t; // index into the platform's node list

enum class Role { Trainer, Aggregator };

struct NodeView { // what a policy may know about a node at decision time
  NodeId id = 0;
  std::string host;
  std::string device_class;
  Role role = Role::Trainer;
  int cores = 1;
  double flops_now = 0;                 // FLOP/s available now at pstate 0, all cores (speed trace applied)
  double flops_peak = 0;                // nominal FLOP/s at pstate 0, all cores
  std::vector<double> flops_per_pstate; // nominal, all cores
  double up_bps = 0, down_bps = 0;      // bottleneck bandwidth to / from the aggregator, bytes/s
  double latency_s = 0;                 // one-way route latency to the aggregator
  std::int64_t samples = 0;
  double label_skew = 0; // total-variation distance of its label mix from uniform (nodes report label
                         // counts, not data: what PACT's "data each node owns" needs)
  // Its routes' metered links, as SimGrid's link_energy plugin charges them: dynamic joules per byte
  // ((busy - idle) / bandwidth, summed over the links) and the idle watts of links no other node uses.
  double link_joules_per_byte = 0;
  double link_idle_w = 0;
  double battery_j = -1;          // charge left; -1: mains powered
  double battery_capacity_j = -1; // -1: mains powered
  bool online = true;
  bool has_power = false;                     // host energy known (wattage_per_state present)
  std::vector<double> watts_idle, watts_busy; // per pstate: idle and all-cores watts
  // history
  double last_seconds = 0, last_joules = 0;
  int rounds_trained = 0;
};

struct RoundRecord { // one row of rounds.csv
  int round = 0;
  double start_s = 0, end_s = 0;
  int trainers_planned = 0, trainers_finished = 0;
  double loss = 0, accuracy = 0;
  double energy_compute_j = 0, energy_network_j = 0, energy_total_j = 0; // total: running
  double energy_trainers_j = 0, energy_aggregator_j = 0; // compute split by role
  double bytes_down = 0, bytes_up = 0;
  int hosts_energy_unknown = 0;
};

// The run's rules, from the scenario's training.* keys. The engine applies them to every plan
// (run_rules.hpp); policies get them to plan within, never to enforce.
struct TrainingLimits {
  int local_steps = 10; // a trainer's steps when its assignment leaves them at 0
  int batch = 32;       // likewise its mini-batch
  int max_local_steps = 0, max_batch = 0; // ceilings on what a plan may ask (0: none)
  double target_loss = 0.5;
  double deadline_s = 86400; // nothing runs past it
  int max_rounds = 100;
  double round_timeout_s = 0; // a ceiling on every plan's round_timeout_s (0: none)
};

struct RoundState {
  int round = 0; // 1-based
  double now_s = 0, deadline_s = 0, target_loss = 0;
  double energy_j = 0; // spent so far
  double loss = 0;     // after the previous round (initial loss before round 1)
  const ModelDescriptor& model;
  // Watts a round costs whoever trains: the aggregator idle and the metered links two or more nodes
  // share (charged by SimGrid for the round's length).
  double overhead_w = 0;
  // SimGrid's network model stretches a route's latency and shrinks its bandwidth by these
  // (LV08, the default: 13.01 and 0.97; CM02: 1 and 1). NodeView keeps the nominal figures.
  double latency_factor = 1, bandwidth_factor = 1;
  std::span<const NodeView> nodes;
  std::span<const RoundRecord> history;
};

// What a device knows before each mini-batch when it chooses its own compression during the round.
struct DeviceNow {
  int steps_done = 0, steps_left = 0;
  double seconds_left = 0; // until the round is cut: its timeout or the run's deadline (infinity: neither)
  double flops_now = 0;    // FLOP/s it has now at its DVFS state, all cores (speed trace applied)
  std::size_t current = 0; // the option of its last mini-batch (Assignment::compression's before the first)
  double download_s = 0;   // how long its model download took this round (contention included)
};

// A device that picks its compression itself, from the resources it has at the moment (DISTREAL).
// The engine then runs its local training one mini-batch at a time and asks before each which of
// Assignment::options to train with, so a speed change mid-round is seen at the next mini-batch.
// The policy writes it; the engine only calls it (from the device's actor, in simulated time).
class DeviceChooser {
public:
  virtual ~DeviceChooser() = default;
  [[nodiscard]] virtual std::size_t choose(const DeviceNow& now) const = 0;
};

struct Assignment {
  NodeId node = 0;
  int local_steps = 0; // 0: the scenario's training.local_steps (filled in by the engine)
  int batch = 0;       // 0: the scenario's training.batch
  Compression compression; // what it downloads and starts with
  int pstate = 0;
  // On-device choice (empty / null: `compression` throughout). Every option is a dropout
  // compression with `compression`'s bits: the device holds the whole model and sends a whole
  // update, so switching changes only the FLOPs of its next mini-batches. `compression` is options[0].
  std::vector<Compression> options;
  std::shared_ptr<const DeviceChooser> chooser;
  // FedProx's proximal term (Li et al. 2020): the trainer minimises its loss + prox_mu / 2 x
  // ||w - w_global||^2, which keeps its update near the model it downloaded. 0: plain SGD. Only
  // the trained learning process applies it; it costs no FLOPs the cost model counts.
  double prox_mu = 0;
};

struct RoundPlan {
  NodeId aggregator = 0;
  std::vector<Assignment> trainers;
  // 0: none. The engine caps it at training.round_timeout_s and at the time left to the deadline:
  // a policy may only shorten a round.
  double round_timeout_s = 0;
  bool stop = false; // the policy ends the run
};

struct NodeOutcome { // one row of nodes.csv
  NodeId node = 0;
  bool trained = false;  // was asked to train
  bool finished = false; // its update reached the aggregator in time
  double compute_s = 0, comm_s = 0;
  double download_s = -1; // the model download's seconds; -1 when it did not complete
  double flops = 0;       // FLOPs actually executed (less than planned when cut by the timeout)
  double bytes = 0;       // bytes actually moved, down + up (partial transfers included)
  double bytes_down = 0, bytes_up = 0;
  double energy_j = 0; // NaN when the host has no power properties
  int pstate = 0;
  double keep_mean = 1;
  std::int64_t samples_processed = 0; // local_steps x batch, when finished
  // With an on-device chooser: the option each mini-batch it started trained with, in order
  // (keep_mean is then their mean keep); empty otherwise.
  std::vector<std::size_t> step_option;
};

struct RoundOutcome {
  int round = 0;
  double start_s = 0, end_s = 0;
  std::vector<NodeOutcome> nodes; // the aggregator first, then each planned trainer in plan order
  double energy_compute_j = 0, energy_network_j = 0; // hosts (trainers + aggregator), links
  double energy_trainers_j = 0, energy_aggregator_j = 0;  // energy_compute_j by role
  double bytes_down = 0, bytes_up = 0; // the trainers' bytes_down and bytes_up added up
  int hosts_energy_unknown = 0;
  bool aggregated = true; // false: the deadline stopped the aggregation, and no update counts
};

} // namespace edgetrain
