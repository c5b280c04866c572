// Scenario loading: TOML (toml++) -> overrides -> validation against the schema -> Scenario.
#include "simulator/common/error.hpp"
#include "simulator/common/nearest.hpp"
#include "simulator/common/toml_file.hpp"
#include "simulator/scenario/scenario.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace edgetrain {

namespace fs = std::filesystem;

namespace {

struct Loader {
  Loader(fs::path file, const std::vector<Override>& overrides) : file_(std::move(file)) {
    for (const Override& o : overrides)
      overridden_.insert(o.path);
  }

  std::string where(const toml::source_region& src, const std::string& path) const {
    if (overridden_.count(path) || src.begin.line == 0) return "--set " + path;
    return fmt::format("{}:{}:{}", file_.string(), src.begin.line, src.begin.column);
  }
  std::string where(const toml::node& node, const std::string& path) const {
    return where(node.source(), path);
  }

  [[noreturn]] void fail(const toml::node& node, const std::string& path, const std::string& what) const {
    throw InputError(where(node, path), path + ": " + what);
  }

  // Converts one TOML node to the spec's type, or fails naming the key.
  Value convert(const toml::node& node, const KeySpec& spec) const {
    const auto wrong = [&] {
      fail(node, spec.path, fmt::format("expected {}, got {}", type_name(spec.type), describe(node)));
    };
    switch (spec.type) {
    case ValueType::Bool:
      if (!node.is_boolean()) wrong();
      return node.as_boolean()->get();
    case ValueType::Int:
      if (!node.is_integer()) wrong();
      return node.as_integer()->get();
    case ValueType::Float: {
      if (!node.is_number()) wrong();
      const std::optional<double> x = exact_number(node);
      if (!x) fail(node, spec.path, inexact_why(node));
      return *x;
    }
    case ValueType::String:
      if (!node.is_string()) wrong();
      return node.as_string()->get();
    case ValueType::StringList: {
      if (!node.is_array()) wrong();
      std::vector<std::string> out;
      for (const toml::node& e : *node.as_array()) {
        if (!e.is_string())
          fail(node, spec.path, "expected an array of strings, found " + describe(e) + " in it");
        out.push_back(e.as_string()->get());
      }
      return out;
    }
    case ValueType::FloatList: {
      if (!node.is_array()) wrong();
      std::vector<double> out;
      for (const toml::node& e : *node.as_array()) {
        if (!e.is_number())
          fail(node, spec.path, "expected an array of numbers, found " + describe(e) + " in it");
        const std::optional<double> x = exact_number(e);
        if (!x) fail(node, spec.path, "an entry " + inexact_why(e));
        out.push_back(*x);
      }
      if (out.empty()) fail(node, spec.path, "expected a non-empty array of numbers");
      return out;
    }
    }
    wrong();
    return {};
  }

  void check_range(const toml::node& node, const KeySpec& spec, const Value& v) const {
    double x = 0;
    if (const auto* i = std::get_if<std::int64_t>(&v))
      x = static_cast<double>(*i);
    else if (const auto* d = std::get_if<double>(&v))
      x = *d;
    else if (const auto* l = std::get_if<std::vector<double>>(&v)) {
      for (double e : *l)
        check_range(node, spec, Value{e});
      return;
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      if (!spec.choices.empty() &&
          std::find(spec.choices.begin(), spec.choices.end(), *s) == spec.choices.end()) {
        std::string hint = nearest(*s, spec.choices);
        fail(node, spec.path,
             fmt::format("'{}' is not one of: {}{}", *s, join(spec.choices),
                         hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
      }
      return;
    } else
      return;
    if (std::isnan(x)) fail(node, spec.path, "must be a number, got nan");
    const bool low = spec.min_exclusive ? x <= spec.min : x < spec.min;
    if (low || x > spec.max) {
      std::string range = fmt::format("{} {}", spec.min_exclusive ? ">" : ">=", spec.min);
      if (std::isfinite(spec.max)) range += fmt::format(" and <= {}", spec.max);
      fail(node, spec.path, fmt::format("must be {}, got {}", range, value_to_string(v)));
    }
  }

  static std::string describe(const toml::node& n) {
    switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return fmt::format("string \"{}\"", n.as_string()->get());
    case toml::node_type::integer:
      return fmt::format("integer {}", n.as_integer()->get());
    case toml::node_type::floating_point:
      return fmt::format("number {}", n.as_floating_point()->get());
    case toml::node_type::boolean:
      return n.as_boolean()->get() ? "true" : "false";
    default:
      return "a date or time";
    }
  }

  void walk(const toml::table& table, const std::string& prefix) {
    for (auto&& [k, node] : table) {
      const std::string path = prefix + std::string(k.str());
      if (prefix == "data.samples.") {
        if (!node.is_integer()) fail(node, path, "expected integer sample count, got " + describe(node));
        const std::int64_t n = node.as_integer()->get();
        if (n < 1) fail(node, path, fmt::format("must be >= 1, got {}", n));
        samples_[std::string(k.str())] = n;
        samples_where_[std::string(k.str())] = where(k.source(), path); // the host name is the key
        continue;
      }
      if (node.is_array_of_tables() && (path == "data.samples" || is_table_prefix(path)))
        fail(node, path, "expected a table ([" + path + "]), got an array of tables ([[" + path + "]])");
      if (node.is_table()) {
        if (path == "data.samples" || is_table_prefix(path)) {
          walk(*node.as_table(), path + ".");
          continue;
        }
      } else if (const KeySpec* spec = find(path)) {
        Value v = convert(node, *spec);
        check_range(node, *spec, v);
        values_[path] = std::move(v);
        where_[path] = where(node, path);
        continue;
      }
      unknown(k, node, path);
    }
  }

  // An unknown key or table: point at the key itself, and suggest the nearest valid name.
  [[noreturn]] void unknown(const toml::key& key, const toml::node& node, const std::string& path) const {
    const std::string at = where(key.source(), path);
    if (path.rfind("policy.", 0) == 0 && node.is_table())
      throw InputError(
          at, fmt::format("{}: unknown policy table (policies: {})", path, join(names_after("policy."))));
    if (path.rfind("learning.", 0) == 0 && node.is_table())
      throw InputError(at, fmt::format("{}: unknown learning process table (processes: {})", path,
                                       join(names_after("learning."))));
    std::vector<std::string> candidates;
    for (const KeySpec& s : scenario_schema()) {
      if (node.is_table()) { // tables: every prefix of a key path
        for (std::size_t dot = s.path.find('.'); dot != std::string::npos; dot = s.path.find('.', dot + 1))
          candidates.push_back(s.path.substr(0, dot));
      } else {
        candidates.push_back(s.path);
      }
    }
    std::string hint = nearest(path, candidates);
    if (hint.empty() && !node.is_table()) { // the right name in the wrong table?
      const std::string leaf = path.substr(path.rfind('.') + 1);
      for (const std::string& c : candidates)
        if (c.substr(c.rfind('.') + 1) == leaf) hint = c;
    }
    throw InputError(at,
                     fmt::format("{}: unknown {}{}", path, node.is_table() ? "table" : "key",
                                 hint.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", hint)));
  }

  std::vector<std::string> names_after(const std::string& prefix) const {
    std::set<std::string> names;
    for (const KeySpec& s : scenario_schema())
      if (s.path.rfind(prefix, 0) == 0) {
        const std::string rest = s.path.substr(prefix.size());
        if (rest.find('.') != std::string::npos) names.insert(rest.substr(0, rest.find('.')));
      }
    return {names.begin(), names.end()};
  }

  static const KeySpec* find(const std::string& path) {
    for (const KeySpec& s : scenario_schema())
      if (s.path == path) return &s;
    return nullptr;
  }
  static bool is_table_prefix(const std::string& path) {
    for (const KeySpec& s : scenario_schema())
      if (s.path.rfind(path + ".", 0) == 0) return true;
    return false;
  }

  fs::path file_;
  std::set<std::string> overridden_;
  std::map<std::string, Value> values_;
  std::map<std::string, std::string> where_;
  std::map<std::string, std::int64_t> samples_;
  std::map<std::string, std::string> samples_where_;
};

void apply_override(toml::table& root, const Override& o) {
  if (o.path.empty() || o.path.front() == '.' || o.path.back() == '.' ||
      o.path.find("..") != std::string::npos)
    throw InputError("--set " + o.path, "malformed key path");
  toml::table* t = &root;
  std::size_t start = 0;
  for (std::size_t dot; (dot = o.path.find('.', start)) != std::string::npos; start = dot + 1) {
    const std::string seg = o.path.substr(start, dot - start);
    toml::node* child = t->get(seg);
    if (!child) child = &t->insert_or_assign(seg, toml::table{}).first->second;
    if (!child->is_table()) throw InputError("--set " + o.path, "'" + seg + "' is not a table");
    t = child->as_table();
  }
  const std::string leaf = o.path.substr(start);
  try {
    toml::table parsed = toml::parse("v = " + o.value);
    t->insert_or_assign(leaf, std::move(*parsed.get("v")));
  } catch (const toml::parse_error&) {
    t->insert_or_assign(leaf, o.value); // a bare word: the string itself
  }
}

Params params_with_prefix(const std::vector<std::pair<std::string, Value>>& resolved,
                          const std::string& prefix) {
  std::map<std::string, Value> out;
  for (const auto& [path, v] : resolved)
    if (path.rfind(prefix, 0) == 0) out[path.substr(prefix.size())] = v;
  return Params(std::move(out));
}

const Value& given_or_default(const Loader& l, const std::string& path) {
  const auto it = l.values_.find(path);
  if (it != l.values_.end()) return it->second;
  for (const KeySpec& k : scenario_schema())
    if (k.path == path) return k.def;
  throw std::logic_error("no key " + path);
}

// A calibration file (edgetrain calibrate) is a scenario fragment holding learning.surrogate.*
// keys only, checked like the scenario itself, and a [fitted_for] table naming the model and data
// set it was fitted for: a file for another model is refused, not played. `required`: a file
// without the table is refused too (predictors); a surrogate calibration of an older edgetrain
// may lack it.
Loader read_fragment(const fs::path& cal, const std::string& shown, const std::string& model,
                     const std::string& dataset, bool required) {
  toml::table table = parse_toml_file(cal.string(), shown);
  std::int64_t form = 1;
  const toml::node* f = table.get("fitted_for");
  if (!f && required)
    throw InputError(shown, "fitted_for: missing: the file must say what it was fitted for ([fitted_for] with "
                            "model and dataset, as edgetrain calibrate writes it)");
  if (f) {
    const toml::table* ft = f->as_table();
    if (!ft)
      throw InputError(fmt::format("{}:{}:{}", shown, f->source().begin.line, f->source().begin.column),
                       "fitted_for: expected a table ([fitted_for] with model and dataset)");
    const auto text = [&](const char* key) -> std::string {
      const toml::node* n = ft ? ft->get(key) : nullptr;
      if (!n || !n->is_string())
        throw InputError(fmt::format("{}:{}:{}", shown, f->source().begin.line, f->source().begin.column),
                         fmt::format("fitted_for.{}: expected a string", key));
      return n->as_string()->get();
    };
    const std::string m = text("model"), d = text("dataset");
    if (const toml::node* fn = ft->get("form")) {
      const auto v = fn->value<std::int64_t>();
      if (!fn->is_integer() || !v || *v < 1)
        throw InputError(fmt::format("{}:{}:{}", shown, fn->source().begin.line, fn->source().begin.column),
                         "fitted_for.form: expected a positive integer");
      form = *v;
    }
    if (form != kCalibrationForm) {
      const toml::node* at = ft->get("form") ? ft->get("form") : f;
      throw InputError(fmt::format("{}:{}:{}", shown, at->source().begin.line, at->source().begin.column),
                       fmt::format("fitted_for.form: fitted to loss-model form {}, {} than this edgetrain's {}: "
                                   "{}",
                                   form, form < kCalibrationForm ? "older" : "newer", kCalibrationForm,
                                   form < kCalibrationForm ? "refit it (edgetrain calibrate, see the file's header)"
                                                           : "use a newer edgetrain or refit it"));
    }
    if (m != model || d != dataset)
      throw InputError(fmt::format("{}:{}:{}", shown, f->source().begin.line, f->source().begin.column),
                       fmt::format("fitted_for: fitted for model '{}' on '{}', but the run trains '{}' on '{}'",
                                   m, d, model, dataset));
    table.erase("fitted_for");
  }
  Loader fragment(shown, {});
  fragment.walk(table, "");
  if (!fragment.samples_.empty())
    throw InputError(fragment.samples_where_.begin()->second,
                     "data.samples: a calibration file sets learning.surrogate.* parameters only");
  for (const auto& [path, value] : fragment.values_)
    if (path.rfind("learning.surrogate.", 0) != 0 || path == "learning.surrogate.calibration")
      throw InputError(fragment.where_.at(path),
                       path + ": a calibration file sets learning.surrogate.* parameters only");
  return fragment;
}

} // namespace

struct ScenarioFileCache::Impl {
  std::map<std::string, toml::table> scenarios;                                          // by path
  std::map<std::tuple<std::string, std::string, std::string, std::string, bool>, Loader> fragments; // read_fragment's
};

ScenarioFileCache::ScenarioFileCache() : impl_(std::make_unique<Impl>()) {}
ScenarioFileCache::~ScenarioFileCache() = default;

namespace {

toml::table parse_scenario_file(const fs::path& file, const std::string& shown, ScenarioFileCache::Impl* cache) {
  if (!cache) return parse_toml_file(file.string(), shown);
  auto it = cache->scenarios.find(file.string());
  if (it == cache->scenarios.end()) it = cache->scenarios.emplace(file.string(), parse_toml_file(file.string(), shown)).first;
  return it->second; // a copy: overrides change it
}

// read_fragment's Loader, kept in `cache` (or in `own` without one).
const Loader& cached_fragment(const fs::path& cal, const std::string& shown, const std::string& model,
                              const std::string& dataset, bool required, ScenarioFileCache::Impl* cache,
                              std::optional<Loader>& own) {
  if (!cache) return own.emplace(read_fragment(cal, shown, model, dataset, required));
  const auto key = std::make_tuple(cal.string(), shown, model, dataset, required);
  auto it = cache->fragments.find(key);
  if (it == cache->fragments.end())
    it = cache->fragments.emplace(key, read_fragment(cal, shown, model, dataset, required)).first;
  return it->second;
}

// The surrogate's parameters come from a calibration file unless the scenario sets them: "auto"
// picks the shipped file for the model and data set, if there is one. It is read whatever the
// learning process (a trained run's resolved.toml then still shows them), but no policy sees it.
// Returns the shipped file "auto" looked for and did not find ("" otherwise).
std::string apply_calibration(Loader& loader, const fs::path& scenario_file, const fs::path& shipped,
                              ScenarioFileCache::Impl* cache) {
  const std::string key = "learning.surrogate.calibration";
  const std::string& given = std::get<std::string>(given_or_default(loader, key));
  const std::string model = std::get<std::string>(given_or_default(loader, "model.name"));
  const std::string dataset = std::get<std::string>(given_or_default(loader, "data.dataset"));
  fs::path cal;
  std::error_code ec;
  if (given == "auto") {
    cal = shipped / (model + "-" + dataset + ".toml");
    if (!fs::is_regular_file(cal, ec)) return cal.string(); // none shipped: the keys' own values
  } else if (!given.empty()) {
    cal = (scenario_file.parent_path() / given).lexically_normal();
    if (!fs::is_regular_file(cal, ec))
      throw InputError(loader.where_.count(key) ? loader.where_.at(key) : scenario_file.string(),
                       fmt::format("{}: no such file: {}", key, cal.string()));
  } else {
    return "";
  }
  std::optional<Loader> own;
  const Loader& fragment = cached_fragment(cal, cal.string(), model, dataset, false, cache, own);
  for (const auto& [path, value] : fragment.values_) {
    if (loader.values_.count(path)) continue; // the scenario's own setting wins
    loader.values_[path] = value;
    loader.where_[path] = fragment.where_.at(path);
  }
  return "";
}
} // namespace

namespace {
Scenario load(const fs::path& file_in, const std::vector<Override>& overrides, const fs::path& calibration_dir,
              ScenarioFileCache::Impl* cache) {
  const fs::path file = fs::absolute(file_in).lexically_normal();
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw InputError(file_in.string(), "cannot read scenario: no such file");

  toml::table root = parse_scenario_file(file, file_in.string(), cache);
  for (const Override& o : overrides)
    apply_override(root, o);

  Loader loader(file_in, overrides);
  loader.walk(root, "");
  const std::string calibration_missing = apply_calibration(loader, file, calibration_dir, cache);

  Scenario s;
  s.file = file;
  for (const KeySpec& spec : scenario_schema()) {
    auto it = loader.values_.find(spec.path);
    s.resolved.emplace_back(spec.path, it == loader.values_.end() ? spec.def : it->second);
  }
  const auto get = [&](const std::string& path) -> const Value& {
    for (const auto& [p, v] : s.resolved)
      if (p == path) return v;
    throw std::logic_error("schema has no key " + path);
  };
  const auto str = [&](const char* p) { return std::get<std::string>(get(p)); };
  const auto num = [&](const char* p) { return std::get<double>(get(p)); };
  const auto integer = [&](const char* p) { return std::get<std::int64_t>(get(p)); };
  const auto where = [&](const std::string& p) {
    auto it = loader.where_.find(p);
    return it == loader.where_.end() ? file_in.string() : it->second;
  };

  s.name = str("scenario.name");
  if (s.name.empty()) s.name = file.stem().string();
  s.seed = static_cast<std::uint64_t>(integer("scenario.seed"));

  const std::string platform = str("platform.file");
  if (platform.empty()) throw InputError(file_in.string(), "platform.file: required key missing");
  s.platform_file = (file.parent_path() / platform).lexically_normal();
  s.platform_shown = (file_in.parent_path() / platform).lexically_normal().string();
  if (!fs::is_regular_file(s.platform_file, ec))
    throw InputError(where("platform.file"), "platform.file: no such file: " + s.platform_file.string());
  s.aggregator = str("platform.aggregator");
  s.trainers = std::get<std::vector<std::string>>(get("platform.trainers"));
  s.simgrid_cfg = std::get<std::vector<std::string>>(get("platform.simgrid_cfg"));
  for (const std::string& t : std::get<std::vector<std::string>>(get("platform.traces"))) {
    s.traces.push_back((file.parent_path() / t).lexically_normal());
    if (!fs::is_regular_file(s.traces.back(), ec))
      throw InputError(where("platform.traces"),
                       "platform.traces: no such file: " + s.traces.back().string());
  }

  s.model = str("model.name");
  s.update_bits = integer("model.update_bits");

  s.data.dataset = str("data.dataset");
  s.data.total_samples = integer("data.total_samples");
  s.data.samples_per_node = integer("data.samples_per_node");
  s.data.quantity_skew = str("data.quantity_skew");
  s.data.quantity_sigma = num("data.quantity_sigma");
  s.data.label_alpha = num("data.label_alpha");
  s.data.label_shards = integer("data.label_shards");
  if (s.data.label_shards > 0 && s.data.label_alpha > 0)
    throw InputError(
        where("data.label_shards"),
        "data.label_shards: label shards and a Dirichlet label skew (data.label_alpha) exclude each other");
  s.data.by_host = loader.samples_;
  s.key_where = loader.where_;
  for (const auto& [host, w] : loader.samples_where_)
    s.key_where["data.samples." + host] = w;

  s.training.local_steps = integer("training.local_steps");
  s.training.batch = integer("training.batch");
  s.training.max_local_steps = integer("training.max_local_steps");
  s.training.max_batch = integer("training.max_batch");
  // The ceilings bound what a policy may ask; the scenario's own defaults must sit under them, or
  // policies would plan with steps and batches the engine then changes.
  for (const auto& [key, value, ceiling] :
       {std::tuple{"training.local_steps", s.training.local_steps, s.training.max_local_steps},
        std::tuple{"training.batch", s.training.batch, s.training.max_batch}})
    if (ceiling > 0 && value > ceiling)
      throw InputError(where(key), fmt::format("{}: {} is above {} = {}", key, value,
                                               std::string(key).replace(9, 0, "max_"), ceiling));
  s.training.target_loss = num("training.target_loss");
  s.training.deadline_s = num("training.deadline_s");
  s.training.max_rounds = integer("training.max_rounds");
  s.training.round_timeout_s = num("training.round_timeout_s");
  s.training.stop_at_target = std::get<bool>(get("training.stop_at_target"));
  s.training.idle_wait_s = num("training.idle_wait_s");
  s.training.aggregation_flops_per_param = num("training.aggregation_flops_per_param");

  s.policy = str("policy.name");
  s.policy_params = params_with_prefix(s.resolved, "policy." + s.policy + ".");
  s.learning = str("learning.process");
  s.learning_params = params_with_prefix(s.resolved, "learning." + s.learning + ".");
  // Only the surrogate runs on these values: under another process the missing file changes nothing.
  if (!calibration_missing.empty() && s.learning == "surrogate")
    s.warnings.push_back(fmt::format("learning.surrogate.calibration = \"auto\": no calibration shipped for "
                                     "model '{}' on '{}' (looked for {}): the surrogate runs on its keys' "
                                     "defaults, fitted to nothing (edgetrain calibrate makes one)",
                                     s.model, s.data.dataset, calibration_missing));
  return s;
}
} // namespace

Scenario load_scenario(const fs::path& file, const std::vector<Override>& overrides) {
  return load(file, overrides, EDGETRAIN_CALIBRATION_DIR, nullptr);
}

Scenario load_scenario(const fs::path& file, const std::vector<Override>& overrides,
                       const fs::path& calibration_dir) {
  return load(file, overrides, calibration_dir, nullptr);
}

Scenario load_scenario(const fs::path& file, const std::vector<Override>& overrides, ScenarioFileCache& cache) {
  return load(file, overrides, EDGETRAIN_CALIBRATION_DIR, cache.impl_.get());
}

fs::path shipped_predictor(const std::string& model, const std::string& dataset) {
  return fs::path(EDGETRAIN_PREDICTOR_DIR) / (model + "-" + dataset + ".toml");
}

Params read_calibration_file(const fs::path& file, const std::string& shown, const std::string& model,
                             const std::string& dataset) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) throw InputError(shown, "no such file");
  const Loader fragment = read_fragment(file, shown, model, dataset, true);
  std::map<std::string, Value> out;
  const std::string prefix = "learning.surrogate.";
  for (const KeySpec& k : scenario_schema()) // every parameter, the file's or the default
    if (k.path.rfind(prefix, 0) == 0) {
      const auto it = fragment.values_.find(k.path);
      out[k.path.substr(prefix.size())] = it == fragment.values_.end() ? k.def : it->second;
    }
  return Params(std::move(out));
}

std::vector<Override> parse_overrides(const std::vector<std::string>& sets) {
  std::vector<Override> out;
  for (const std::string& s : sets) {
    const std::size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError("--set " + s, "expected key.path=value");
    out.push_back({s.substr(0, eq), s.substr(eq + 1)});
  }
  return out;
}

} // namespace edgetrain
