#include "simulator/campaign/campaign_dir.hpp"

#include "simulator/common/csv_field.hpp"
#include "simulator/common/error.hpp"
#include "simulator/common/text_file.hpp"
#include "simulator/metrics/output_dir.hpp"
#include "simulator/version.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace edgetrain {

namespace fs = std::filesystem;

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20)
      out += fmt::format("\\u{:04x}", static_cast<int>(ch));
    else
      out += ch;
  }
  return out + "\"";
}

// summary.json is flat, one "key": value per line (metrics/summary.cpp writes it so).
std::vector<std::pair<std::string, std::string>> read_summary(const fs::path& p) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(read_file(p));
  for (std::string line; std::getline(in, line);) {
    const std::size_t q1 = line.find('"'), q2 = line.find("\": ", q1 + 1);
    if (q1 == std::string::npos || q2 == std::string::npos) continue;
    std::string v = line.substr(q2 + 3);
    if (!v.empty() && v.back() == ',') v.pop_back();
    if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
    if (v == "null") v.clear();
    out.emplace_back(line.substr(q1 + 1, q2 - q1 - 1), v);
  }
  return out;
}

// Left out of runs.csv: the same in every run (the manifest has them) or not reproducible.
const std::set<std::string> kNotInRuns = {"scenario", "seed", "edgetrain_version", "simgrid_version",
                                          "wall_s"};

std::string last_lines(const fs::path& log, std::size_t n) {
  std::ifstream in(log);
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(line);
    if (tail.size() > n) tail.pop_front();
  }
  std::string out;
  for (const std::string& l : tail)
    out += l + "\n";
  return out;
}

std::vector<std::string> axis_keys(const Campaign& c) {
  std::vector<std::string> keys;
  for (const CampaignAxis& ax : c.axes)
    keys.insert(keys.end(), ax.keys.begin(), ax.keys.end());
  return keys;
}

} // namespace

// A TOML value text as a table cell: strings without their quotes and escapes (toml_text's
// \" and \\; control characters stay escaped, so a cell stays on one line).
std::string table_cell(const std::string& toml_value) {
  if (toml_value.size() < 2 || toml_value.front() != '"' || toml_value.back() != '"') return toml_value;
  std::string out;
  for (std::size_t i = 1; i + 1 < toml_value.size(); ++i) {
    if (toml_value[i] == '\\' && i + 2 < toml_value.size() &&
        (toml_value[i + 1] == '"' || toml_value[i + 1] == '\\'))
      ++i;
    out += toml_value[i];
  }
  return out;
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    if (!a.empty() &&
        a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@") ==
            std::string::npos) {
      out += a;
      continue;
    }
    out += '\'';
    for (char ch : a)
      out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    out += '\'';
  }
  return out;
}

std::vector<std::string> run_command_line(const std::string& edgetrain, const Campaign& c,
                                          const CampaignRun& r, const CampaignDir& dir) {
  std::vector<std::string> argv{
      edgetrain,       "run",    c.scenario.string(),   "--out", dir.run_dir(r).string(),
      "--no-progress", "--seed", std::to_string(r.seed)};
  if (!r.sets.empty()) {
    argv.emplace_back("--set"); // greedy: last
    argv.insert(argv.end(), r.sets.begin(), r.sets.end());
  }
  return argv;
}

void CampaignDir::prepare(const CampaignPlan& plan, const std::string& edgetrain) const {
  const Campaign& c = plan.campaign();
  std::error_code ec;
  if (fs::exists(root_) && !fs::is_directory(root_)) throw InputError(root_.string(), "not a folder");
  if (fs::exists(root_) && !fs::is_empty(root_) && !fs::exists(root_ / "plan.csv"))
    throw InputError(root_.string(), "the folder holds something else than a campaign (no plan.csv): choose "
                                     "another --out");
  // The campaign file a folder belongs to: resuming (or extending) it is fine, taking over another's is not.
  const std::string owner = fs::absolute(c.file).lexically_normal().string();
  if (fs::exists(root_ / "campaign.txt")) {
    const std::string had = read_file(root_ / "campaign.txt");
    if (had != owner + "\n")
      throw InputError(root_.string(),
                       fmt::format("the folder belongs to the campaign {}: choose another --out",
                                   had.substr(0, had.find('\n'))));
  }
  fs::create_directories(root_ / "runs", ec);
  fs::create_directories(root_ / "logs", ec);
  if (ec) throw InputError(root_.string(), "cannot create the campaign folder: " + ec.message());
  if (!lock_) {
    // Close-on-exec: the runs it starts must not hold the lock past it.
    const int fd = ::open((root_ / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw InputError(root_.string(), "cannot create the campaign folder's .lock");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      throw InputError(root_.string(), "another edgetrain is running this campaign folder: wait for it to "
                                       "end (or stop it), or choose another --out");
    }
    lock_ = std::shared_ptr<int>(new int(fd), [](int* f) {
      ::close(*f);
      delete f;
    });
  }
  // Runs killed mid-way leave hidden .<id>.partial-<pid> folders, merges hidden .<table>.partial-<pid>
  // files, the shell back ends <id>.failed.tmp: never trusted, removed.
  for (const fs::path& folder : {root_ / "runs", root_})
    for (const auto& e : fs::directory_iterator(folder)) {
      const std::string name = e.path().filename().string();
      if ((name.rfind('.', 0) == 0 && name.find(".partial-") != std::string::npos) ||
          (name.size() > 11 && name.compare(name.size() - 11, 11, ".failed.tmp") == 0))
        fs::remove_all(e.path(), ec);
    }
  write_file_atomic(root_ / "campaign.txt", owner + "\n");
  AtomicFile plan_csv(root_ / "plan.csv"), commands(root_ / "commands.txt");
  std::string head = "index,run_id,seed";
  for (const std::string& k : axis_keys(c))
    (head += ',') += csv_field(k);
  plan_csv << head << "\n";
  for (std::size_t k = 0; k < plan.size(); ++k) {
    const CampaignRun r = plan.run(k);
    std::string row = fmt::format("{},{},{}", r.index + 1, r.id, r.seed);
    for (const auto& [key, v] : r.axis_values)
      (row += ',') += csv_field(table_cell(v));
    plan_csv << row << "\n";
    commands << shell_quote(run_command_line(edgetrain, c, r, *this)) << "\n";
  }
  plan_csv.commit();
  commands.commit();
}

RunStatus CampaignDir::status(const CampaignRun& r) const {
  // Complete: its summary exists and is whole (edgetrain run writes it last, closing brace and all).
  const std::string summary =
      fs::exists(run_dir(r) / "summary.json") ? read_file(run_dir(r) / "summary.json") : "";
  if (summary.size() > 2 && summary.compare(summary.size() - 2, 2, "}\n") == 0) return {RunStatus::Done, ""};
  if (fs::exists(failed_file(r))) {
    std::ifstream in(failed_file(r));
    std::string first;
    std::getline(in, first);
    return {RunStatus::Failed, first};
  }
  return {RunStatus::Missing, ""};
}

void CampaignDir::record_failure(const CampaignRun& r, const std::string& detail) const {
  write_file_atomic(failed_file(r), detail + "\n" + last_lines(log_file(r), 20));
}

MergeCounts CampaignDir::merge(const CampaignPlan& plan, const std::string& command_line) const {
  const Campaign& c = plan.campaign();
  // runs.csv's metric columns: every key of the complete runs' summaries, in the order they first
  // appear. A row holds its cells for the columns known when it was read, and is padded with
  // empty cells for those found later: a few hundred bytes a run, not a map of strings.
  std::vector<std::string> metric_names;
  std::map<std::string, std::size_t> column;
  struct Row {
    std::string cells; // run, id, axes, seed, status, failure, then metrics
    std::size_t metrics = 0;
  };
  std::vector<Row> rows;
  rows.reserve(plan.size());
  // rounds.csv's header is the first complete run's; its rows are written as the runs are read.
  AtomicFile rounds_out(root_ / "rounds.csv"), nodes_out(root_ / "nodes.csv"), manifest(root_ / "manifest.json");
  bool rounds_header = false;
  nodes_out << "run_id,node,host,rounds_trained,rounds_finished,energy_j,flops,bytes\n";
  MergeCounts n;
  std::size_t &done = n.done, &failed = n.failed, &missing = n.missing;
  std::string ids;
  for (std::size_t k = 0; k < plan.size(); ++k) {
    const CampaignRun r = plan.run(k);
    const RunStatus st = status(r);
    ids += fmt::format("{}    {}", k == 0 ? "" : ",\n", json_string(r.id));
    Row row;
    row.cells = fmt::format("{},{}", r.index + 1, r.id);
    for (const auto& [key, v] : r.axis_values)
      (row.cells += ',') += csv_field(table_cell(v));
    row.cells += fmt::format(",{}", r.seed);
    if (st.kind != RunStatus::Done) {
      ++(st.kind == RunStatus::Failed ? failed : missing);
      row.cells += st.kind == RunStatus::Failed ? ",failed," + csv_field(st.detail) : ",missing,";
      rows.push_back(std::move(row));
      continue;
    }
    ++done;
    row.cells += ",ok,";
    std::vector<std::string> cells(metric_names.size());
    for (const auto& [key, v] : read_summary(run_dir(r) / "summary.json")) {
      if (kNotInRuns.count(key)) continue;
      const auto [it, fresh] = column.try_emplace(key, metric_names.size());
      if (fresh) metric_names.push_back(key), cells.emplace_back();
      cells[it->second] = csv_field(v);
    }
    for (const std::string& cell : cells)
      (row.cells += ',') += cell;
    row.metrics = cells.size();
    rows.push_back(std::move(row));

    std::istringstream rounds(read_file(run_dir(r) / "rounds.csv"));
    std::string line;
    std::getline(rounds, line);
    if (!rounds_header) rounds_out << "run_id," << line << "\n";
    rounds_header = true;
    while (std::getline(rounds, line))
      rounds_out << r.id << "," << line << "\n";

    // Per node over the run (nodes.csv has a row per round and node).
    std::istringstream nodes(read_file(run_dir(r) / "nodes.csv"));
    std::getline(nodes, line);
    struct Acc {
      std::string host;
      int trained = 0, finished = 0;
      double energy = 0, flops = 0, bytes = 0;
    };
    std::map<long, Acc> per;
    while (std::getline(nodes, line)) {
      const std::vector<std::string> f = split(line);
      if (f.size() < 11) continue;
      Acc& a = per[std::stol(f[1])];
      a.host = f[2];
      a.trained += f[4] == "1";
      a.finished += f[5] == "1";
      if (!f[10].empty() && f[10] != "nan") a.energy += std::stod(f[10]);
      if (!f[8].empty()) a.flops += std::stod(f[8]);
      if (!f[9].empty()) a.bytes += std::stod(f[9]);
    }
    for (const auto& [id, a] : per)
      nodes_out << fmt::format("{},{},{},{},{},{},{},{}\n", r.id, id, a.host, a.trained, a.finished, a.energy,
                               a.flops, a.bytes);
  }
  AtomicFile runs_out(root_ / "runs.csv");
  std::string head = "run,run_id";
  for (const std::string& k : axis_keys(c))
    (head += ',') += csv_field(k);
  head += ",seed,status,failure";
  for (const std::string& k : metric_names)
    (head += ',') += csv_field(k);
  runs_out << head << "\n";
  for (const Row& row : rows)
    runs_out << row.cells << std::string(metric_names.size() - row.metrics, ',') << "\n";
  if (!rounds_header) rounds_out << "run_id\n";
  runs_out.commit();
  rounds_out.commit();
  nodes_out.commit();
  manifest << fmt::format(
      "{{\n  \"campaign\": {},\n  \"name\": {},\n  \"campaign_hash\": \"{}\",\n  \"scenario\": {},\n"
      "  \"edgetrain_version\": {},\n  \"simgrid_version\": {},\n  \"command_line\": {},\n"
      "  \"runs\": {},\n  \"done\": {},\n  \"failed\": {},\n  \"missing\": {},\n  \"run_ids\": [\n{}\n  "
      "]\n}}\n",
      json_string(fs::absolute(c.file).lexically_normal().string()), json_string(c.name),
      digest(read_file(c.file)), json_string(c.scenario.string()), json_string(edgetrain_version()),
      json_string(simgrid_version()), json_string(command_line), plan.size(), done, failed, missing, ids);
  manifest.commit();
  return n;
}

} // namespace edgetrain
