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

void CampaignDir::prepare(const Campaign& c, const std::vector<CampaignRun>& runs,
                          const std::vector<std::vector<std::string>>& commands) const {
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
  std::string plan = "index,run_id,seed";
  for (const std::string& k : axis_keys(c))
    (plan += ',') += csv_field(k);
  plan += "\n";
  for (const CampaignRun& r : runs) {
    plan += fmt::format("{},{},{}", r.index + 1, r.id, r.seed);
    for (const auto& [k, v] : r.axis_values)
      (plan += ',') += csv_field(table_cell(v));
    plan += "\n";
  }
  write_file_atomic(root_ / "plan.csv", plan);
  std::string cmds;
  for (const auto& argv : commands)
    cmds += shell_quote(argv) + "\n";
  write_file_atomic(root_ / "commands.txt", cmds);
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

void CampaignDir::merge(const Campaign& c, const std::vector<CampaignRun>& runs,
                        const std::string& command_line) const {
  std::vector<std::string> metric_names; // from the first finished run's summary, in its order
  struct Row {
    std::string head; // run, id, axes, seed, status, failure
    std::map<std::string, std::string> metrics;
  };
  std::vector<Row> rows;
  std::string rounds_header, rounds_body;
  std::string nodes_out = "run_id,node,host,rounds_trained,rounds_finished,energy_j,flops,bytes\n";
  int done = 0, failed = 0, missing = 0;
  std::string ids;
  for (const CampaignRun& r : runs) {
    const RunStatus st = status(r);
    ids += fmt::format("{}    {}", ids.empty() ? "" : ",\n", json_string(r.id));
    Row row;
    row.head = fmt::format("{},{}", r.index + 1, r.id);
    for (const auto& [k, v] : r.axis_values)
      (row.head += ',') += csv_field(table_cell(v));
    row.head += fmt::format(",{}", r.seed);
    if (st.kind != RunStatus::Done) {
      ++(st.kind == RunStatus::Failed ? failed : missing);
      row.head += st.kind == RunStatus::Failed ? ",failed," + csv_field(st.detail) : ",missing,";
      rows.push_back(std::move(row));
      continue;
    }
    ++done;
    row.head += ",ok,";
    for (const auto& [k, v] : read_summary(run_dir(r) / "summary.json")) {
      if (kNotInRuns.count(k)) continue;
      if (std::find(metric_names.begin(), metric_names.end(), k) == metric_names.end())
        metric_names.push_back(k);
      row.metrics[k] = v;
    }
    rows.push_back(std::move(row));

    std::istringstream rounds(read_file(run_dir(r) / "rounds.csv"));
    std::string line;
    std::getline(rounds, line);
    if (rounds_header.empty()) rounds_header = "run_id," + line + "\n";
    while (std::getline(rounds, line))
      rounds_body += r.id + "," + line + "\n";

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
      nodes_out += fmt::format("{},{},{},{},{},{},{},{}\n", r.id, id, a.host, a.trained, a.finished, a.energy,
                               a.flops, a.bytes);
  }
  std::string runs_out = "run,run_id";
  for (const std::string& k : axis_keys(c))
    (runs_out += ',') += csv_field(k);
  runs_out += ",seed,status,failure";
  for (const std::string& k : metric_names)
    (runs_out += ',') += csv_field(k);
  runs_out += "\n";
  for (const Row& row : rows) {
    runs_out += row.head;
    for (const std::string& k : metric_names) {
      const auto it = row.metrics.find(k);
      (runs_out += ',') += (it == row.metrics.end() ? std::string() : csv_field(it->second));
    }
    runs_out += "\n";
  }
  write_file_atomic(root_ / "runs.csv", runs_out);
  write_file_atomic(root_ / "rounds.csv",
                    (rounds_header.empty() ? std::string("run_id\n") : rounds_header) + rounds_body);
  write_file_atomic(root_ / "nodes.csv", nodes_out);
  const std::string manifest = fmt::format(
      "{{\n  \"campaign\": {},\n  \"name\": {},\n  \"campaign_hash\": \"{}\",\n  \"scenario\": {},\n"
      "  \"edgetrain_version\": {},\n  \"simgrid_version\": {},\n  \"command_line\": {},\n"
      "  \"runs\": {},\n  \"done\": {},\n  \"failed\": {},\n  \"missing\": {},\n  \"run_ids\": [\n{}\n  "
      "]\n}}\n",
      json_string(fs::absolute(c.file).lexically_normal().string()), json_string(c.name),
      digest(read_file(c.file)), json_string(c.scenario.string()), json_string(edgetrain_version()),
      json_string(simgrid_version()), json_string(command_line), runs.size(), done, failed, missing, ids);
  write_file_atomic(root_ / "manifest.json", manifest);
}

} // namespace edgetrain
