// edgetrain_fuzz TARGET [--seconds S] [--seed N] [--only I] [--failures DIR]
//
// Feeds mutants of the shipped input files (the seed corpus) to the edgetrain program, one reader
// at a time, for a bounded time, and holds every outcome to the project's rule for bad input: exit
// 0 with its results written, or exit 2 with stderr starting "error: " and nothing left behind
// (no output, no hidden partial folder). A signal, any other exit code (AddressSanitizer's and
// UBSan's included) or a leftover is a failure: the mutant, its command and stderr are saved in
// the failures folder and the driver exits 1. A run still going after 60 s is killed and
// counted apart (slow, not wrong: a mutant may ask for a big simulation).
//
// Mutants are numbered: TARGET, seed and number give the same input on every machine, so
// `--only I` replays one. SimGrid allows one engine per process, hence a subprocess per mutant.
#include "mutate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kSource = EDGETRAIN_SOURCE_DIR;
constexpr int kTimeoutS = 60;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

// A sandbox: configs/, platforms/, simgrid/ (SimGrid's example platforms) and fuzzdata/ as trees
// of symbolic links to the sources, so relative references between files resolve as shipped,
// and a mutant replaces one link by a file.
class Sandbox {
public:
  Sandbox() {
    std::string tmpl = (fs::temp_directory_path() / "edgetrain-fuzz-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
    mirror(kSource / "configs", root_ / "configs");
    mirror(kSource / "platforms", root_ / "platforms");
    mirror(kSource / "tests/data/simgrid-3.32-platforms", root_ / "simgrid");
    mirror(kSource / "tests/data/fuzz", root_ / "fuzzdata");
  }
  ~Sandbox() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;
  [[nodiscard]] const fs::path& root() const { return root_; }
  void put(const std::string& rel, const std::string& text) const {
    fs::remove(root_ / rel);
    write(root_ / rel, text);
  }
  // The mirror's link back in place of a mutant.
  void restore(const std::string& rel) const {
    fs::remove(root_ / rel);
    fs::create_symlink(links_.at(rel), root_ / rel);
  }
  // Paths under the sandbox that are neither a mirrored link nor a folder of the mirror: what a
  // command left behind.
  [[nodiscard]] std::vector<std::string> leftovers(const std::string& mutated) const {
    std::vector<std::string> out;
    for (auto it = fs::recursive_directory_iterator(root_); it != fs::recursive_directory_iterator(); ++it) {
      const fs::path rel = it->path().lexically_relative(root_);
      if (it->is_symlink() || rel == mutated) continue;
      if (it->is_directory() && mirrored_dirs_.count(rel.string())) continue;
      out.push_back(rel.string());
      if (it->is_directory()) it.disable_recursion_pending();
    }
    return out;
  }

private:
  void mirror(const fs::path& from, const fs::path& to) {
    if (!fs::exists(from)) return;
    fs::create_directories(to);
    mirrored_dirs_.insert(to.lexically_relative(root_).string());
    for (const auto& e : fs::directory_iterator(from)) {
      if (e.is_directory())
        mirror(e.path(), to / e.path().filename());
      else {
        fs::create_symlink(e.path(), to / e.path().filename());
        links_[(to / e.path().filename()).lexically_relative(root_).string()] = e.path();
      }
    }
  }
  fs::path root_;
  std::set<std::string> mirrored_dirs_;
  std::map<std::string, fs::path> links_; // sandbox-relative link -> its source file
};

struct Outcome {
  int code = -1;   // exit code, or -1
  int signal = 0;  // the signal that ended it
  bool timed_out = false;
  std::string err;
};

// `edgetrain ARGS` in cwd, stderr into err_file, stdout into out_file.
Outcome run(const fs::path& cwd, const std::vector<std::string>& args, const fs::path& err_file,
            const fs::path& out_file = "/dev/null") {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    if (chdir(cwd.c_str()) != 0) _exit(127);
    FILE* out = std::fopen(out_file.c_str(), "w");
    FILE* err = std::fopen(err_file.c_str(), "w");
    if (!out || !err) _exit(127);
    dup2(fileno(out), 1);
    dup2(fileno(err), 2);
    std::vector<char*> argv;
    std::string bin = EDGETRAIN_BIN;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  Outcome o;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kTimeoutS);
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      o.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) o.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  o.err = read(err_file);
  return o;
}

// One command a mutant is fed to; `out` is what it writes (a folder or a file, relative to the
// sandbox), `done` a file that exit 0 must have written.
struct Command {
  std::vector<std::string> args;
  std::string out, done;
};

struct Target {
  std::vector<std::string> corpus; // sandbox-relative files; mutated one at a time
  std::function<std::vector<Command>(const std::string& file)> commands;
};

std::vector<std::string> files_in(const std::string& dir, const std::string& ext) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kSource / dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0)
      out.push_back(dir + "/" + name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string stem(const std::string& rel) { return fs::path(rel).stem().string(); }

Command run_one_round(const std::string& scenario, std::vector<std::string> more = {}) {
  Command c{{"run", scenario, "--out", "out", "--no-progress", "--set", "training.max_rounds=1"}, "out",
            "out/summary.json"};
  c.args.insert(c.args.end(), more.begin(), more.end());
  return c;
}

// The scenario that uses a shipped platform, if one does.
std::optional<std::string> scenario_of(const std::string& platform_stem) {
  static const std::map<std::string, std::string> m = {{"quickstart", "configs/quickstart.toml"},
                                                       {"wifi-cell", "configs/wifi-cell.toml"},
                                                       {"phone-fleet", "configs/phone-fleet.toml"},
                                                       {"edge-cloud-100", "configs/edge-cloud-100.toml"},
                                                       {"hetero-50", "configs/distreal-hetero-50.toml"}};
  const auto it = m.find(platform_stem);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, Target> targets() {
  std::map<std::string, Target> t;
  t["scenario"] = {{"configs/quickstart.toml", "configs/synthetic.toml", "configs/wifi-cell.toml",
                    "configs/phone-fleet.toml", "configs/distreal-hetero-50.toml", "configs/edge-cloud-100.toml"},
                   [](const std::string& f) { return std::vector<Command>{run_one_round(f)}; }};
  std::vector<std::string> platforms = files_in("platforms", ".xml");
  for (const std::string& f : files_in("tests/data/simgrid-3.32-platforms", ".xml"))
    platforms.push_back("simgrid/" + fs::path(f).filename().string());
  t["platform"] = {platforms, [](const std::string& f) {
                     std::vector<Command> c{{{"validate", f}, "", ""}};
                     if (const auto s = scenario_of(stem(f)); s && f.rfind("platforms/", 0) == 0)
                       c.push_back(run_one_round(*s));
                     return c;
                   }};
  t["traces"] = {files_in("platforms", ".trace"), [](const std::string& f) {
                   std::vector<Command> c{{{"validate", "platforms/" + stem(f) + ".xml"}, "", ""}};
                   if (const auto s = scenario_of(stem(f))) c.push_back(run_one_round(*s));
                   return c;
                 }};
  std::vector<std::string> campaigns = files_in("configs/campaigns", ".toml");
  for (const std::string& f : files_in("configs/fidelity", ".toml")) campaigns.push_back(f);
  t["campaign"] = {campaigns, [](const std::string& f) {
                     return std::vector<Command>{{{"campaign", f, "-o", "out", "--dry-run", "--no-progress"}, "out", ""}};
                   }};
  t["pareto"] = {{"configs/pareto/lenet5-hetero-50.csv"}, [](const std::string& f) {
                   return std::vector<Command>{run_one_round(
                       "configs/quickstart.toml",
                       {"--set", "policy.name=distreal", "--set", "policy.distreal.pareto=" + f.substr(8)})};
                 }};
  std::vector<std::string> calibrations = files_in("configs/calibration", ".toml");
  for (const std::string& f : files_in("configs/predictors", ".toml")) calibrations.push_back(f);
  t["calibration"] = {calibrations, [](const std::string& f) {
                        // The file names its model and data set.
                        static const std::map<std::string, std::pair<std::string, std::string>> fits = {
                            {"lenet5-fashion-mnist", {"lenet5", "fashion-mnist"}},
                            {"mlp-fashion-mnist", {"mlp", "fashion-mnist"}},
                            {"synthetic-mlp-synthetic", {"synthetic-mlp", "synthetic"}},
                            {"vgg-small-fashion-mnist", {"vgg-small", "fashion-mnist"}}};
                        const auto& [model, data] = fits.at(stem(f));
                        const std::vector<std::string> fit = {"--set", "model.name=" + model, "--set",
                                                              "data.dataset=" + data};
                        std::vector<std::string> surrogate = fit, planner = fit;
                        surrogate.insert(surrogate.end(), {"--set", "learning.surrogate.calibration=" + f.substr(8)});
                        planner.insert(planner.end(), {"--set", "policy.name=pact", "--set",
                                                       "policy.pact.predictor=" + f.substr(8)});
                        return std::vector<Command>{run_one_round("configs/quickstart.toml", surrogate),
                                                    run_one_round("configs/quickstart.toml", planner)};
                      }};
  t["availability"] = {{"fuzzdata/availability.csv"}, [](const std::string& f) {
                         return std::vector<Command>{
                             {{"platform", "import-availability", f, "-o", "out.trace"}, "out.trace", "out.trace"}};
                       }};
  return t;
}

// `--set` mutants: one to three keys of `edgetrain keys`, each given an edge value or a mutant
// of a valid one, on the quickstart.
std::vector<std::string> scenario_keys(const fs::path& sandbox) {
  const fs::path listing = sandbox.parent_path() / (sandbox.filename().string() + ".keys");
  run(sandbox, {"keys"}, "/dev/null", listing);
  const std::string text = read(listing);
  fs::remove(listing);
  std::vector<std::string> keys;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    const std::size_t e = line.find('`', 3);
    if (e != std::string::npos) keys.push_back(line.substr(3, e - 3));
  }
  return keys;
}

struct Tally {
  std::size_t mutants = 0, commands = 0, ok = 0, refused = 0, slow = 0, failures = 0;
};

// Checks one outcome; returns the failure's description, or "".
std::string judge(const Outcome& o, const Command& c, const Sandbox& box, const std::string& mutated) {
  if (o.timed_out) return "";
  if (o.signal) return fmt::format("killed by signal {} ({})", o.signal, strsignal(o.signal));
  if (o.code != 0 && o.code != 2) return fmt::format("exit code {}", o.code);
  if (o.code == 2) {
    if (o.err.rfind("error: ", 0) != 0) return "exit 2 without the 'error: ' prefix";
    const auto left = box.leftovers(mutated);
    if (!left.empty()) return fmt::format("exit 2 left '{}' behind", left.front());
    return "";
  }
  if (!c.done.empty() && !fs::exists(box.root() / c.done)) return fmt::format("exit 0 without '{}'", c.done);
  return "";
}

void clean(const Sandbox& box, const std::string& mutated) {
  for (const std::string& rel : box.leftovers(mutated)) fs::remove_all(box.root() / rel);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: edgetrain_fuzz TARGET [--seconds S] [--seed N] [--only I] [--failures DIR]\n");
    return 2;
  }
  const std::string name = argv[1];
  double seconds = 20;
  std::uint64_t seed = 1;
  std::optional<std::uint64_t> only;
  fs::path failures = "fuzz-failures";
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--seconds") seconds = std::stod(v);
    else if (k == "--seed") seed = std::stoull(v);
    else if (k == "--only") only = std::stoull(v);
    else if (k == "--failures") failures = v;
    else {
      std::fprintf(stderr, "edgetrain_fuzz: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  auto all = targets();
  const bool sets = name == "set";
  if (!sets && !all.count(name)) {
    std::string names = "set";
    for (const auto& [n, t] : all) names += ", " + n;
    std::fprintf(stderr, "edgetrain_fuzz: unknown target %s (one of: %s)\n", name.c_str(), names.c_str());
    return 2;
  }
  const Sandbox box;
  const std::vector<std::string> keys = sets ? scenario_keys(box.root()) : std::vector<std::string>{};
  if (sets && keys.empty()) {
    std::fprintf(stderr, "edgetrain_fuzz: 'edgetrain keys' listed no key\n");
    return 1;
  }
  const Target target = sets ? Target{{"configs/quickstart.toml"}, {}} : all.at(name);
  const fs::path err_file = box.root().parent_path() / (box.root().filename().string() + ".err");

  Tally tally;
  std::map<std::string, std::size_t> first_words; // distinct refusals: how far the mutants reach
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t index = only.value_or(0);; ++index) {
    if (only && index != *only) break;
    if (!only && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds) break;
    fuzz::SplitMix pick(seed ^ (index * 0x9e3779b97f4a7c15ULL));
    const std::string file = target.corpus[pick.below(target.corpus.size())];
    const std::string original = read(box.root() / file);
    std::string input = original;
    std::vector<Command> commands;
    if (sets) {
      std::vector<std::string> more;
      const std::size_t n = 1 + pick.below(3);
      for (std::size_t i = 0; i < n; ++i) {
        const std::string key = keys[pick.below(keys.size())];
        const std::string value = pick.below(2) ? fuzz::kEdgeValues[pick.below(fuzz::kEdgeValueCount)]
                                                : fuzz::mutate("1.5", seed, index * 8 + i);
        more.insert(more.end(), {"--set", key + "=" + value});
      }
      commands = {run_one_round(file, more)};
    } else {
      input = fuzz::mutate(original, seed, index);
      box.put(file, input);
      commands = target.commands(file);
    }
    ++tally.mutants;
    for (const Command& c : commands) {
      const Outcome o = run(box.root(), c.args, err_file);
      ++tally.commands;
      const std::string why = judge(o, c, box, file);
      if (o.timed_out) ++tally.slow;
      else if (o.code == 0) ++tally.ok;
      else if (o.code == 2) {
        ++tally.refused;
        std::string message = o.err.substr(0, o.err.find('\n')); // its first line, numbers left out
        message.erase(std::remove_if(message.begin(), message.end(), [](char ch) { return ch >= '0' && ch <= '9'; }),
                      message.end());
        ++first_words[message];
      }
      clean(box, file);
      if (!why.empty()) {
        ++tally.failures;
        fs::create_directories(failures);
        const std::string base = fmt::format("{}-{}-{}", name, seed, index);
        write(failures / (base + fs::path(file).extension().string()), input);
        std::string cmd = "edgetrain";
        for (const std::string& a : c.args) cmd += " '" + a + "'";
        write(failures / (base + ".txt"),
              fmt::format("{}\nmutant of {} (edgetrain_fuzz {} --seed {} --only {})\n{}\nstderr:\n{}\n", why, file,
                          name, seed, index, cmd, o.err));
        std::printf("FAIL %s: %s: %s (saved in %s)\n", base.c_str(), why.c_str(), cmd.c_str(),
                    (failures / (base + ".txt")).c_str());
      }
      if (o.code != 0) break; // the next command builds on this one's success
    }
    if (!sets) box.restore(file);
  }
  fs::remove(err_file);
  std::printf("%s: %zu mutants (seed %llu), %zu commands: %zu ran, %zu refused (%zu distinct messages), %zu slow "
              "(killed after %d s), %zu failures\n",
              name.c_str(), tally.mutants, static_cast<unsigned long long>(seed), tally.commands, tally.ok,
              tally.refused, first_words.size(), tally.slow, kTimeoutS, tally.failures);
  return tally.failures == 0 ? 0 : 1;
}
