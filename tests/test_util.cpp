#include "test_util.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>

namespace testutil {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "edgetrain-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}
TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}
fs::path TempDir::write(const std::string& name, const std::string& content) const {
  const fs::path p = path_ / name;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::vector<std::string>> csv_cells(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');)
      cells.push_back(c);
    out.push_back(cells);
  }
  return out;
}

std::vector<std::vector<std::string>> csv_rows(const std::string& csv) {
  auto rows = csv_cells(csv);
  if (!rows.empty()) rows.erase(rows.begin()); // the header
  return rows;
}

Proc run_edgetrain(const std::string& args, const fs::path& cwd) {
  const fs::path out = cwd / ".proc.out", err = cwd / ".proc.err";
  const std::string cmd = "cd '" + cwd.string() + "' && '" + EDGETRAIN_BIN + "' " + args + " >'" +
                          out.string() + "' 2>'" + err.string() + "' </dev/null";
  const int status = std::system(cmd.c_str());
  Proc p;
  p.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  p.out = read(out);
  p.err = read(err);
  fs::remove(out);
  fs::remove(err);
  return p;
}

int signal_when(const fs::path& cwd, const std::string& args, const std::string& ready,
                const std::string& signal, bool whole_group, const std::string& ignored) {
  const std::string dispositions =
      std::string("$SIG{INT}=\"DEFAULT\";") + (ignored.empty() ? "" : "$SIG{" + ignored + "}=\"IGNORE\";");
  const std::string cmd = "cd '" + cwd.string() + "' && (setsid perl -e '" + dispositions +
                          " exec @ARGV or die' '" + EDGETRAIN_BIN + "' " + args +
                          " >/dev/null 2>signalled.err </dev/null & pid=$!; i=0; until " + ready +
                          "; do sleep 0.02; i=$((i + 1)); [ $i -lt 6000 ] || break; done; kill -" + signal +
                          (whole_group ? " -$pid" : " $pid") + "; wait $pid; echo $? >signalled.rc)";
  (void)std::system(cmd.c_str());
  return std::stoi(read(cwd / "signalled.rc"));
}

std::string slow_campaign(const std::string& seeds) {
  return "[campaign]\nname = \"slow\"\nscenario = \"" +
         (source_dir() / "configs/edge-cloud-100.toml").string() + "\"\nseeds = " + seeds +
         "\n[campaign.set]\n\"training.max_rounds\" = 8\n\"policy.name\" = \"pact\"\n";
}

std::size_t complete_runs(const fs::path& runs) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(runs))
    n += e.path().filename().string()[0] != '.' && fs::exists(e.path() / "summary.json") ? 1U : 0U;
  return n;
}

fs::path source_dir() {
  return EDGETRAIN_SOURCE_DIR;
}

std::string quickstart() {
  return (source_dir() / "configs/quickstart.toml").string();
}

} // namespace testutil
