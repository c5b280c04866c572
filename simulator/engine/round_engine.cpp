#include "simulator/engine/round_engine.hpp"

#include "simulator/common/error.hpp"
#include "simulator/engine/plan_check.hpp"
#include "simulator/engine/round_play.hpp"
#include "simulator/engine/run_rules.hpp"
#include "simulator/platform/wifi_energy.hpp"
#include "simulator/learning/data_split.hpp"

#include <fmt/format.h>
#include <simgrid/Exception.hpp>
#include <simgrid/s4u/Actor.hpp>
#include <xbt/config.hpp>
#include <xbt/log.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

XBT_LOG_NEW_DEFAULT_CATEGORY(edgetrain_engine, "edgetrain: the round loop");

namespace sg4 = simgrid::s4u;

namespace edgetrain {

namespace {
bool is_wifi(const simgrid::s4u::Link* l) {
  return l->get_sharing_policy() == simgrid::s4u::Link::SharingPolicy::WIFI;
}

// A metered link's "idle:busy" wattage_range (validated when the platform was loaded); for a WIFI
// link, the idle watts of the wifi energy plugin's formula (busy depends on airtime: see below).
std::pair<double, double> link_watts(const simgrid::s4u::Link* l) {
  if (is_wifi(l)) return {wifi_energy::idle_w(l), wifi_energy::idle_w(l)};
  const char* w = l->get_property("wattage_range");
  double idle = 0, busy = 0;
  if (w && std::sscanf(w, "%lf:%lf", &idle, &busy) == 2) return {idle, busy};
  return {0.0, 0.0};
}
} // namespace

RoundEngine::RoundEngine(const Scenario& scenario, const Platform& platform, const ModelDescriptor& model,
                         Policy& policy, LearningProcess& learning, Batteries& batteries,
                         std::vector<RunObserver*> observers)
    : scenario_(scenario), platform_(platform), model_(model), policy_(policy), learning_(learning),
      batteries_(batteries), observers_(std::move(observers)) {
  for (const Node& n : platform_.nodes) {
    NodeView v;
    v.id = n.id;
    v.host = n.host->get_name();
    v.device_class = n.device_class;
    v.role = n.role;
    v.cores = n.cores;
    for (unsigned long p = 0; p < n.usable_pstates; ++p)
      v.flops_per_pstate.push_back(n.host->get_pstate_speed(p) * n.cores);
    v.flops_peak = v.flops_per_pstate.front();
    v.up_bps = n.up_bps, v.down_bps = n.down_bps, v.latency_s = n.latency_s;
    v.samples = platform_.data[n.id].samples;
    v.has_power = n.has_power;
    v.battery_capacity_j = batteries_.capacity_j(n.id);
    const auto usable = [&](const std::vector<double>& w) { // per pstate that computes
      return std::vector<double>(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(std::min(w.size(), n.usable_pstates)));
    };
    v.watts_idle = usable(n.watts_idle), v.watts_busy = usable(n.watts_busy);
    v.label_skew = label_skew(platform_.data[n.id].label_mix);
    views_.push_back(std::move(v));
  }
  // How many nodes' routes each metered link is on: a link of one node's route is that node's cost,
  // a shared one (a backbone, the aggregator's access link) is the round's.
  std::vector<int> users(platform_.metered_links.size(), 0);
  for (const Node& n : platform_.nodes)
    for (std::size_t i : n.metered)
      ++users[i];
  // CM02 applies no factors; LV08 (and the models built on it) the configured ones.
  if (simgrid::config::get_value<std::string>("network/model") != "CM02") {
    latency_factor_ = simgrid::config::get_value<double>("network/latency-factor");
    bandwidth_factor_ = simgrid::config::get_value<double>("network/bandwidth-factor");
  }
  shared_link_idle_w_ = 0;
  for (std::size_t i = 0; i < users.size(); ++i)
    if (users[i] > 1) shared_link_idle_w_ += link_watts(platform_.metered_links[i]).first;
  for (const Node& n : platform_.nodes)
    for (std::size_t i : n.metered) {
      const simgrid::s4u::Link* l = platform_.metered_links[i];
      const auto [idle, busy] = link_watts(l);
      // A WIFI link (whose bandwidth reads 1): the plugin charges the on-air watts over a flow's
      // airtime, bytes / the flow's rate. Approximated with the node's bottleneck rates, half the
      // bytes each way: exact for a lone flow limited by its WiFi rate; contention left out.
      views_[n.id].link_joules_per_byte +=
          is_wifi(l) ? wifi_energy::airtime_w(l) * 0.5 * (1 / n.up_bps + 1 / n.down_bps)
                     : (busy - idle) / l->get_bandwidth();
      if (users[i] == 1) views_[n.id].link_idle_w += idle;
    }
}

double RoundEngine::overhead_w() const {
  const Node& agg = platform_.nodes[platform_.aggregator];
  const auto p = static_cast<std::size_t>(agg.host->get_pstate());
  return (agg.has_power && p < agg.watts_idle.size() ? agg.watts_idle[p] : 0.0) + shared_link_idle_w_;
}

void RoundEngine::refresh_views() {
  for (NodeView& v : views_) {
    const sg4::Host* h = platform_.nodes[v.id].host;
    // Online: the host is on and so is every link between it and the aggregator (a trainer cut off
    // by a link state trace cannot take part either).
    const Node& n = platform_.nodes[v.id];
    const auto link_on = [](const sg4::Link* l) { return l->is_on(); };
    v.online = h->is_on() && std::all_of(n.route_up.begin(), n.route_up.end(), link_on) &&
               std::all_of(n.route_down.begin(), n.route_down.end(), link_on);
    v.flops_now = v.online ? v.flops_peak * h->get_available_speed() : 0.0;
    v.battery_j = batteries_.level_j(v.id);
  }
}

RunResult RoundEngine::run(sg4::Engine& engine) {
  result_ = {};
  result_.initial = result_.final = learning_.initial();
  sg4::Host* agg = platform_.nodes[platform_.aggregator].host;
  if (!agg->is_on())
    throw InputError(
        scenario_.platform_shown,
        fmt::format(
            "the aggregator '{}' is off at the start (by a state trace): a run needs its aggregator on",
            agg->get_name()));
  sg4::Actor::create("coordinator", agg, [this] { coordinate(); });
  batteries_.start(agg);
  engine.run();
  if (error_) std::rethrow_exception(error_);
  if (result_.stop_reason.empty() && !agg->is_on())
    throw InputError(
        scenario_.platform_shown,
        fmt::format(
            "the aggregator '{}' was switched off at {} s (by a state trace or its battery): a run needs its "
            "aggregator on",
            agg->get_name(), sg4::Engine::get_clock()));
  if (result_.stop_reason.empty()) // SimGrid ran out of events with the coordinator still waiting
    throw std::runtime_error(
        fmt::format("the simulation stopped in round {} with no further event to play (a "
                    "SimGrid deadlock): no results were written",
                    result_.history.size() + 1));
  return result_;
}

void RoundEngine::coordinate() {
  try {
    const TrainingSpec& t = scenario_.training;
    const TrainingLimits limits = limits_of(t);
    double energy = 0;
    for (int round = 1;; ++round) {
      if (sg4::Engine::get_clock() >= t.deadline_s) { // no time left: no round is started
        result_.stop_reason = "deadline";
        break;
      }
      refresh_views();
      const RoundState state{round,           sg4::Engine::get_clock(), t.deadline_s, t.target_loss,
                             energy,          result_.final.loss,       model_,       overhead_w(),
                             latency_factor_, bandwidth_factor_,        views_,       result_.history};
      RoundPlan plan = policy_.decide(state);
      if (plan.stop) {
        result_.stop_reason = "policy";
        break;
      }
      if (plan.trainers.empty()) {
        // Nobody to train: with churn, someone may come back; without, nobody ever will.
        if (!platform_.has_state_traces) {
          result_.stop_reason = "no_trainers";
          break;
        }
        // Wait, but not past the deadline: the loop's first check then ends the run there.
        sg4::this_actor::sleep_for(std::min(t.idle_wait_s, t.deadline_s - sg4::Engine::get_clock()));
        --round; // no round was played
        continue;
      }
      for (const std::string& clip : apply_rules(plan, limits, views_))
        XBT_INFO("round %d: policy '%s': %s", round, scenario_.policy.c_str(), clip.c_str());
      try {
        check_plan(plan, platform_, model_, views_);
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(fmt::format("policy '{}' returned an invalid plan for round {}: {}",
                                             scenario_.policy, round, e.what()));
      }
      RoundOutcome outcome =
          play_round(plan, round, platform_, model_, t.aggregation_flops_per_param, batteries_, t.deadline_s);
      const LearningSnapshot learned = learning_.advance(plan, outcome);

      RoundRecord rec;
      rec.round = round;
      rec.start_s = outcome.start_s, rec.end_s = outcome.end_s;
      rec.trainers_planned = static_cast<int>(plan.trainers.size());
      for (const NodeOutcome& n : outcome.nodes)
        rec.trainers_finished += n.trained && n.finished ? 1 : 0;
      rec.loss = learned.loss, rec.accuracy = learned.accuracy;
      rec.energy_compute_j = outcome.energy_compute_j, rec.energy_network_j = outcome.energy_network_j;
      rec.energy_trainers_j = outcome.energy_trainers_j, rec.energy_aggregator_j = outcome.energy_aggregator_j;
      energy += outcome.energy_compute_j + outcome.energy_network_j;
      rec.energy_total_j = energy;
      rec.bytes_down = outcome.bytes_down, rec.bytes_up = outcome.bytes_up;
      rec.hosts_energy_unknown = outcome.hosts_energy_unknown;
      result_.history.push_back(rec);
      result_.final = learned;

      for (const NodeOutcome& n : outcome.nodes) {
        NodeView& v = views_[n.node];
        if (!n.trained) continue;
        v.last_seconds = n.compute_s + n.comm_s;
        v.last_joules = n.energy_j;
        v.rounds_trained += 1;
      }
      refresh_views(); // as the round leaves them (battery levels, who is on)
      for (RunObserver* o : observers_)
        o->on_round(rec, outcome, views_);
      policy_.observe(outcome, learned);
      XBT_INFO("round %d: %d/%d trainers, loss %.4f, %.1f J", round, rec.trainers_finished,
               rec.trainers_planned, rec.loss, rec.energy_total_j);

      const bool in_time = rec.end_s <= t.deadline_s;
      if (!result_.reached_target && in_time && rec.loss <= t.target_loss) {
        result_.reached_target = true;
        result_.time_to_target_s = rec.end_s;
        result_.energy_to_target_j = rec.energy_total_j;
      }
      if (result_.reached_target && t.stop_at_target) {
        result_.stop_reason = "target";
        break;
      }
      if (!in_time || rec.end_s >= t.deadline_s) {
        result_.stop_reason = "deadline";
        break;
      }
      if (round >= t.max_rounds) {
        result_.stop_reason = "max_rounds";
        break;
      }
    }
    result_.sim_time_s = sg4::Engine::get_clock();
  } catch (const simgrid::ForcefulKillException&) {
    throw; // SimGrid's own unwinding: let it pass
  } catch (...) {
    error_ = std::current_exception();
    sg4::Actor::kill_all();
  }
}

} // namespace edgetrain
