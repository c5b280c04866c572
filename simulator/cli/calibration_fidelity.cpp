#include "simulator/cli/calibration_fidelity.hpp"

#include "simulator/common/error.hpp"
#include "simulator/common/text_file.hpp"
#include "simulator/common/toml_file.hpp"
#include "simulator/learning/calibrate.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace edgetrain {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
// The first parameter of the run's resolved learning.surrogate.* that differs from the fit's, as
// "key: V there, W in this fit" ("" when they all agree).
std::vector<double> numbers_at(const toml::node_view<const toml::node>& at) {
  std::vector<double> out;
  if (const toml::array* a = at.as_array())
    for (const toml::node& x : *a)
      out.push_back(x.value<double>().value_or(-1));
  return out;
}

std::string first_difference(const toml::table& resolved, const LossModel& fitted,
                             const std::vector<double>& layer_weights) {
  const toml::node_view<const toml::node> sur = resolved["learning"]["surrogate"];
  for (const auto& [key, value] : surrogate_values(fitted)) {
    const std::optional<double> there = sur[key].value<double>();
    if (!there || *there != value)
      return fmt::format("{}: {} there, {} in this fit", key, there ? fmt::format("{}", *there) : "none", value);
  }
  if (numbers_at(sur["accuracy_table"]) != fitted.accuracy_table) return "accuracy_table: other values there";
  if (numbers_at(sur["layer_weights"]) != layer_weights) return "layer_weights: other values there";
  return "";
}

std::string percent(const json& x) {
  return x.is_number() ? fmt::format("{:.0f}%", 100 * x.get<double>()) : "-";
}
std::string fixed(const json& x, int digits) {
  return x.is_number() ? fmt::format("{:.{}f}", x.get<double>(), digits) : "-";
}
} // namespace

std::vector<std::string> fidelity_notes(const std::vector<std::string>& dirs, const LossModel& fitted,
                                        const std::vector<double>& layer_weights, const std::string& model) {
  std::vector<std::string> notes;
  for (const std::string& dir : dirs) {
    const fs::path root(dir), summary = root / "fidelity.json", runs = root / "fast" / "runs.csv";
    if (!fs::is_regular_file(summary) || !fs::is_regular_file(runs))
      throw InputError(dir, "not an edgetrain fidelity folder (no fidelity.json, or no fast/runs.csv)");
    json j;
    try {
      j = json::parse(read_file(summary));
    } catch (const json::exception& e) {
      throw InputError(summary.string(), std::string("malformed JSON: ") + e.what());
    }
    if (!j.is_object() || j.value("fast_process", "") != "surrogate")
      throw InputError(summary.string(), "fast_process: not a fidelity study of the surrogate");
    // Every fast run that completed ran on these parameters, or the figures are another fit's.
    std::ifstream in(runs);
    std::string line;
    std::getline(in, line);
    // The columns by name: a campaign's axes come between the run id and the status.
    const std::vector<std::string> header = split(line);
    const auto column = [&](const std::string& name) {
      const auto it = std::find(header.begin(), header.end(), name);
      if (it == header.end()) throw InputError(runs.string() + ":1", "no " + name + " column");
      return static_cast<std::size_t>(it - header.begin());
    };
    const std::size_t id_at = column("run_id"), status_at = column("status");
    int checked = 0;
    for (int n = 2; std::getline(in, line); ++n) {
      const std::vector<std::string> f = split(line);
      if (f.size() <= std::max(id_at, status_at) || f[status_at] != "ok") continue;
      const std::string& id = f[id_at];
      const fs::path resolved = root / "fast" / "runs" / id / "resolved.toml";
      if (!fs::is_regular_file(resolved))
        throw InputError(fmt::format("{}:{}", runs.string(), n), "run " + id + ": no resolved.toml");
      const toml::table t = parse_toml_file(resolved.string(), resolved.string());
      if (t["model"]["name"].value_or(std::string()) != model)
        throw InputError(resolved.string(), fmt::format("model.name: the campaign trains '{}', this fit is for '{}'",
                                                        t["model"]["name"].value_or(std::string()), model));
      const std::string diff = first_difference(t, fitted, layer_weights);
      if (!diff.empty())
        throw InputError(resolved.string(),
                         fmt::format("learning.surrogate.{}: measured on other parameters than this fit; run "
                                     "edgetrain fidelity again with it",
                                     diff));
      ++checked;
    }
    if (checked == 0) throw InputError(runs.string(), "no completed fast run to check the parameters of");
    const std::string campaign = fs::path(j.value("campaign", std::string("?"))).stem().string();
    notes.push_back(fmt::format(
        "fidelity on {} ({} pairs, worst group): tau time {}, energy {}, final accuracy {} (training against "
        "itself, seed halves: {}, {}); time to target error median {} (max {}); final accuracy error {} ({}) "
        "points",
        campaign, j.value("runs", 0), fixed(j["kendall_tau_time"], 2), fixed(j["kendall_tau_energy"], 2),
        fixed(j["kendall_tau_accuracy"], 2), fixed(j["trained_split_half_tau_time"], 2),
        fixed(j["trained_split_half_tau_energy"], 2), percent(j["median_rel_error_time"]),
        percent(j["max_rel_error_time"]), fixed(j["median_abs_error_accuracy_points"], 1),
        fixed(j["max_abs_error_accuracy_points"], 1)));
  }
  return notes;
}

} // namespace edgetrain
