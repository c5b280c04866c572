// resolved.toml: the scenario exactly as run, every key with its value, so a run can be repeated
// from its output folder alone (Batsim-style resolved-config dump).
#include "simulator/scenario/scenario.hpp"
#include "simulator/version.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace edgetrain {

std::string Scenario::where(const std::string& key) const {
  auto it = key_where.find(key);
  return it == key_where.end() ? file.string() : it->second;
}

namespace {
std::string bare_or_quoted(const std::string& key) {
  const bool bare = !key.empty() && key.find_first_not_of(
                                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
                                        std::string::npos;
  return bare ? key : value_to_string(Value{key});
}
// Files named relative to the scenario are written absolute, like platform.file, so that
// `edgetrain run DIR/resolved.toml` finds them from the output folder.
Value absolute_if_file(const Scenario& s, const std::string& path, const Value& v) {
  const auto* text = std::get_if<std::string>(&v);
  const bool names_file =
      path.ends_with(".predictor") || path.ends_with(".pareto") || path == "learning.surrogate.calibration";
  if (!text || !names_file || text->empty() || *text == "auto" || *text == "oracle") return v;
  return (s.file.parent_path() / *text).lexically_normal().string();
}

// What a planner's predictor resolves to, said beside it: under the surrogate process it is
// not the process's own parameters, unless "oracle" (an upper bound).
std::string note(const Scenario& s, const std::string& path, const Value& v) {
  const auto* text = std::get_if<std::string>(&v);
  if (!text || !path.ends_with(".predictor")) return "";
  if (*text == "auto")
    return fmt::format("  # configs/predictors/{}: fitted on another design and seed than learning.surrogate.*",
                       shipped_predictor(s.model, s.data.dataset).filename().string());
  if (*text == "oracle") return "  # learning.surrogate.* itself: an upper bound, not a fair comparison";
  return "";
}
} // namespace

std::string resolved_toml(const Scenario& s) {
  std::string out =
      fmt::format("# Resolved scenario: every key with the value used.\n# edgetrain {}, SimGrid {}\n"
                  "# from {}\n",
                  edgetrain_version(), simgrid_version(), s.file.string());
  std::string table = "\n"; // never a real table name
  for (const auto& [path, value] : s.resolved) {
    const std::size_t dot = path.rfind('.');
    const std::string t = path.substr(0, dot), key = path.substr(dot + 1);
    if (t != table) out += fmt::format("\n[{}]\n", t), table = t;
    Value v = value;
    if (path == "scenario.name") v = s.name;
    if (path == "platform.file") v = s.platform_file.string();
    if (path == "platform.traces") {
      std::vector<std::string> traces;
      for (const auto& trace : s.traces)
        traces.push_back(trace.string());
      v = traces;
    }
    v = absolute_if_file(s, path, v);
    out += fmt::format("{} = {}{}\n", key, value_to_string(v), note(s, path, v));
  }
  if (!s.data.by_host.empty()) {
    out += "\n[data.samples]\n";
    for (const auto& [host, n] : s.data.by_host)
      out += fmt::format("{} = {}\n", bare_or_quoted(host), n);
  }
  return out;
}

} // namespace edgetrain
