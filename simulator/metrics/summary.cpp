#include "simulator/metrics/summary.hpp"

#include "simulator/metrics/csv_recorder.hpp"
#include "simulator/version.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace edgetrain {

namespace {
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    else
      out += c;
  }
  return out + '"';
}
std::string json_num(double x) {
  return std::isfinite(x) ? num(x) : "null";
}

struct Totals {
  double compute = 0, network = 0, trainers = 0, aggregator = 0;
  int unknown = 0;
};
Totals totals(const RunResult& r) {
  Totals t;
  for (const RoundRecord& rec : r.history) {
    t.compute += rec.energy_compute_j;
    t.network += rec.energy_network_j;
    t.trainers += rec.energy_trainers_j;
    t.aggregator += rec.energy_aggregator_j;
    t.unknown = std::max(t.unknown, rec.hosts_energy_unknown);
  }
  return t;
}
// Names what has no power figures, so that a reader need not scroll back to the warnings.
std::string incomplete(const Platform& p) {
  std::vector<std::string> hosts;
  for (const Node& n : p.nodes)
    if (!n.has_power) hosts.push_back(n.host->get_name());
  std::string s = "  (incomplete: no power figures for";
  if (!hosts.empty()) {
    const auto shown = std::min<std::size_t>(3, hosts.size());
    s += fmt::format(" host(s) {}{}", fmt::join(hosts.begin(), hosts.begin() + static_cast<std::ptrdiff_t>(shown), ", "),
                     hosts.size() > shown ? fmt::format(" and {} more", hosts.size() - shown) : "");
  }
  if (p.links_energy_unknown > 0)
    s += fmt::format("{} {} link(s), named in the warning above", hosts.empty() ? "" : " and",
                     p.links_energy_unknown);
  return s + ")";
}
} // namespace

std::string summary_json(const RunInfo& run) {
  const RunResult& r = run.result;
  const Totals t = totals(r);
  const double total = r.history.empty() ? 0.0 : r.history.back().energy_total_j;
  std::string o = "{\n";
  const auto field = [&o](const char* k, const std::string& v, bool last = false) {
    o += fmt::format("  \"{}\": {}{}\n", k, v, last ? "" : ",");
  };
  field("scenario", json_string(run.scenario.name));
  field("policy", json_string(run.scenario.policy));
  for (const auto& [k, v] : run.policy_info) // flat, as campaigns read it: "policy_predictor", ...
    o += fmt::format("  \"policy_{}\": {},\n", k, json_string(v));
  field("learning", json_string(run.scenario.learning));
  field("seed", fmt::format("{}", run.scenario.seed));
  field("trainers", fmt::format("{}", run.platform.trainer_count()));
  field("rounds", fmt::format("{}", r.history.size()));
  field("stop_reason", json_string(r.stop_reason));
  field("sim_time_s", json_num(r.sim_time_s));
  field("energy_j", json_num(total));
  field("energy_compute_j", json_num(t.compute));
  field("energy_network_j", json_num(t.network));
  field("energy_trainers_j", json_num(t.trainers));
  field("energy_aggregator_j", json_num(t.aggregator));
  field("energy_complete", t.unknown == 0 && run.platform.links_energy_unknown == 0 ? "true" : "false");
  field("hosts_energy_unknown", fmt::format("{}", t.unknown));
  field("links_energy_unknown", fmt::format("{}", run.platform.links_energy_unknown));
  field("initial_loss", json_num(r.initial.loss));
  field("final_loss", json_num(r.final.loss));
  field("final_accuracy", json_num(r.final.accuracy));
  field("target_loss", json_num(run.scenario.training.target_loss));
  field("reached_target", r.reached_target ? "true" : "false");
  field("time_to_target_s", json_num(r.time_to_target_s));
  field("energy_to_target_j", json_num(r.energy_to_target_j));
  field("edgetrain_version", json_string(edgetrain_version()));
  field("simgrid_version", json_string(simgrid_version()));
  field("wall_s", json_num(std::round(run.wall_s * 1000) / 1000), true);
  return o + "}\n";
}

std::string console_table(const RunInfo& run, const std::string& out_dir) {
  const RunResult& r = run.result;
  const Totals t = totals(r);
  const double total = r.history.empty() ? 0.0 : r.history.back().energy_total_j;
  std::string s;
  s += fmt::format("\n{} - policy {}, seed {}, {} trainers\n", run.scenario.name, run.scenario.policy,
                   run.scenario.seed, run.platform.trainer_count());
  for (const auto& [k, v] : run.policy_info)
    s += fmt::format("  {:<22}{}\n", k.substr(0, 21), v);
  s += fmt::format("  {:<22}{:>14}\n", "rounds", r.history.size());
  s += fmt::format("  {:<22}{:>14}\n", "stopped by", r.stop_reason);
  s += fmt::format("  {:<22}{:>14.3f}\n", "simulated time (s)", r.sim_time_s);
  s += fmt::format("  {:<22}{:>14.4f}\n", "final loss", r.final.loss);
  s += fmt::format("  {:<22}{:>14.4f}\n", "final accuracy", r.final.accuracy);
  s += fmt::format("  {:<22}{:>14}\n", "target reached",
                   r.reached_target ? fmt::format("at {:.1f} s", r.time_to_target_s) : std::string("no"));
  s += fmt::format("  {:<22}{:>14.2f}\n", "energy trainers (J)", t.trainers);
  s += fmt::format("  {:<22}{:>14.2f}\n", "energy aggregator (J)", t.aggregator);
  s += fmt::format("  {:<22}{:>14.2f}\n", "energy network (J)", t.network);
  s += fmt::format("  {:<22}{:>14.2f}{}\n", "energy total (J)", total,
                   t.unknown || run.platform.links_energy_unknown ? incomplete(run.platform) : "");
  s += fmt::format("  {:<22}{:>14.2f}\n", "wall time (s)", run.wall_s);
  s += fmt::format("results in {}\n", out_dir);
  return s;
}

} // namespace edgetrain
