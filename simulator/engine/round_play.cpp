#include "simulator/engine/round_play.hpp"

#include "simulator/engine/simgrid_config.hpp"
#include "simulator/platform/wifi_energy.hpp"

#include <simgrid/Exception.hpp>
#include <simgrid/plugins/energy.h>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Exec.hpp>
#include <simgrid/s4u/Mailbox.hpp>
#include <simgrid/s4u/Semaphore.hpp>
#include <xbt/log.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <memory>
#include <stdexcept>

XBT_LOG_NEW_DEFAULT_CATEGORY(edgetrain_round, "edgetrain: one round on SimGrid");

namespace sg4 = simgrid::s4u;

namespace edgetrain {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

double host_energy(const Node& n) {
  return n.has_power ? sg_host_get_consumed_energy(n.host) : kNaN;
}

struct TrainerRun {      // shared between the coordinator and one trainer actor
  Assignment assignment; // a copy: the plan may be gone when a trainer outlives its round
  const Node* node = nullptr;
  ModelCost cost;
  double flops = 0;     // planned, without a chooser (with one, each mini-batch's as it is chosen)
  double t_start = 0;   // the round's start
  double deadline = -1; // the round's timeout as a clock time (-1: none)
  double energy_start = 0, energy_end = kNaN;
  double t_down = -1, t_comp = -1, t_up = -1; // when each phase ended (-1: not yet)
  sg4::CommPtr comm;
  sg4::ExecPtr exec;
  sg4::ActorPtr actor;
  sg4::ActorPtr proxy;                              // its counterpart on the aggregator's host (see serve)
  sg4::Mailbox *down = nullptr, *up = nullptr;      // theirs
  sg4::SemaphorePtr uploaded;                       // released by the trainer once its update is in
  int *received_model = nullptr, *received_update = nullptr; // where the payloads land
  sg4::CommPtr served_down, served_up; // the proxy's side, kept past its actor (freed mid-transfer, they log)
  bool finished = false;
  bool ended = false; // the actor is gone: done, failed, or killed with its host
  double t_ended = -1;
  // The computation runs as one execution, or one per mini-batch with a chooser: FLOPs of the
  // executions completed, then the current one's FLOPs, start and FLOP/s at its start (for a
  // failure mid-execution, which cannot be asked what it did).
  double flops_done = 0, chunk_flops = 0, chunk_start = 0, compute_rate = 0;
  std::vector<std::size_t> step_option;
  std::exception_ptr error; // a chooser's bad answer, rethrown by the coordinator
  Batteries* batteries = nullptr;
};

// FLOP/s the host has now at its DVFS state, all cores, its speed trace applied.
double flops_now(const TrainerRun& r) {
  sg4::Host* host = r.node->host;
  return host->get_pstate_speed(static_cast<unsigned long>(r.assignment.pstate)) * r.node->cores *
         host->get_available_speed();
}

// One execution of `flops` on all the node's cores (SimGrid's multi-thread execution gives each
// thread the amount: the work is split over the cores).
void compute(TrainerRun& r, double flops) {
  r.chunk_flops = flops;
  r.chunk_start = sg4::Engine::get_clock();
  r.compute_rate = flops_now(r);
  r.exec = sg4::this_actor::exec_init(flops / r.node->cores)->set_thread_count(r.node->cores);
  r.exec->start();
  r.exec->wait();
  r.exec = nullptr;
  r.flops_done += flops;
  r.chunk_flops = 0;
}

// With a chooser, one mini-batch at a time, each with the option the device picks before it.
void compute_chosen(TrainerRun& r, const ModelDescriptor& model) {
  const Assignment& a = r.assignment;
  std::vector<double> per_step; // FLOPs of one mini-batch with each option
  for (const Compression& c : a.options)
    per_step.push_back(model_cost(model, c).train_flops * a.batch);
  std::size_t current = 0;
  for (int step = 0; step < a.local_steps; ++step) {
    DeviceNow now;
    now.steps_done = step;
    now.steps_left = a.local_steps - step;
    now.seconds_left =
        r.deadline < 0 ? std::numeric_limits<double>::infinity() : r.deadline - sg4::Engine::get_clock();
    now.flops_now = flops_now(r);
    now.current = current;
    now.download_s = r.t_down - r.t_start;
    const std::size_t pick = a.chooser->choose(now);
    if (step == 0)
      XBT_VERB("%s starts with option %zu after a %.3g s download (%.3g FLOP/s, %.3g s left)",
               r.node->host->get_cname(), pick, now.download_s, now.flops_now, now.seconds_left);
    if (pick >= a.options.size())
      throw std::logic_error(fmt::format("node '{}': the device chooser picked option {} of {}",
                                         r.node->host->get_name(), pick, a.options.size()));
    if (pick != current && step > 0)
      XBT_VERB("%s switches from option %zu to %zu at mini-batch %d (%.3g FLOP/s, %.3g s left)",
               r.node->host->get_cname(), current, pick, step, now.flops_now, now.seconds_left);
    current = pick;
    r.step_option.push_back(pick);
    compute(r, per_step[pick]);
  }
}

// The model goes down and the update up as mailbox transfers between the trainer and a proxy
// actor of its own on the aggregator's host: the same hosts, routes, sizes and start times as
// host-to-host transfers (Comm::sendto), so the same simulated times, but SimGrid 3.32 keeps a
// host-to-host transfer detached, in one list of every transfer in flight, which it searches as
// each one ends (quadratic in the trainers); a mailbox transfer is in its two actors' lists only.
int payload = 0; // what the transfers carry: their size is all that matters

void train_steps(TrainerRun& r, const ModelDescriptor& model) {
  sg4::Host* host = r.node->host;
  const auto pstate = static_cast<unsigned long>(r.assignment.pstate);
  host->set_pstate(pstate);
  r.batteries->set_busy(r.node->id, false, pstate);
  r.comm = r.down->get_async<int>(&r.received_model); // the proxy's send is posted: it matches at once
  r.comm->wait();
  r.comm = nullptr;
  r.t_down = sg4::Engine::get_clock();
  r.batteries->set_busy(r.node->id, true, pstate);
  if (r.assignment.chooser)
    compute_chosen(r, model);
  else
    compute(r, r.flops);
  r.batteries->set_busy(r.node->id, false, pstate);
  r.t_comp = sg4::Engine::get_clock();
  r.comm = r.up->put_async(&payload, static_cast<std::uint64_t>(r.cost.update_bytes)); // matches the proxy's
  r.comm->wait();
  r.comm = nullptr;
  r.t_up = sg4::Engine::get_clock();
  r.energy_end = host_energy(*r.node);
  r.finished = true;
  r.uploaded->release();
}

// The aggregator's side of one trainer's transfers: posts the model's send and the update's
// receive at once, then waits on a semaphore, not on a transfer. Killed (at the cut, or with the
// aggregator's host), SimGrid then only cancels the receive if it is still unmatched: one that it
// ended instead would reach the energy plugins' transfer-end handlers, which crash on a transfer
// without its sender (SimGrid 3.32 looks up its route).
void serve(const std::shared_ptr<TrainerRun>& run) {
  TrainerRun& r = *run;
  r.served_down = r.down->put_async(&payload, static_cast<std::uint64_t>(r.cost.model_bytes));
  r.served_up = r.up->get_async<int>(&r.received_update);
  r.uploaded->acquire();
}

// The trainer actor shares its TrainerRun: it may outlive the round's coordinator (when the
// aggregator's host is switched off, SimGrid kills the coordinator and unwinds play_round).
void train(const std::shared_ptr<TrainerRun>& run, const ModelDescriptor& model) {
  TrainerRun& r = *run;
  // Runs when the actor ends, also when SimGrid kills it with its host. Activities must not be
  // queried here (SimGrid 3.32 aborts on an action that is no longer running); energy can be.
  sg4::this_actor::on_exit([run](bool /*failed*/) {
    run->ended = true;
    run->t_ended = sg4::Engine::get_clock();
    if (!run->finished) run->energy_end = host_energy(*run->node); // failed: charged until now
  });
  try {
    train_steps(r, model);
  } catch (const simgrid::NetworkFailureException&) {
    // A link on its route went down (a state trace): the trainer's round fails.
  } catch (const simgrid::HostFailureException&) {
  } catch (const std::logic_error&) {
    // An exception must not leave an actor (SimGrid aborts): the coordinator rethrows it.
    r.error = std::current_exception();
  }
}

// Aggregates on the aggregator's host, unless the deadline comes first; whether it ended.
bool aggregate(double flops, double deadline_s) {
  const double left = deadline_s - sg4::Engine::get_clock();
  if (!(left > 0)) return false;
  const sg4::ExecPtr exec = sg4::this_actor::exec_init(flops);
  exec->start();
  try {
    exec->wait_for(std::isfinite(left) ? left : -1.0);
    return true;
  } catch (const simgrid::TimeoutException&) {
    // Ending at the deadline itself, to rounding, is ending in time.
    const bool done = exec->get_remaining() <= 1e-9 * flops;
    exec->cancel();
    return done;
  }
}

// Fills a trainer's row, from what it did by `cut` (the moment it is stopped), or by the moment
// its actor ended (done, or failed with its host or a link).
NodeOutcome trainer_outcome(const TrainerRun& r, double t0, double cut) {
  const bool failed = r.ended && !r.finished;
  const double now = failed ? r.t_ended : cut;
  // A failed activity cannot be asked what it did: a failure mid-computation counts the compute
  // time at the speed the computation started with (exact unless a speed trace changed it since),
  // a failure mid-transfer counts none of that transfer's bytes.
  const double exec_left = failed ? -1 : (r.exec ? r.exec->get_remaining_ratio() : -1);
  const double comm_left = failed ? -1 : (r.comm ? r.comm->get_remaining() : -1);
  NodeOutcome o;
  o.node = r.node->id;
  o.trained = true;
  o.finished = r.finished;
  o.pstate = r.assignment.pstate;
  o.keep_mean = r.assignment.compression.mean_keep();
  if (!r.step_option.empty()) {
    double sum = 0;
    for (std::size_t i : r.step_option)
      sum += r.assignment.options[i].mean_keep();
    o.keep_mean = sum / static_cast<double>(r.step_option.size());
    o.step_option = r.step_option;
  }
  const double down_end = r.t_down >= 0 ? r.t_down : now;
  const double comp_end = r.t_comp >= 0 ? r.t_comp : (r.t_down >= 0 ? now : down_end);
  const double up_end = r.t_up >= 0 ? r.t_up : (r.t_comp >= 0 ? now : comp_end);
  o.comm_s = (down_end - t0) + (up_end - comp_end);
  if (r.t_down >= 0) o.download_s = r.t_down - t0;
  o.compute_s = comp_end - down_end;
  // Work and bytes actually done: whole phases, plus the part of the phase cut short.
  // (get_remaining_ratio: an execution on several threads reports its remaining work per thread.)
  o.flops = r.flops_done + (exec_left >= 0 ? r.chunk_flops * (1.0 - exec_left) : 0.0);
  if (failed && r.t_down >= 0 && r.t_comp < 0)
    o.flops = r.flops_done + std::min(r.chunk_flops, (now - r.chunk_start) * r.compute_rate);
  o.bytes_down = r.t_down >= 0 ? r.cost.model_bytes : (comm_left >= 0 ? r.cost.model_bytes - comm_left : 0.0);
  o.bytes_up = r.t_up >= 0 ? r.cost.update_bytes
                           : (comm_left >= 0 && r.t_down >= 0 ? r.cost.update_bytes - comm_left : 0.0);
  o.bytes = o.bytes_down + o.bytes_up;
  // Charged until its update arrived, it failed, or the timeout stopped it.
  o.energy_j = r.ended ? r.energy_end - r.energy_start : host_energy(*r.node) - r.energy_start;
  if (r.finished) o.samples_processed = std::int64_t{r.assignment.local_steps} * r.assignment.batch;
  return o;
}
} // namespace

RoundOutcome play_round(const RoundPlan& plan, int round, const Platform& platform,
                        const ModelDescriptor& model, double aggregation_flops_per_param,
                        Batteries& batteries, double deadline_s) {
  const Node& agg = platform.nodes[plan.aggregator];
  const double t0 = sg4::Engine::get_clock();
  // Trainers are stopped at the round's timeout or at the run's deadline, whichever comes first.
  const double cut_at = std::min(plan.round_timeout_s > 0 ? t0 + plan.round_timeout_s : kInf, deadline_s);
  RoundOutcome out;
  out.round = round;
  out.start_s = t0;

  // Metered links on the routes used this round, in name order (a fixed summation order keeps
  // energy totals bit-identical from run to run), and their energy so far.
  std::vector<bool> used(platform.metered_links.size(), false);
  for (const Assignment& a : plan.trainers)
    for (std::size_t i : platform.nodes[a.node].metered)
      used[i] = true;
  std::vector<std::pair<sg4::Link*, double>> link_start;
  for (std::size_t i = 0; i < used.size(); ++i)
    if (used[i])
      link_start.emplace_back(platform.metered_links[i],
                              wifi_energy::link_consumed_j(platform.metered_links[i]));
  const double agg_start = host_energy(agg);

  std::vector<std::shared_ptr<TrainerRun>> runs;
  runs.reserve(plan.trainers.size());
  for (const Assignment& a : plan.trainers) {
    auto r = std::make_shared<TrainerRun>();
    r->assignment = a;
    r->node = &platform.nodes[a.node];
    r->cost = model_cost(model, a.compression);
    r->flops = r->cost.train_flops * a.local_steps * a.batch;
    r->t_start = t0;
    r->deadline = std::isfinite(cut_at) ? cut_at : -1;
    r->energy_start = host_energy(*r->node);
    r->batteries = &batteries;
    runs.push_back(std::move(r));
  }
  for (auto& r : runs) {
    r->down = sg4::Mailbox::by_name("model-" + r->node->host->get_name());
    r->up = sg4::Mailbox::by_name("update-" + r->node->host->get_name());
    r->uploaded = sg4::Semaphore::create(0);
    // Created first, so that it runs first: the trainer's receive finds its send posted.
    r->proxy = sg4::Actor::init("serve-" + r->node->host->get_name(), agg.host)
                   ->set_stacksize(round_actor_stack_kib())
                   ->start([run = r] { serve(run); });
    r->actor = sg4::Actor::init("train-" + r->node->host->get_name(), r->node->host)
                   ->set_stacksize(round_actor_stack_kib())
                   ->start([run = r, &model] { train(run, model); });
  }

  // Wait for every trainer, or until the cut. A trainer that has not finished by then is
  // stopped; one finishing at the very instant of the cut counts as finished.
  for (auto& r : runs) {
    if (!std::isfinite(cut_at))
      r->actor->join();
    else
      r->actor->join(std::max(0.0, cut_at - sg4::Engine::get_clock()));
  }
  const double cut = sg4::Engine::get_clock();
  out.nodes.push_back({}); // the aggregator's row, filled below
  double received_params = 0;
  for (auto& r : runs)
    if (r->error) std::rethrow_exception(r->error);
  for (auto& r : runs) {
    NodeOutcome o = trainer_outcome(*r, t0, cut);
    if (r->finished) {
      r->actor->join(); // done, maybe not yet returned: let it end cleanly
      r->proxy->join();
      received_params += static_cast<double>(r->cost.sent_params);
    } else {
      if (!r->ended) {
        XBT_VERB("round %d: %s stopped by the %s", round, r->node->host->get_cname(),
                 cut_at == deadline_s ? "run's deadline" : "round timeout");
        r->actor->kill();
      }
      r->proxy->kill(); // waiting for a transfer that will not come
    }
    // The node goes back to its platform pstate: a later idle spell must not run at this one.
    r->node->host->set_pstate(r->node->initial_pstate);
    batteries.set_busy(r->node->id, false, r->node->initial_pstate);
    // The actors' code holds this run, and a transfer holds its actors (their stacks): release
    // the cycles, or every round's actors would stay alive to the end.
    r->actor = r->proxy = nullptr;
    r->comm = r->served_down = r->served_up = nullptr;
    r->exec = nullptr;
    out.bytes_down += o.bytes_down;
    out.bytes_up += o.bytes_up;
    out.nodes.push_back(o);
  }

  const double agg_flops = aggregation_flops_per_param * received_params;
  if (agg_flops > 0) out.aggregated = aggregate(agg_flops, deadline_s);
  out.end_s = sg4::Engine::get_clock();
  if (!out.aggregated) {
    XBT_INFO("round %d: stopped by the deadline before its aggregation ended: no update counts", round);
    for (NodeOutcome& o : out.nodes)
      o.finished = false, o.samples_processed = 0;
  }

  NodeOutcome& a = out.nodes.front();
  a.node = agg.id;
  a.compute_s = out.end_s - cut;
  a.flops = out.aggregated ? agg_flops : 0; // an aggregation stopped midway is not asked what it did
  a.bytes = out.bytes_down + out.bytes_up;
  a.energy_j = host_energy(agg) - agg_start;
  a.pstate = static_cast<int>(agg.host->get_pstate());
  a.keep_mean = std::numeric_limits<double>::quiet_NaN(); // trains nothing

  for (const NodeOutcome& o : out.nodes) {
    if (std::isnan(o.energy_j))
      ++out.hosts_energy_unknown;
    else
      (o.trained ? out.energy_trainers_j : out.energy_aggregator_j) += o.energy_j;
  }
  out.energy_compute_j = out.energy_aggregator_j + out.energy_trainers_j;
  for (const auto& [l, e0] : link_start)
    out.energy_network_j += wifi_energy::link_consumed_j(l) - e0; // WIFI links: not SimGrid's getter
  return out;
}

} // namespace edgetrain
