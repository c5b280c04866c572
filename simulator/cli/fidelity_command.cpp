#include "simulator/cli/fidelity_command.hpp"

#include "simulator/campaign/campaign.hpp"
#include "simulator/campaign/campaign_dir.hpp"
#include "simulator/campaign/fidelity.hpp"
#include "simulator/campaign/interrupts.hpp"
#include "simulator/cli/campaign_command.hpp"
#include "simulator/cli/report_errors.hpp"
#include "simulator/common/csv_field.hpp"
#include "simulator/common/rng.hpp"
#include "simulator/common/text_file.hpp"
#include "simulator/learning/learning_process.hpp"
#include "simulator/metrics/output_dir.hpp"
#include "simulator/version.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

namespace edgetrain {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kProcessKey = "learning.process";

std::string toml_string(const std::string& s) { return "\"" + s + "\""; }

// The campaign as it runs under one learning process: [campaign.set]'s entry replaced or added.
Campaign under(Campaign c, const std::string& process) {
  for (std::size_t i = 0; i < c.fixed.size(); ++i)
    if (c.fixed[i].first == kProcessKey) {
      c.fixed[i].second = toml_string(process);
      return c;
    }
  c.fixed.emplace_back(kProcessKey, toml_string(process));
  c.fixed_where.push_back(c.file.string());
  return c;
}

std::string fast_process(const FidelityArgs& a, const Campaign& c) {
  std::string name = a.fast;
  const std::string where = a.fast.empty() ? c.file.string() : "--fast";
  if (name.empty()) {
    name = "surrogate";
    for (const auto& [k, v] : c.fixed)
      if (k == kProcessKey && table_cell(v) != "trained") name = table_cell(v);
  }
  try {
    find_learning(name);
  } catch (const std::out_of_range&) {
    throw InputError(where, fmt::format("{}: no learning process '{}'", kProcessKey, name));
  }
  if (name == "trained")
    throw InputError(where, "the fast process must be another than 'trained', which it is measured against");
  return name;
}

// Which axis names the policy (its keys label a run's policy), -1 for none; learning.process
// may not be an axis (fidelity sets it).
int policy_axis(const Campaign& c) {
  int found = -1;
  for (std::size_t i = 0; i < c.axes.size(); ++i) {
    const auto& keys = c.axes[i].keys;
    if (std::find(keys.begin(), keys.end(), kProcessKey) != keys.end())
      throw InputError(c.axes[i].where, kProcessKey + ": fidelity runs every run under both processes itself; "
                                                      "remove this axis");
    if (std::find(keys.begin(), keys.end(), "policy.name") != keys.end()) found = static_cast<int>(i);
  }
  return found;
}

struct Label {
  std::string group, policy;
};

Label label_of(const Campaign& c, int pol_axis, const CampaignRun& r) {
  std::set<std::string> policy_keys;
  if (pol_axis >= 0) {
    const auto& keys = c.axes[static_cast<std::size_t>(pol_axis)].keys;
    policy_keys.insert(keys.begin(), keys.end());
  }
  Label l;
  for (const auto& [k, v] : r.axis_values) {
    const std::string text = table_cell(v);
    if (policy_keys.count(k)) {
      l.policy += (l.policy.empty() ? "" : " ") + text;
      continue;
    }
    // "deadline_s=0.4", "file=hetero-20-low.xml": the key's last part, a path's file name.
    const std::string key = k.substr(k.rfind('.') + 1);
    l.group += (l.group.empty() ? "" : ", ") + key + "=" + fs::path(text).filename().string();
  }
  return l;
}

// Whole (group, seed) cells, in a seeded order, until about `n` runs: every policy of a group
// and seed stays in, so each sampled group still ranks its policies.
std::vector<std::size_t> sample_runs(const CampaignPlan& runs, const std::vector<Label>& labels, std::int64_t n,
                                     std::int64_t seed) {
  std::vector<std::size_t> all(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i)
    all[i] = i;
  if (n <= 0 || static_cast<std::size_t>(n) >= runs.size()) return all;
  std::vector<std::pair<std::string, std::int64_t>> cells;
  std::map<std::pair<std::string, std::int64_t>, std::vector<std::size_t>> members;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto key = std::make_pair(labels[i].group, runs.run(i).seed);
    if (!members.count(key)) cells.push_back(key);
    members[key].push_back(i);
  }
  Rng rng(static_cast<std::uint64_t>(seed), "fidelity.sample");
  for (std::size_t j = 0; j + 1 < cells.size(); ++j)
    std::swap(cells[j], cells[j + rng.below(cells.size() - j)]);
  std::vector<std::size_t> picked;
  for (const auto& cell : cells) {
    if (picked.size() >= static_cast<std::size_t>(n)) break;
    picked.insert(picked.end(), members[cell].begin(), members[cell].end());
  }
  std::sort(picked.begin(), picked.end());
  return picked;
}

RunVerdict verdict_of(const fs::path& summary) {
  const json j = json::parse(read_file(summary));
  RunVerdict v;
  v.reached = j.at("reached_target").get<bool>();
  const auto number = [&](const char* key) {
    const json& x = j.at(key);
    return x.is_number() ? x.get<double>() : std::nan("");
  };
  v.time_s = number("time_to_target_s");
  v.energy_j = number("energy_to_target_j");
  v.accuracy = number("final_accuracy");
  return v;
}

json number(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }
json tau(const std::optional<double>& t) { return t ? number(*t) : json(nullptr); }
json stats(const ErrorStats& e) { return {{"runs", e.count}, {"median", number(e.median)}, {"max", number(e.max)}}; }

json fidelity_json(const Fidelity& f, const Campaign& c, const std::string& fast, const std::string& cmd) {
  json groups = json::array();
  for (const GroupFidelity& g : f.groups) {
    json policies = json::array();
    for (std::size_t i = 0; i < g.policies.size(); ++i)
      policies.push_back({{"policy", g.policies[i]},
                          {"rank_time_trained", g.rank_trained[i]},
                          {"rank_time_fast", g.rank_fast[i]}});
    groups.push_back({{"group", g.group},
                      {"runs", g.runs},
                      {"reached_trained", g.reached_trained},
                      {"reached_fast", g.reached_fast},
                      {"kendall_tau_time", tau(g.tau_time)},
                      {"kendall_tau_energy", tau(g.tau_energy)},
                      {"kendall_tau_accuracy", tau(g.tau_accuracy)},
                      {"trained_split_half_tau_time", tau(g.self_tau_time)},
                      {"trained_split_half_tau_energy", tau(g.self_tau_energy)},
                      {"rel_error_time", stats(g.rel_time)},
                      {"rel_error_energy", stats(g.rel_energy)},
                      {"abs_error_accuracy_points", stats(g.abs_accuracy)},
                      {"policies", policies}});
  }
  return {{"campaign", fs::absolute(c.file).lexically_normal().string()},
          {"fast_process", fast},
          {"edgetrain_version", edgetrain_version()},
          {"command_line", cmd},
          {"runs", f.runs},
          {"reached_trained", f.reached_trained},
          {"reached_fast", f.reached_fast},
          {"reached_both", f.reached_both},
          {"kendall_tau_time", tau(f.tau_time)},
          {"kendall_tau_energy", tau(f.tau_energy)},
          {"kendall_tau_accuracy", tau(f.tau_accuracy)},
          {"trained_split_half_tau_time", tau(f.self_tau_time)},
          {"trained_split_half_tau_energy", tau(f.self_tau_energy)},
          {"median_rel_error_time", number(f.rel_time.median)},
          {"max_rel_error_time", number(f.rel_time.max)},
          {"median_rel_error_energy", number(f.rel_energy.median)},
          {"max_rel_error_energy", number(f.rel_energy.max)},
          {"median_abs_error_accuracy_points", number(f.abs_accuracy.median)},
          {"max_abs_error_accuracy_points", number(f.abs_accuracy.max)},
          {"groups", groups}};
}

std::string pct(const ErrorStats& e) {
  return e.count ? fmt::format("{:.0f}% ({:.0f}%)", 100 * e.median, 100 * e.max) : "-";
}
std::string points(const ErrorStats& e) {
  return e.count ? fmt::format("{:.1f} ({:.1f})", e.median, e.max) : "-";
}
std::string tau_text(const std::optional<double>& t) { return t ? fmt::format("{:.2f}", *t) : "-"; }

std::string table(const Fidelity& f, const std::string& fast) {
  std::string s = fmt::format("\nfidelity of '{}' against 'trained' on {} pairs of runs\n", fast, f.runs);
  s += fmt::format("  {:<34} {:>5} {:>6} {:>6} {:>6} {:>14} {:>14} {:>12} {:>9}\n", "group", "runs", "tau t",
                   "tau E", "tau acc", "time err", "energy err", "acc err pts", "reached");
  const auto line = [&](const std::string& name, int runs, const auto& tt, const auto& te, const auto& ta,
                        const ErrorStats& et, const ErrorStats& ee, const ErrorStats& ea, int rt, int rf) {
    s += fmt::format("  {:<34} {:>5} {:>6} {:>6} {:>6} {:>14} {:>14} {:>12} {:>9}\n", name.substr(0, 34), runs,
                     tau_text(tt), tau_text(te), tau_text(ta), pct(et), pct(ee), points(ea),
                     fmt::format("{}/{}", rt, rf));
  };
  for (const GroupFidelity& g : f.groups)
    line(g.group.empty() ? "(one group)" : g.group, g.runs, g.tau_time, g.tau_energy, g.tau_accuracy, g.rel_time,
         g.rel_energy, g.abs_accuracy, g.reached_trained, g.reached_fast);
  if (f.groups.size() > 1)
    line("all (taus: worst group)", f.runs, f.tau_time, f.tau_energy, f.tau_accuracy, f.rel_time, f.rel_energy,
         f.abs_accuracy, f.reached_trained, f.reached_fast);
  s += "  errors: median (max) over the runs both processes took to the target; reached: trained/fast\n";
  for (const GroupFidelity& g : f.groups)
    if (g.self_tau_time || g.self_tau_energy)
      s += fmt::format("  trained against itself{}, seeds 1st, 3rd, ... against 2nd, 4th, ...: tau t {}, tau E {}\n",
                       g.group.empty() ? "" : " (" + g.group + ")", tau_text(g.self_tau_time),
                       tau_text(g.self_tau_energy));
  if (f.self_tau_time || f.self_tau_energy)
    s += "  (what seed noise alone leaves of agreement: a tau against trained not far above it says as much about\n"
         "  the seeds as about the fast process; more seeds raise both)\n";
  for (const GroupFidelity& g : f.groups) {
    if (g.policies.size() < 2) continue;
    s += fmt::format("  rank on time to target, trained | fast{}:", g.group.empty() ? "" : " (" + g.group + ")");
    for (std::size_t i = 0; i < g.policies.size(); ++i)
      s += fmt::format("  {} {}|{}", g.policies[i], g.rank_trained[i], g.rank_fast[i]);
    s += "\n";
  }
  return s;
}

std::string pairs_csv(const std::vector<FidelityPair>& pairs) {
  std::string s = "run,group,policy,seed,reached_trained,reached_fast,time_to_target_trained_s,"
                  "time_to_target_fast_s,energy_to_target_trained_j,energy_to_target_fast_j,"
                  "final_accuracy_trained,final_accuracy_fast\n";
  const auto num = [](double x) { return std::isfinite(x) ? fmt::format("{}", x) : std::string(); };
  for (const FidelityPair& p : pairs)
    s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", p.run + 1, csv_field(p.group), csv_field(p.policy),
                     p.seed, p.trained.reached ? 1 : 0, p.fast.reached ? 1 : 0, num(p.trained.time_s),
                     num(p.fast.time_s), num(p.trained.energy_j), num(p.fast.energy_j), num(p.trained.accuracy),
                     num(p.fast.accuracy));
  return s;
}

int fidelity(const FidelityArgs& a) {
  if (a.jobs < 1) throw InputError("--jobs", "expected at least 1");
  if (a.sample < 0) throw InputError("--sample", "expected 0 (every run) or more");
  const Campaign c = load_campaign(a.campaign);
  const int pol_axis = policy_axis(c);
  const std::string fast = fast_process(a, c);
  const Campaign ct = under(c, "trained"), cf = under(c, fast);
  // Both plans hold the same runs in the same order: the axes and seeds are the same.
  const CampaignPlan all_t(ct), all_f(cf);
  std::vector<Label> labels;
  for (std::size_t i = 0; i < all_t.size(); ++i)
    labels.push_back(label_of(c, pol_axis, all_t.run(i)));
  const std::vector<std::size_t> picked = sample_runs(all_t, labels, a.sample, a.sample_seed);
  const CampaignPlan plan_t = all_t.subset(picked), plan_f = all_f.subset(picked);

  const fs::path root = fs::absolute(a.out).lexically_normal();
  if (fs::exists(root) && !fs::is_directory(root)) throw InputError(root.string(), "not a folder");
  if (fs::exists(root) && !fs::is_empty(root) && !fs::exists(root / "trained") && !fs::exists(root / "fast"))
    throw InputError(root.string(), "the folder holds something else than a fidelity study: choose another --out");
  const CampaignDir dt(root / "trained"), df(root / "fast");
  const std::string cmd = shell_quote(a.argv);
  fmt::print(stderr, "fidelity of '{}' on campaign {}: {} of {} runs, each under both processes\n", fast, c.name,
             picked.size(), all_t.size());
  // The fast runs first: they take seconds, and a folder measured so far is useful at once.
  int interrupted = run_campaign_local(plan_f, df, a.jobs, a.progress, a.merge_only, cmd);
  if (interrupted == 0) interrupted = run_campaign_local(plan_t, dt, a.jobs, a.progress, a.merge_only, cmd);

  std::vector<FidelityPair> pairs;
  std::size_t incomplete = 0;
  for (std::size_t i = 0; i < picked.size(); ++i) {
    const CampaignRun rt = plan_t.run(i), rf = plan_f.run(i);
    if (dt.status(rt).kind != RunStatus::Done || df.status(rf).kind != RunStatus::Done) {
      ++incomplete;
      continue;
    }
    const Label& l = labels[picked[i]];
    pairs.push_back({picked[i], l.group, l.policy, rt.seed, verdict_of(dt.run_dir(rt) / "summary.json"),
                     verdict_of(df.run_dir(rf) / "summary.json")});
  }
  const Fidelity f = measure_fidelity(pairs);
  write_file_atomic(root / "fidelity.csv", pairs_csv(pairs));
  write_file_atomic(root / "fidelity.json", fidelity_json(f, c, fast, cmd).dump(2) + "\n");
  fmt::print("{}", table(f, fast));
  fmt::print("{} pairs measured, {} incomplete (failed or not run); fidelity.json and fidelity.csv in {}\n",
             pairs.size(), incomplete, root.string());
  if (interrupted != 0) {
    fmt::print(stderr, "interrupted by signal {} ({}): measured what is complete; the same command resumes\n",
               interrupted, strsignal(interrupted));
    die_by(interrupted);
    return 128 + interrupted;
  }
  return incomplete == 0 ? 0 : 1;
}

} // namespace

int fidelity_command(const FidelityArgs& args) {
  return report_errors([&] { return fidelity(args); });
}

} // namespace edgetrain
