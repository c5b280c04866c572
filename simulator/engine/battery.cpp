#include "simulator/engine/battery.hpp"

#include <simgrid/Exception.hpp>
#include <simgrid/plugins/energy.h>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/ConditionVariable.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Mutex.hpp>
#include <xbt/log.h>

#include <cmath>
#include <limits>
#include <mutex>

XBT_LOG_NEW_DEFAULT_CATEGORY(edgetrain_battery, "edgetrain: battery model");

namespace sg4 = simgrid::s4u;

namespace edgetrain {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kEmpty = 1e-9; // J: below this the battery is empty (float noise of the prediction)

double now() {
  return sg4::Engine::get_clock();
}
} // namespace

struct Batteries::Impl {
  struct Cell {
    const Node* node = nullptr;
    BatterySpec spec;
    double level = 0;       // J, as of `updated`
    double updated = 0;     // time of the last account
    double energy_seen = 0; // SimGrid's joules for the host as of `updated`
    bool busy = false;
    unsigned long pstate = 0;
    bool emptied = false; // switched off by us
    double due = kInf;    // predicted next event
  };
  std::vector<Cell> cells;
  std::vector<int> index; // NodeId -> cell, -1 for none
  sg4::MutexPtr mutex;
  sg4::ConditionVariablePtr cv;
  bool started = false;

  [[nodiscard]] bool charging(const Cell& c, double t) const {
    if (c.spec.charge_w <= 0) return false;
    const double in_period = std::fmod(t, c.spec.charge_period);
    for (const auto& [from, to] : c.spec.windows)
      if (in_period >= from && in_period < to) return true;
    return false;
  }
  // Next window boundary strictly after t.
  [[nodiscard]] double next_boundary(const Cell& c, double t) const {
    if (c.spec.charge_w <= 0 || c.spec.windows.empty()) return kInf;
    const double base = std::floor(t / c.spec.charge_period) * c.spec.charge_period;
    double best = kInf;
    for (int k = 0; k < 2; ++k)
      for (const auto& [from, to] : c.spec.windows)
        for (double b : {from, to}) {
          const double at = base + k * c.spec.charge_period + b;
          if (at > t + 1e-12) best = std::min(best, at);
        }
    return best;
  }
  [[nodiscard]] double power(const Cell& c) const {
    const Node& n = *c.node;
    if (!n.host->is_on()) return 0;
    return c.busy ? n.watts_busy[c.pstate] : n.watts_idle[c.pstate];
  }
  // Brings a cell's account up to now: SimGrid's joules drain it, a charging window refills it.
  void account(Cell& c) {
    const double t = now();
    const double e = sg_host_get_consumed_energy(c.node->host);
    if (charging(c, c.updated))
      c.level = std::min(c.spec.capacity_j, c.level + c.spec.charge_w * (t - c.updated));
    else if (!c.emptied)
      c.level -= e - c.energy_seen;
    c.level = std::max(c.level, 0.0);
    c.energy_seen = e, c.updated = t;
  }
  void predict(Cell& c) {
    const double t = now();
    double due = next_boundary(c, t);
    const double p = power(c);
    if (!charging(c, t) && !c.emptied && p > 0) due = std::min(due, t + c.level / p);
    c.due = due;
  }

  void manage() {
    std::unique_lock lock(*mutex);
    for (;;) {
      double next = kInf;
      for (const Cell& c : cells)
        next = std::min(next, c.due);
      try {
        if (next == kInf)
          cv->wait(lock);
        else if (next > now())
          cv->wait_until(lock, next);
      } catch (const simgrid::ForcefulKillException&) {
        // Killed (a daemon, at the simulation's end; or with its host): unlocking would be a
        // simcall while dying, which thread contexts never return from (the maestro joins the
        // actor's thread as it waits to be scheduled again), and nobody waits for the lock now.
        lock.release();
        throw;
      }
      for (Cell& c : cells) {
        if (c.due > now() + 1e-12) continue;
        account(c);
        if (!c.emptied && !charging(c, now()) && c.level <= kEmpty && c.node->host->is_on()) {
          XBT_INFO("%s: battery empty, switching off", c.node->host->get_cname());
          c.emptied = true, c.level = 0;
          c.node->host->turn_off();
        } else if (c.emptied && charging(c, now()) && !c.node->host->is_on()) {
          XBT_INFO("%s: charging, switching back on", c.node->host->get_cname());
          c.emptied = false;
          c.node->host->turn_on();
        }
        account(c);
        predict(c);
      }
    }
  }
};

Batteries::Batteries(const Platform& platform) : impl_(std::make_unique<Impl>()) {
  impl_->index.assign(platform.nodes.size(), -1);
  for (const Node& n : platform.nodes) {
    if (n.battery.capacity_j <= 0) continue;
    Impl::Cell c;
    c.node = &n;
    c.spec = n.battery;
    c.level = n.battery.capacity_j * n.battery.initial_fraction;
    c.pstate = n.initial_pstate;
    impl_->index[n.id] = static_cast<int>(impl_->cells.size());
    impl_->cells.push_back(c);
  }
}
Batteries::~Batteries() = default;

bool Batteries::any() const {
  return !impl_->cells.empty();
}

void Batteries::start(simgrid::s4u::Host* where) {
  if (!any() || impl_->started) return;
  impl_->started = true;
  sg4::ActorPtr a = sg4::Actor::create("battery-manager", where, [this] {
    impl_->mutex = sg4::Mutex::create();
    impl_->cv = sg4::ConditionVariable::create();
    for (auto& c : impl_->cells) {
      c.energy_seen = sg_host_get_consumed_energy(c.node->host), c.updated = now();
      impl_->predict(c);
    }
    impl_->manage();
  });
  a->daemonize(); // the simulation ends when the rounds do
}

void Batteries::set_busy(NodeId node, bool busy, unsigned long pstate) {
  if (impl_->index[node] < 0 || !impl_->cv) return;
  Impl::Cell& c = impl_->cells[static_cast<std::size_t>(impl_->index[node])];
  std::unique_lock lock(*impl_->mutex);
  impl_->account(c);
  c.busy = busy, c.pstate = pstate;
  impl_->predict(c);
  impl_->cv->notify_one();
}

double Batteries::level_j(NodeId node) {
  if (impl_->index[node] < 0) return -1;
  Impl::Cell& c = impl_->cells[static_cast<std::size_t>(impl_->index[node])];
  impl_->account(c);
  return c.level;
}

double Batteries::capacity_j(NodeId node) const {
  return impl_->index[node] < 0 ? -1
                                : impl_->cells[static_cast<std::size_t>(impl_->index[node])].spec.capacity_j;
}

} // namespace edgetrain
