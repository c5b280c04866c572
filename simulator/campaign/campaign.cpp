#include "simulator/campaign/campaign.hpp"

#include "simulator/common/error.hpp"
#include "simulator/common/memory.hpp"
#include "simulator/common/text_file.hpp"
#include "simulator/common/toml_file.hpp"
#include "simulator/scenario/scenario.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>
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

namespace {

// The number of runs: the axes' sizes and the seeds multiplied, or 0 when that overflows.
std::size_t run_count(const Campaign& c) {
  std::size_t n = c.seeds.size();
  for (const CampaignAxis& ax : c.axes)
    if (__builtin_mul_overflow(n, ax.values.size(), &n)) return 0;
  return n;
}

// Run `index`'s seed, sets and axis values, and where in the grid it is (each axis's entry).
CampaignRun grid_run(const Campaign& c, std::size_t index, std::vector<std::size_t>* entries = nullptr) {
  CampaignRun r;
  r.index = index;
  r.seed = c.seeds[index % c.seeds.size()];
  std::vector<std::size_t> at(c.axes.size()); // the grid's odometer: the last axis varies fastest
  std::size_t rest = index / c.seeds.size();
  for (std::size_t a = c.axes.size(); a-- > 0;) {
    at[a] = rest % c.axes[a].values.size();
    rest /= c.axes[a].values.size();
  }
  for (const auto& [k, v] : c.fixed)
    r.sets.push_back(k + "=" + v);
  for (std::size_t a = 0; a < c.axes.size(); ++a)
    for (std::size_t k = 0; k < c.axes[a].keys.size(); ++k) {
      const std::string& key = c.axes[a].keys[k];
      const std::string& value = c.axes[a].values[at[a]][k];
      r.sets.push_back(key + "=" + value);
      r.axis_values.emplace_back(key, value);
    }
  if (entries) *entries = std::move(at);
  return r;
}

// Checks every run's scenario and computes its id, one run at a time.
class Checker {
public:
  explicit Checker(const Campaign& c) : c_(c) {}

  std::uint64_t id(std::size_t index) {
    std::vector<std::size_t> at;
    const CampaignRun r = grid_run(c_, index, &at);
    std::vector<Override> overrides;
    for (const auto& [k, v] : c_.fixed)
      overrides.push_back({k, v});
    for (const auto& [k, v] : r.axis_values)
      overrides.push_back({k, v});
    overrides.push_back({"scenario.seed", std::to_string(r.seed)});
    Scenario s;
    try {
      s = load_scenario(c_.scenario, overrides, parsed_);
    } catch (const InputError& e) {
      throw InputError(where_rejected(e.what(), at), fmt::format("run {} (seed {}): {}", index + 1, r.seed, e.what()));
    }
    // Input files decide results too: the platform, traces, and any file a string key names
    // (a Pareto table, a calibration), relative to the scenario's folder as keys are.
    std::vector<std::string> file_digests{file_digest(s.platform_file)};
    for (const fs::path& t : s.traces)
      file_digests.push_back(file_digest(t));
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
        if (const std::string* d = named_file_digest(s.file.parent_path(), *text)) file_digests.push_back(*d);
        shipped |= key.ends_with(".predictor") && *text == "auto";
      }
    if (shipped)
      if (const std::string* d = named_file_digest(shipped_predictor(s.model, s.data.dataset), ""))
        file_digests.push_back(*d);
    std::erase_if(s.resolved, [&](const auto& kv) { return unused(kv.first); });
    return std::stoull(run_id(resolved_toml(s), file_digests), nullptr, 16);
  }

private:
  // Names the campaign's line: the axis value or campaign.set entry the scenario rejected (the
  // loader may name the key or, for an unknown table, its first segments), or the file.
  std::string where_rejected(const std::string& msg, const std::vector<std::size_t>& at) const {
    std::string out = c_.file.string();
    const auto names = [&](const std::string& key) {
      for (std::size_t dot = key.size(); dot != std::string::npos && dot > 0; dot = key.rfind('.', dot - 1))
        if (msg.rfind("--set " + key.substr(0, dot) + ":", 0) == 0) return true;
      return false;
    };
    for (std::size_t i = 0; i < c_.fixed.size(); ++i)
      if (names(c_.fixed[i].first)) out = c_.fixed_where[i];
    for (std::size_t a = 0; a < c_.axes.size(); ++a)
      for (const std::string& key : c_.axes[a].keys)
        if (names(key)) out = c_.axes[a].value_where[at[a]];
    return out;
  }

  // Each file is read once per campaign (a trace may be tens of MB, shared by every run).
  const std::string& file_digest(const fs::path& f) {
    auto [it, fresh] = digests_.try_emplace(f.string());
    if (fresh) it->second = digest(read_file(f));
    return it->second;
  }
  // The digest of the file a string key names (folder / text), or null when it names none; the
  // answer is kept, as a key takes the same few values in every run.
  const std::string* named_file_digest(const fs::path& folder, const std::string& text) {
    auto [it, fresh] = named_.try_emplace(folder.string() + '\0' + text);
    if (fresh) {
      std::error_code ec;
      const fs::path f = text.empty() ? folder : folder / text;
      it->second = fs::is_regular_file(f, ec) ? &file_digest(f) : nullptr;
    }
    return it->second;
  }

  const Campaign& c_;
  ScenarioFileCache parsed_;
  std::map<std::string, std::string> digests_;        // input file -> digest of its bytes
  std::map<std::string, const std::string*> named_;   // folder and key text -> its file's digest
};

// Fills ids[i] with run i's id, on every core (the checks are independent, and a million runs
// take a minute on one), in blocks taken in order: when a run is refused, every run before it has
// been checked, and the first refused run's error is the one thrown, as on one core.
void check_runs(const Campaign& c, std::vector<std::uint64_t>& ids) {
  constexpr std::size_t kBlock = 256;
  const std::size_t n = ids.size(), blocks = (n + kBlock - 1) / kBlock;
  const std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, std::max<std::size_t>(1, blocks));
  std::atomic<std::size_t> next{0};
  std::mutex m;
  std::size_t first_bad = n; // the lowest index refused so far
  std::exception_ptr error;
  const auto work = [&] {
    Checker check(c);
    for (std::size_t b; (b = next.fetch_add(1)) < blocks;) {
      for (std::size_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) {
        {
          const std::lock_guard<std::mutex> lock(m);
          if (i > first_bad) return;
        }
        try {
          ids[i] = check.id(i);
        } catch (...) {
          const std::lock_guard<std::mutex> lock(m);
          if (i < first_bad) first_bad = i, error = std::current_exception();
          return;
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread& t : pool)
    t.join();
  if (error) std::rethrow_exception(error);
}

} // namespace

CampaignPlan::CampaignPlan(Campaign c) : c_(std::move(c)) {
  const std::size_t n = run_count(c_);
  // The ids, and their sorted copy for finding repeats: 24 bytes a run.
  const double need = 24.0 * (n == 0 ? 1e300 : static_cast<double>(n));
  const auto available = static_cast<double>(available_memory_bytes());
  if (need > 0.8 * available)
    throw InputError(c_.file.string(),
                     fmt::format("the campaign has {} runs (its axes' values and seeds multiplied): its plan "
                                 "alone would take {}, and {} is available: fewer values or seeds",
                                 n == 0 ? std::string("more than 2^64") : fmt::format("{}", n),
                                 n == 0 ? std::string("more than this machine can address") : bytes_text(need),
                                 bytes_text(available)));
  auto ids = std::make_shared<std::vector<std::uint64_t>>(n);
  check_runs(c_, *ids);
  std::vector<std::pair<std::uint64_t, std::size_t>> sorted;
  sorted.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    sorted.emplace_back((*ids)[i], i);
  std::sort(sorted.begin(), sorted.end());
  std::size_t repeat = n; // the first run that repeats an earlier one
  for (std::size_t i = 1; i < n; ++i)
    if (sorted[i].first == sorted[i - 1].first) repeat = std::min(repeat, sorted[i].second);
  if (repeat < n)
    throw InputError(c_.file.string(), fmt::format("run {} is the same scenario as an earlier run (an axis "
                                                   "repeats a value, or sets a key to its default twice)",
                                                   repeat + 1));
  ids_ = std::move(ids);
}

CampaignRun CampaignPlan::run(std::size_t k) const {
  const std::size_t index = picked_ ? picked_->at(k) : k;
  CampaignRun r = grid_run(c_, index);
  r.id = fmt::format("{:016x}", ids_->at(index));
  return r;
}

CampaignPlan CampaignPlan::subset(const std::vector<std::size_t>& places) const {
  CampaignPlan p;
  p.c_ = c_;
  p.ids_ = ids_;
  auto picked = std::make_shared<std::vector<std::size_t>>();
  for (std::size_t k : places)
    picked->push_back(picked_ ? picked_->at(k) : k);
  if (!picked->empty() && *std::max_element(picked->begin(), picked->end()) >= ids_->size())
    throw std::out_of_range("CampaignPlan::subset: no such run");
  p.picked_ = std::move(picked);
  return p;
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
