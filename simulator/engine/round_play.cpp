#include "simulator/engine/round_play.hpp"

#include <simgrid/plugins/energy.h>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/ConditionVariable.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Exec.hpp>
#include <simgrid/s4u/Mutex.hpp>
#include <xbt/log.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>

XBT_LOG_NEW_DEFAULT_CATEGORY(edgetrain_round, "edgetrain: one round on SimGrid");

namespace sg4 = simgrid::s4u;

namespace edgetrain {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double host_energy(const Node& n) { return n.has_power ? sg_host_get_consumed_energy(n.host) : kNaN; }

struct TrainerRun {  // shared between the coordinator and one trainer actor
  const Assignment* assignment = nullptr;
  const Node* node = nullptr;
  ModelCost cost;
  double flops = 0;
  double energy_start = 0, energy_end = kNaN;
  double t_down = -1, t_comp = -1, t_up = -1;  // when each phase ended (-1: not yet)
  sg4::CommPtr comm;
  sg4::ExecPtr exec;
  sg4::ActorPtr actor;
  bool finished = false;
};

struct Sync {
  sg4::MutexPtr mutex = sg4::Mutex::create();
  sg4::ConditionVariablePtr cv = sg4::ConditionVariable::create();
  std::size_t done = 0;
};

void train(TrainerRun& r, sg4::Host* aggregator, Sync& sync) {
  sg4::Host* host = r.node->host;
  host->set_pstate(static_cast<unsigned long>(r.assignment->pstate));
  r.comm = sg4::Comm::sendto_async(aggregator, host, static_cast<std::uint64_t>(r.cost.model_bytes));
  r.comm->wait();
  r.comm = nullptr;
  r.t_down = sg4::Engine::get_clock();
  // SimGrid's multi-thread execution gives each thread the amount: split the work over the cores.
  r.exec = sg4::this_actor::exec_init(r.flops / r.node->cores)->set_thread_count(r.node->cores);
  r.exec->wait();
  r.exec = nullptr;
  r.t_comp = sg4::Engine::get_clock();
  r.comm = sg4::Comm::sendto_async(host, aggregator, static_cast<std::uint64_t>(r.cost.update_bytes));
  r.comm->wait();
  r.comm = nullptr;
  r.t_up = sg4::Engine::get_clock();
  r.energy_end = host_energy(*r.node);
  r.finished = true;
  std::unique_lock lock(*sync.mutex);
  ++sync.done;
  sync.cv->notify_one();
}

// Fills a trainer's row, from what it did by now (its end, or the moment it is stopped).
NodeOutcome trainer_outcome(const TrainerRun& r, double t0, double now) {
  NodeOutcome o;
  o.node = r.node->id;
  o.trained = true;
  o.finished = r.finished;
  o.pstate = r.assignment->pstate;
  o.keep_mean = r.assignment->compression.mean_keep();
  const double down_end = r.t_down >= 0 ? r.t_down : now;
  const double comp_end = r.t_comp >= 0 ? r.t_comp : (r.t_down >= 0 ? now : down_end);
  const double up_end = r.t_up >= 0 ? r.t_up : (r.t_comp >= 0 ? now : comp_end);
  o.comm_s = (down_end - t0) + (up_end - comp_end);
  o.compute_s = comp_end - down_end;
  // Work and bytes actually done: whole phases, plus the part of the phase cut short.
  o.flops = r.t_comp >= 0 ? r.flops : (r.exec ? r.flops - r.exec->get_remaining() * r.node->cores : 0.0);
  double bytes = r.t_down >= 0 ? r.cost.model_bytes : 0.0;
  bytes += r.t_up >= 0 ? r.cost.update_bytes : 0.0;
  if (r.comm) {
    const double size = r.t_down >= 0 ? r.cost.update_bytes : r.cost.model_bytes;
    bytes += size - r.comm->get_remaining();
  }
  o.bytes = bytes;
  o.energy_j = r.finished ? r.energy_end - r.energy_start : host_energy(*r.node) - r.energy_start;
  if (r.finished)
    o.samples_processed = std::int64_t{r.assignment->local_steps} * r.assignment->batch;
  return o;
}
}  // namespace

RoundOutcome play_round(const RoundPlan& plan, int round, const Platform& platform, const ModelDescriptor& model,
                        double aggregation_flops_per_param) {
  const Node& agg = platform.nodes[plan.aggregator];
  const double t0 = sg4::Engine::get_clock();
  RoundOutcome out;
  out.round = round;
  out.start_s = t0;

  // Links on the routes used this round, in name order (a fixed summation order keeps the
  // energy totals bit-identical from run to run), and their energy so far.
  std::vector<sg4::Link*> links;
  for (const Assignment& a : plan.trainers) {
    const Node& n = platform.nodes[a.node];
    for (sg4::Link* l : n.route_down) links.push_back(l);
    for (sg4::Link* l : n.route_up) links.push_back(l);
  }
  std::sort(links.begin(), links.end(), [](auto* a, auto* b) { return a->get_name() < b->get_name(); });
  links.erase(std::unique(links.begin(), links.end()), links.end());
  std::vector<std::pair<sg4::Link*, double>> link_start;
  for (sg4::Link* l : links)
    if (link_energy_known(l)) link_start.emplace_back(l, sg_link_get_consumed_energy(l));
  const double agg_start = host_energy(agg);

  Sync sync;
  std::vector<std::unique_ptr<TrainerRun>> runs;
  runs.reserve(plan.trainers.size());
  for (const Assignment& a : plan.trainers) {
    auto r = std::make_unique<TrainerRun>();
    r->assignment = &a;
    r->node = &platform.nodes[a.node];
    r->cost = model_cost(model, a.compression);
    r->flops = r->cost.train_flops * a.local_steps * a.batch;
    r->energy_start = host_energy(*r->node);
    runs.push_back(std::move(r));
  }
  for (auto& r : runs) {
    TrainerRun* run = r.get();
    run->actor = sg4::Actor::create("train-" + run->node->host->get_name(), run->node->host,
                                    [run, &agg, &sync] { train(*run, agg.host, sync); });
  }

  {
    std::unique_lock lock(*sync.mutex);
    while (sync.done < runs.size()) {
      if (plan.round_timeout_s > 0) {
        if (sync.cv->wait_until(lock, t0 + plan.round_timeout_s) == std::cv_status::timeout) break;
      } else {
        sync.cv->wait(lock);
      }
    }
  }

  const double cut = sg4::Engine::get_clock();
  out.nodes.push_back({});  // the aggregator's row, filled below
  double received_params = 0;
  for (auto& r : runs) {
    NodeOutcome o = trainer_outcome(*r, t0, cut);
    if (!r->finished) {
      XBT_VERB("round %d: %s stopped by the round timeout", round, r->node->host->get_cname());
      r->actor->kill();
    } else {
      received_params += static_cast<double>(r->cost.params);
    }
    if (r->t_down >= 0) out.bytes_down += r->cost.model_bytes;
    if (r->t_up >= 0) out.bytes_up += r->cost.update_bytes;
    out.nodes.push_back(o);
  }

  const double agg_flops = aggregation_flops_per_param * received_params;
  if (agg_flops > 0) sg4::this_actor::execute(agg_flops);
  out.end_s = sg4::Engine::get_clock();

  NodeOutcome& a = out.nodes.front();
  a.node = agg.id;
  a.compute_s = out.end_s - cut;
  a.flops = agg_flops;
  a.bytes = out.bytes_down + out.bytes_up;
  a.energy_j = host_energy(agg) - agg_start;
  a.pstate = static_cast<int>(agg.host->get_pstate());
  a.keep_mean = std::numeric_limits<double>::quiet_NaN();  // trains nothing

  for (const NodeOutcome& o : out.nodes) {
    if (std::isnan(o.energy_j)) ++out.hosts_energy_unknown;
    else out.energy_compute_j += o.energy_j;
  }
  for (const auto& [l, e0] : link_start) out.energy_network_j += sg_link_get_consumed_energy(l) - e0;
  return out;
}

}  // namespace edgetrain
