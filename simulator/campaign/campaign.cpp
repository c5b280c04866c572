#include "simulator/campaign/campaign.hpp"

#include "simulator/common/error.hpp"
#include "simulator/common/text_file.hpp"
#include "simulator/common/toml_file.hpp"
#include "simulator/scenario/scenario.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <map>
#include <set>
#include <sstream>

namespace edgetrain {

namespace fs = std::filesystem;

namespace {

std::string where(const fs::path& file, const toml::node& n) {
  return fmt::format("{}:{}:{}", file.string(), n.source().begin.line, n.source().begin.column);
}

// A value as TOML text, the form --set takes: strings double-quoted, numbers in their shortest
// exact form (0.6, not toml++'s 0.59999999999999998), arrays and inline tables spelled out.
std::string toml_text(const toml::node& n) {
  if (const auto* s = n.as_string()) {
    std::string out = "\"";
    for (char ch : s->get()) {
      if (ch == '"' || ch == '\\')
        (out += '\\') += ch;
      else if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) // one line, as --set takes it
        out += fmt::format("\\u{:04X}", static_cast<int>(static_cast<unsigned char>(ch)));
      else
        out += ch;
    }
    return out + "\"";
  }
  if (const auto* i = n.as_integer()) return std::to_string(i->get());
  if (const auto* f = n.as_floating_point()) {
    std::string t = fmt::format("{}", f->get());
    if (t.find_first_of(".eEn") == std::string::npos) t += ".0"; // stays a float (nan, inf spelled out)
    return t;
  }
  if (const auto* b = n.as_boolean()) return b->get() ? "true" : "false";
  if (const auto* a = n.as_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < a->size(); ++i)
      out += (i ? ", " : "") + toml_text(*a->get(i));
    return out + "]";
  }
  if (const auto* t = n.as_table()) {
    std::string out = "{";
    bool first = true;
    for (const auto& [k, v] : *t) {
      out += fmt::format("{}{} = {}", first ? " " : ", ", k.str(), toml_text(v));
      first = false;
    }
    return out + " }";
  }
  std::ostringstream os; // dates and times
  n.visit([&](const auto& v) { os << v; });
  return os.str();
}

const toml::node& need(const toml::table& t, const std::string& key, const std::string& table_where,
                       const std::string& path) {
  const toml::node* n = t.get(key);
  if (!n) throw InputError(table_where, path + ": missing");
  return *n;
}

std::vector<std::string> string_list(const toml::node& n, const fs::path& file, const std::string& path) {
  const toml::array* a = n.as_array();
  if (!a || a->empty()) throw InputError(where(file, n), path + ": expected a non-empty list of strings");
  std::vector<std::string> out;
  for (const toml::node& e : *a) {
    if (!e.is_string()) throw InputError(where(file, e), path + ": expected a string");
    out.push_back(e.as_string()->get());
  }
  return out;
}

CampaignAxis read_axis(const toml::table& t, const fs::path& file, std::size_t i) {
  const std::string path = fmt::format("axis[{}]", i + 1);
  CampaignAxis ax;
  ax.where = where(file, t);
  for (const auto& [k, v] : t)
    if (k.str() != "key" && k.str() != "keys" && k.str() != "values")
      throw InputError(where(file, v),
                       fmt::format("{}.{}: unknown key (expected key or keys, and values)", path, k.str()));
  const bool zipped = t.contains("keys");
  if (zipped == t.contains("key"))
    throw InputError(ax.where, path + ": give either key (one key) or keys (zipped keys)");
  if (zipped) {
    ax.keys = string_list(*t.get("keys"), file, path + ".keys");
  } else {
    const toml::node& k = *t.get("key");
    if (!k.is_string() || k.as_string()->get().empty())
      throw InputError(where(file, k), path + ".key: expected a key path such as \"training.batch\"");
    ax.keys = {k.as_string()->get()};
  }
  if (std::set<std::string>(ax.keys.begin(), ax.keys.end()).size() != ax.keys.size())
    throw InputError(ax.where, path + ".keys: a key appears twice");
  const toml::node& vs = need(t, "values", ax.where, path + ".values");
  const toml::array* a = vs.as_array();
  if (!a || a->empty()) throw InputError(where(file, vs), path + ".values: expected a non-empty list");
  for (const toml::node& e : *a) {
    ax.value_where.push_back(where(file, e));
    if (!zipped) {
      ax.values.push_back({toml_text(e)});
      continue;
    }
    const toml::array* entry = e.as_array();
    if (!entry || entry->size() != ax.keys.size())
      throw InputError(where(file, e),
                       fmt::format("{}.values: each entry must be a list of {} values, one per key", path,
                                   ax.keys.size()));
    std::vector<std::string> row;
    for (const toml::node& x : *entry)
      row.push_back(toml_text(x));
    ax.values.push_back(std::move(row));
  }
  return ax;
}

std::uint64_t fnv1a(std::uint64_t h, const std::string& bytes) {
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

} // namespace

Campaign load_campaign(const fs::path& file) {
  const toml::table root = parse_toml_file(file.string(), file.string());
  Campaign c;
  c.file = file;
  const std::string top = file.string();
  for (const auto& [k, v] : root)
    if (k.str() != "campaign" && k.str() != "axis")
      throw InputError(where(file, v),
                       std::string(k.str()) + ": unknown table (expected [campaign] and [[axis]])");
  const toml::table* camp = root["campaign"].as_table();
  if (!camp) throw InputError(top, "campaign: missing [campaign] table");
  for (const auto& [k, v] : *camp)
    if (k.str() != "name" && k.str() != "scenario" && k.str() != "seeds" && k.str() != "set")
      throw InputError(where(file, v), "campaign." + std::string(k.str()) +
                                           ": unknown key (expected name, scenario, seeds, set)");
  const std::string camp_where = where(file, *camp);
  const toml::node& sc = need(*camp, "scenario", camp_where, "campaign.scenario");
  if (!sc.is_string()) throw InputError(where(file, sc), "campaign.scenario: expected a file name");
  c.scenario = fs::absolute(file.parent_path() / sc.as_string()->get()).lexically_normal();
  if (!fs::is_regular_file(c.scenario))
    throw InputError(where(file, sc), "campaign.scenario: " + c.scenario.string() + " does not exist");
  c.name = file.stem().string();
  if (const toml::node* n = camp->get("name")) {
    if (!n->is_string() || n->as_string()->get().empty())
      throw InputError(where(file, *n), "campaign.name: expected a non-empty string");
    c.name = n->as_string()->get();
  }
  c.seeds = {1};
  if (const toml::node* n = camp->get("seeds")) {
    const toml::array* a = n->as_array();
    if (!a || a->empty())
      throw InputError(where(file, *n), "campaign.seeds: expected a non-empty list of integers");
    c.seeds.clear();
    for (const toml::node& e : *a) {
      if (!e.is_integer() || e.as_integer()->get() < 0)
        throw InputError(where(file, e), "campaign.seeds: expected integers >= 0");
      c.seeds.push_back(e.as_integer()->get());
    }
    if (std::set<std::int64_t>(c.seeds.begin(), c.seeds.end()).size() != c.seeds.size())
      throw InputError(where(file, *n), "campaign.seeds: a seed appears twice");
  }
  if (const toml::node* n = camp->get("set")) {
    const toml::table* t = n->as_table();
    if (!t) throw InputError(where(file, *n), "campaign.set: expected a table of \"key.path\" = value");
    for (const auto& [k, v] : *t) {
      if (v.is_table())
        throw InputError(where(file, v), fmt::format("campaign.set.{}: quote dotted keys: \"{}.x\" = value",
                                                     k.str(), k.str()));
      c.fixed.emplace_back(std::string(k.str()), toml_text(v));
      c.fixed_where.push_back(where(file, v));
    }
  }
  if (const toml::node* n = root.get("axis")) {
    const toml::array* a = n->as_array();
    if (!a || !a->is_array_of_tables()) throw InputError(where(file, *n), "axis: expected [[axis]] tables");
    for (std::size_t i = 0; i < a->size(); ++i)
      c.axes.push_back(read_axis(*a->get(i)->as_table(), file, i));
  }
  std::set<std::string> seen;
  for (const auto& [k, v] : c.fixed)
    seen.insert(k);
  for (const CampaignAxis& ax : c.axes)
    for (const std::string& k : ax.keys)
      if (!seen.insert(k).second)
        throw InputError(ax.where, k + ": set by two axes (or by an axis and campaign.set)");
  for (const CampaignAxis& ax : c.axes)
    for (const std::string& k : ax.keys)
      if (k == "scenario" || k == "scenario.seed")
        throw InputError(ax.where, k + ": give seeds in campaign.seeds (an axis cannot set scenario.seed)");
  for (std::size_t i = 0; i < c.fixed.size(); ++i)
    if (c.fixed[i].first == "scenario.seed" || c.fixed[i].first == "scenario")
      throw InputError(c.fixed_where[i], c.fixed[i].first + ": give seeds in campaign.seeds");
  return c;
}

std::vector<CampaignRun> expand_campaign(const Campaign& c) {
  std::vector<CampaignRun> runs;
  std::map<fs::path, std::string> digests;       // input file -> digest of its bytes
  std::vector<std::size_t> at(c.axes.size(), 0); // the grid's odometer
  for (;;) {
    for (std::int64_t seed : c.seeds) {
      CampaignRun r;
      r.index = runs.size();
      r.seed = seed;
      std::vector<Override> overrides;
      for (const auto& [k, v] : c.fixed) {
        overrides.push_back({k, v});
        r.sets.push_back(k + "=" + v);
      }
      for (std::size_t a = 0; a < c.axes.size(); ++a)
        for (std::size_t k = 0; k < c.axes[a].keys.size(); ++k) {
          const std::string& key = c.axes[a].keys[k];
          const std::string& value = c.axes[a].values[at[a]][k];
          overrides.push_back({key, value});
          r.sets.push_back(key + "=" + value);
          r.axis_values.emplace_back(key, value);
        }
      overrides.push_back({"scenario.seed", std::to_string(seed)});
      Scenario s;
      try {
        s = load_scenario(c.scenario, overrides);
      } catch (const InputError& e) {
        // Name the campaign's line: the axis value or campaign.set entry the scenario rejected (the
        // loader may name the key or, for an unknown table, its first segments), or the file.
        std::string at_where = c.file.string();
        const std::string msg = e.what();
        const auto names = [&](const std::string& key) {
          for (std::size_t dot = key.size(); dot != std::string::npos && dot > 0;
               dot = key.rfind('.', dot - 1))
            if (msg.rfind("--set " + key.substr(0, dot) + ":", 0) == 0) return true;
          return false;
        };
        for (std::size_t i = 0; i < c.fixed.size(); ++i)
          if (names(c.fixed[i].first)) at_where = c.fixed_where[i];
        for (std::size_t a = 0; a < c.axes.size(); ++a)
          for (const std::string& key : c.axes[a].keys)
            if (names(key)) at_where = c.axes[a].value_where[at[a]];
        throw InputError(at_where, fmt::format("run {} (seed {}): {}", r.index + 1, seed, msg));
      }
      // Input files decide results too: the platform, traces, and any file a string key names
      // (a Pareto table, a calibration), relative to the scenario's folder as keys are.
      std::vector<fs::path> files{s.platform_file};
      files.insert(files.end(), s.traces.begin(), s.traces.end());
      bool shipped = false; // a planner's predictor "auto": the shipped file for the model
      // Another learning process's keys decide nothing: a trained run keeps its id when the
      // surrogate's calibration changes (fidelity studies reuse their trained runs). Nor do another
      // policy's (a policy reads its own table only): a FedAvg run keeps its id when a planner's
      // shipped predictor is refitted.
      const std::string own = "learning." + s.learning + ".", own_policy = "policy." + s.policy + ".";
      const auto unused = [&](const std::string& key) {
        if (key.rfind("policy.", 0) == 0)
          return key.find('.', 7) != std::string::npos && key.rfind(own_policy, 0) != 0;
        return key.rfind("learning.", 0) == 0 && key.rfind(own, 0) != 0 && key != "learning.process";
      };
      for (const auto& [key, value] : s.resolved)
        if (const auto* text = std::get_if<std::string>(&value); text && !text->empty() && !unused(key)) {
          std::error_code ec;
          const fs::path f = s.file.parent_path() / *text;
          if (fs::is_regular_file(f, ec)) files.push_back(f);
          shipped |= key.ends_with(".predictor") && *text == "auto";
        }
      if (const fs::path f = shipped_predictor(s.model, s.data.dataset); shipped && fs::is_regular_file(f))
        files.push_back(f);
      // Each file is read once per campaign (a trace may be tens of MB, shared by every run).
      std::vector<std::string> file_digests;
      for (const fs::path& f : files) {
        auto [it, fresh] = digests.try_emplace(f);
        if (fresh) it->second = digest(read_file(f));
        file_digests.push_back(it->second);
      }
      Scenario identity = s;
      std::erase_if(identity.resolved, [&](const auto& kv) { return unused(kv.first); });
      r.id = run_id(resolved_toml(identity), file_digests);
      runs.push_back(std::move(r));
    }
    std::size_t a = c.axes.size();
    while (a > 0 && ++at[a - 1] == c.axes[a - 1].values.size())
      at[--a] = 0;
    if (a == 0) break;
  }
  std::set<std::string> ids;
  for (const CampaignRun& r : runs)
    if (!ids.insert(r.id).second)
      throw InputError(c.file.string(), fmt::format("run {} is the same scenario as an earlier run (an axis "
                                                    "repeats a value, or sets a key to its default twice)",
                                                    r.index + 1));
  return runs;
}

std::string digest(const std::string& bytes) {
  return fmt::format("{:016x}", fnv1a(14695981039346656037ULL, bytes));
}

std::string run_id(const std::string& resolved, const std::vector<std::string>& file_digests) {
  std::string all = resolved;
  for (const std::string& d : file_digests)
    all += "\n" + d;
  return digest(all);
}

} // namespace edgetrain
