// Campaigns: grid and zip expansion, errors before any run, failure isolation, resume after a
// SIGKILL (nothing lost, nothing duplicated), and merged tables checked against run folders built
// by hand.
#include "simulator/campaign/campaign.hpp"
#include "simulator/campaign/campaign_dir.hpp"
#include "simulator/common/error.hpp"
#include "simulator/metrics/output_dir.hpp"

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <set>
#include <thread>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace edgetrain;
using testutil::csv_cells;
using testutil::Proc;
using testutil::TempDir;
namespace fs = std::filesystem;

namespace {

// A campaign over the quickstart scenario, 3 rounds a run; `axes` follows.
std::string campaign(const std::string& axes, const std::string& seeds = "[1, 2]") {
  return fmt::format("[campaign]\nname = \"t\"\nscenario = \"{}\"\nseeds = {}\n[campaign.set]\n"
                     "\"training.max_rounds\" = 3\n{}",
                     testutil::quickstart(), seeds, axes);
}

std::size_t column(const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  FAIL("no column " << name);
  return 0;
}

void put_file(const fs::path& p, const std::string& text) { // its folders too
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// Every run of the campaign's plan.
std::vector<CampaignRun> expand(const Campaign& c) {
  const CampaignPlan plan(c);
  std::vector<CampaignRun> runs;
  for (std::size_t k = 0; k < plan.size(); ++k)
    runs.push_back(plan.run(k));
  return runs;
}

std::string input_error(const TempDir& d, const std::string& text) {
  const auto f = d.write("c.toml", text);
  try {
    expand(load_campaign(f));
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

} // namespace

TEST_CASE("campaign: axes combine as a grid, zipped keys move together, seeds vary fastest") {
  TempDir d;
  const auto f = d.write("c.toml", campaign(R"(
[[axis]]
key = "policy.name"
values = ["fedavg", "random", "greedy"]
[[axis]]
keys = ["training.target_loss", "training.deadline_s"]
values = [[0.6, 300], [0.8, 200.5]]
)"));
  const Campaign c = load_campaign(f);
  const std::vector<CampaignRun> runs = expand(c);
  REQUIRE(runs.size() == 3 * 2 * 2);
  // Run k: policy k / 4, zip entry (k / 2) % 2, seed k % 2.
  const char* policies[] = {"\"fedavg\"", "\"random\"", "\"greedy\""};
  const char* targets[] = {"0.6", "0.8"};
  const char* deadlines[] = {"300", "200.5"};
  std::set<std::string> ids;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    CAPTURE(k);
    const CampaignRun& r = runs[k];
    CHECK(r.index == k);
    CHECK(r.seed == static_cast<std::int64_t>(k % 2 + 1));
    REQUIRE(r.axis_values.size() == 3);
    CHECK(r.axis_values[0] == std::pair<std::string, std::string>{"policy.name", policies[k / 4]});
    CHECK(r.axis_values[1].second == targets[(k / 2) % 2]);
    CHECK(r.axis_values[2].second == deadlines[(k / 2) % 2]);
    CHECK(r.sets.front() == "training.max_rounds=3");
    CHECK(r.id.size() == 16);
    ids.insert(r.id);
  }
  CHECK(ids.size() == runs.size());
  // The id is a function of the resolved scenario: the same campaign expands to the same ids,
  // and 0.60 is 0.6.
  const auto id_of_target = [&](const std::string& value) {
    const auto file = d.write(
        "g.toml", campaign("[[axis]]\nkey = \"training.target_loss\"\nvalues = [" + value + "]\n", "[1]"));
    return expand(load_campaign(file))[0].id;
  };
  CHECK(id_of_target("0.60") == id_of_target("0.6"));
  CHECK(id_of_target("0.60") != id_of_target("0.61"));
  CHECK(expand(load_campaign(f))[5].id == runs[5].id);
}

TEST_CASE("campaign error: unknown keys, empty axes, wrong types and ragged zips name the file and line") {
  TempDir d;
  const std::string unknown =
      input_error(d, campaign("[[axis]]\nkey = \"training.nonsense\"\nvalues = [1, 2]\n"));
  // The value the scenario rejects, by line and column.
  CHECK(unknown.find(d.path().string() + "/c.toml:9:11: run 1 (seed 1): --set training.nonsense") == 0);
  CHECK(unknown.find("unknown key") != std::string::npos);
  const std::string type =
      input_error(d, campaign("[[axis]]\nkey = \"training.batch\"\nvalues = [32, \"big\"]\n"));
  CHECK(type.find(d.path().string() + "/c.toml:9:15: run 3 (seed 1): --set training.batch: training.batch: "
                                      "expected integer, got string \"big\"") == 0);
  const std::string empty = input_error(d, campaign("[[axis]]\nkey = \"training.batch\"\nvalues = []\n"));
  CHECK(empty == d.path().string() + "/c.toml:9:10: axis[1].values: expected a non-empty list");
  const std::string ragged = input_error(
      d, campaign(
             "[[axis]]\nkeys = [\"training.batch\", \"training.local_steps\"]\nvalues = [[32, 5], [64]]\n"));
  CHECK(ragged.find("axis[1].values: each entry must be a list of 2 values, one per key") !=
        std::string::npos);
  const std::string twice =
      input_error(d, campaign("[[axis]]\nkey = \"training.max_rounds\"\nvalues = [4]\n"));
  CHECK(twice.find("training.max_rounds: set by two axes (or by an axis and campaign.set)") !=
        std::string::npos);
  const std::string seeds =
      input_error(d, "[campaign]\nscenario = \"" + testutil::quickstart() + "\"\nseeds = [1, -3]\n");
  CHECK(seeds == d.path().string() + "/c.toml:3:13: campaign.seeds: expected integers >= 0");
  const std::string missing = input_error(d, "[campaign]\nscenario = \"nope.toml\"\n");
  CHECK(missing.find(d.path().string() + "/c.toml:2:12: campaign.scenario: ") == 0);
  const std::string repeat =
      input_error(d, campaign("[[axis]]\nkey = \"training.batch\"\nvalues = [32, 32]\n"));
  CHECK(repeat.find("run 3 is the same scenario as an earlier run") != std::string::npos);

  std::string bad_set = campaign("[[axis]]\nkey = \"training.batch\"\nvalues = [32]\n");
  bad_set.replace(bad_set.find("\"training.max_rounds\" = 3"), 25, "\"training.max_rounds\" = \"many\"");
  const std::string fixed = input_error(d, bad_set);
  CHECK(fixed.find(d.path().string() + "/c.toml:6:25: run 1 (seed 1): --set training.max_rounds") == 0);
  const std::string nested = input_error(d, campaign("[[axis]]\nkey = \"nosuch.key\"\nvalues = [1]\n"));
  CHECK(nested.find(d.path().string() + "/c.toml:9:11: run 1 (seed 1): --set nosuch") == 0);
  const std::string seed_axis =
      input_error(d, campaign("[[axis]]\nkey = \"scenario\"\nvalues = [{ seed = 5 }, { seed = 6 }]\n"));
  CHECK(seed_axis.find("scenario: give seeds in campaign.seeds") != std::string::npos);

  // From the command line: exit 2, and no folder made.
  d.write("bad.toml", campaign("[[axis]]\nkey = \"training.batch\"\nvalues = [32, \"big\"]\n"));
  const Proc p = testutil::run_edgetrain("campaign bad.toml -o out", d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("error: ") == 0);
  CHECK_FALSE(fs::exists(d.path() / "out"));
  // An unknown back end, and a folder that holds something else than a campaign.
  d.write("good.toml", campaign("[[axis]]\nkey = \"training.batch\"\nvalues = [32]\n"));
  const Proc backend = testutil::run_edgetrain("campaign good.toml -o out --backend cloud", d.path());
  CHECK(backend.code == 2);
  CHECK(backend.err == "error: --backend cloud: expected local, slurm or parallel\n");
  CHECK_FALSE(fs::exists(d.path() / "out"));
  d.write("taken/notes.txt", "mine");
  const Proc taken = testutil::run_edgetrain("campaign good.toml -o taken", d.path());
  CHECK(taken.code == 2);
  CHECK(taken.err.find("the folder holds something else than a campaign (no plan.csv)") != std::string::npos);
  CHECK(testutil::read(d.path() / "taken/notes.txt") == "mine");
  CHECK_FALSE(fs::exists(d.path() / "taken/runs"));
}

TEST_CASE("campaign: a failing run is recorded with its exit status and error, the others complete") {
  // optimum refuses more than 2 trainers: its runs fail (exit 2) when they start.
  TempDir d;
  d.write("c.toml", campaign(R"(
[[axis]]
key = "policy.name"
values = ["fedavg", "optimum"]
)",
                             "[1]") +
                        "\n");
  auto text = testutil::read(d.path() / "c.toml");
  text.replace(text.find("\"training.max_rounds\" = 3"), 25,
               "\"training.max_rounds\" = 3\n\"policy.optimum.max_nodes\" = 2");
  d.write("c.toml", text);
  const Proc p = testutil::run_edgetrain("campaign c.toml -o out -j 2", d.path());
  CHECK(p.code == 1);
  const auto rows = csv_cells(testutil::read(d.path() / "out/runs.csv"));
  REQUIRE(rows.size() == 3);
  const std::size_t status = column(rows[0], "status"), failure = column(rows[0], "failure");
  CHECK(rows[1][status] == "ok");
  CHECK(rows[2][status] == "failed");
  CHECK(rows[2][failure] == "exit 2");
  const std::string failed = testutil::read(d.path() / "out/runs" / (rows[2][1] + ".failed"));
  CHECK(failed.find("exit 2\n") == 0);
  CHECK(failed.find("policy.optimum.max_nodes") != std::string::npos);
  CHECK(fs::exists(d.path() / "out/runs" / rows[1][1] / "summary.json"));
  CHECK(testutil::read(d.path() / "out/manifest.json").find("\"failed\": 1") != std::string::npos);
}

TEST_CASE("campaign error: a folder another edgetrain is running is refused, its runs untouched") {
  // Started twice on one folder, the second would take the first's runs in progress for what a
  // killed run leaves and remove them. Here the test holds the lock, as a running edgetrain does.
  TempDir d;
  d.write("c.toml", campaign("", "[1]"));
  REQUIRE(testutil::run_edgetrain("campaign c.toml -o out", d.path()).code == 0);
  const fs::path partial = d.path() / "out/runs/.abc.partial-999999"; // a run in progress
  fs::create_directories(partial);
  const int fd = ::open((d.path() / "out/.lock").c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  const Proc p = testutil::run_edgetrain("campaign c.toml -o out", d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("error: " + (d.path() / "out").string() + ": another edgetrain is running this campaign folder") !=
        std::string::npos);
  CHECK(fs::exists(partial));
  ::close(fd); // released: the folder is free again
  const Proc again = testutil::run_edgetrain("campaign c.toml -o out", d.path());
  CHECK(again.code == 0);
  CHECK_FALSE(fs::exists(partial)); // now it is a leftover, and removed
}

TEST_CASE("campaign: killed with SIGKILL mid-way, a re-run loses nothing and duplicates nothing") {
  TempDir d;
  d.write("c.toml", campaign(R"(
[[axis]]
key = "policy.name"
values = ["fedavg", "random", "greedy", "fastest-first"]
)",
                             "[1, 2, 3]"));
  // The reference: the same campaign, never interrupted.
  REQUIRE(testutil::run_edgetrain("campaign c.toml -o ref -j 2", d.path()).code == 0);
  // Started in the background, killed after some runs have completed and others are running.
  const std::string cmd =
      fmt::format("cd '{}' && ('{}' campaign c.toml -o out -j 2 >/dev/null 2>&1 & pid=$!; "
                  "while [ $(ls out/runs 2>/dev/null | grep -vc '^\\.') -lt 3 ]; do sleep 0.02; "
                  "done; kill -9 $pid; wait $pid)",
                  d.path().string(), EDGETRAIN_BIN);
  (void)std::system(cmd.c_str());
  std::this_thread::sleep_for(std::chrono::milliseconds(200)); // its children die with it
  std::set<std::string> before;
  for (const auto& e : fs::directory_iterator(d.path() / "out/runs")) // hidden: a killed run's partial folder
    if (e.path().filename().string()[0] != '.' && fs::exists(e.path() / "summary.json"))
      before.insert(e.path().filename().string());
  REQUIRE(before.size() >= 3);
  REQUIRE(before.size() < 12);
  const Proc again = testutil::run_edgetrain("campaign c.toml -o out -j 2", d.path());
  CHECK(again.code == 0);
  CHECK_MESSAGE(again.err.find(fmt::format("12 runs, {} already complete, {} to run", before.size(),
                                           12 - before.size())) != std::string::npos,
                again.err);
  // Nothing duplicated: exactly the 12 run folders, nothing hidden or half-written left.
  std::size_t entries = 0;
  for (const auto& e : fs::directory_iterator(d.path() / "out/runs")) {
    ++entries;
    CHECK(fs::exists(e.path() / "summary.json"));
  }
  CHECK(entries == 12);
  // Nothing lost: the same tables as the uninterrupted campaign.
  CHECK(testutil::read(d.path() / "out/runs.csv") == testutil::read(d.path() / "ref/runs.csv"));
  CHECK(testutil::read(d.path() / "out/rounds.csv") == testutil::read(d.path() / "ref/rounds.csv"));
  CHECK(testutil::read(d.path() / "out/nodes.csv") == testutil::read(d.path() / "ref/nodes.csv"));
}

TEST_CASE("campaign: Ctrl-C stops its runs, merges what finished, ends it by SIGINT, and it resumes") {
  TempDir d;
  d.write("c.toml", testutil::slow_campaign("[1, 2, 3, 4]"));
  // SIGINT to the whole process group, as a terminal sends it, when the first run is complete:
  // with -j 2, the third and fourth are then out, and get it too.
  const int code =
      testutil::signal_when(d.path(), "campaign c.toml -o stopped -j 2",
                            "[ $(ls stopped/runs 2>/dev/null | grep -vc '^\\.') -ge 1 ]", "INT", true);
  CHECK(code == 130);
  CHECK(testutil::read(d.path() / "signalled.err").find("interrupted by signal 2") != std::string::npos);
  // Its runs went with it, and none is recorded as failed: they were stopped.
  CHECK(std::system(("pgrep -f 'c.toml -o [s]topped' >/dev/null")) != 0);
  const std::size_t done = testutil::complete_runs(d.path() / "stopped/runs");
  CHECK(done >= 1);
  CHECK(done < 4);
  for (const auto& e : fs::directory_iterator(d.path() / "stopped/runs")) {
    CHECK(e.path().extension() != ".failed");
    CHECK(e.path().filename().string()[0] != '.'); // stopped runs removed their hidden folders
  }
  // The tables were merged from what finished.
  const auto rows = csv_cells(testutil::read(d.path() / "stopped/runs.csv"));
  REQUIRE(rows.size() == 5);
  std::size_t ok = 0, missing = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    ok += rows[i][column(rows[0], "status")] == "ok";
    missing += rows[i][column(rows[0], "status")] == "missing";
  }
  CHECK(ok == done);
  CHECK(missing == 4 - done);
  // The same command finishes the rest.
  const Proc again = testutil::run_edgetrain("campaign c.toml -o stopped -j 2", d.path());
  CHECK(again.code == 0);
  CHECK(again.err.find(fmt::format("4 runs, {} already complete, {} to run", done, 4 - done)) !=
        std::string::npos);
  CHECK(testutil::complete_runs(d.path() / "stopped/runs") == 4);
}

TEST_CASE("campaign: a signal ignored when it starts (nohup) stays ignored") {
  TempDir d;
  d.write("c.toml",
          campaign("[[axis]]\nkey = \"policy.name\"\nvalues = [\"fedavg\", \"greedy\"]\n", "[1, 2, 3]"));
  const int code =
      testutil::signal_when(d.path(), "campaign c.toml -o hup -j 1",
                            "[ $(ls hup/runs 2>/dev/null | grep -vc '^\\.') -ge 1 ]", "HUP", true, "HUP");
  CHECK(code == 0);
  CHECK(testutil::complete_runs(d.path() / "hup/runs") == 6);
}

TEST_CASE("campaign: a run killed by a signal is recorded with it, the others complete") {
  TempDir d;
  d.write("c.toml", testutil::slow_campaign("[1, 2, 3]"));
  // -j 1: the campaign's one child is the first run; it is killed as a crash would kill it.
  const int code = testutil::signal_when(d.path(), "campaign c.toml -o crash -j 1",
                                         "child=$(pgrep -P $pid) && kill -KILL $child", "0");
  CHECK(code == 1);
  const auto rows = csv_cells(testutil::read(d.path() / "crash/runs.csv"));
  REQUIRE(rows.size() == 4);
  const std::size_t status = column(rows[0], "status"), failure = column(rows[0], "failure");
  CHECK(rows[1][status] == "failed");
  CHECK(rows[1][failure] == "signal 9");
  CHECK(testutil::read(d.path() / "crash/runs" / (rows[1][1] + ".failed")).find("signal 9\n") == 0);
  CHECK(rows[2][status] == "ok");
  CHECK(rows[3][status] == "ok");
}

TEST_CASE("campaign: merged tables equal run folders built by hand") {
  TempDir d;
  const auto f = d.write("c.toml", campaign(R"(
[[axis]]
key = "policy.name"
values = ["fedavg", "random", "greedy"]
)",
                                            "[7]"));
  const Campaign c = load_campaign(f);
  const CampaignPlan plan(c);
  const std::vector<CampaignRun> runs = expand(c);
  const CampaignDir dir(d.path() / "out");
  dir.prepare(plan, "edgetrain");
  // Runs 1 and 3 complete, by hand; run 2 never ran. Run 3's summary lacks final_loss and has a
  // metric run 1's lacks: a column of its own, empty in the rows before.
  const fs::path r1 = dir.run_dir(runs[0]), r3 = dir.run_dir(runs[2]);
  fs::create_directories(r1);
  fs::create_directories(r3);
  put_file(r1 / "summary.json", "{\n  \"scenario\": \"q\",\n  \"policy\": \"fedavg\",\n  \"seed\": 7,\n"
                                  "  \"rounds\": 2,\n  \"final_loss\": 0.5,\n  \"time_to_target_s\": null,\n"
                                  "  \"wall_s\": 1.23\n}\n");
  put_file(r1 / "rounds.csv", "round,loss\n1,0.9\n2,0.5\n");
  put_file(r1 / "nodes.csv",
             "round,node,host,role,trained,finished,compute_s,comm_s,flops,bytes,energy_j,pstate\n"
             "1,0,agg,aggregator,0,0,0,0,10,100,5,0\n1,1,a,trainer,1,1,1,1,1000,200,2.5,0\n"
             "2,0,agg,aggregator,0,0,0,0,10,100,5,0\n2,1,a,trainer,1,0,1,1,500,50,1.5,0\n");
  put_file(r3 / "summary.json", "{\n  \"scenario\": \"q\",\n  \"policy\": \"greedy\",\n  \"seed\": 7,\n"
                                  "  \"rounds\": 1,\n  \"time_to_target_s\": 12.5,\n  \"extra\": 9,\n"
                                  "  \"wall_s\": 0.5\n}\n");
  put_file(r3 / "rounds.csv", "round,loss\n1,0.7\n");
  put_file(r3 / "nodes.csv",
             "round,node,host,role,trained,finished,compute_s,comm_s,flops,bytes,energy_j,pstate\n"
             "1,1,b,trainer,1,1,1,1,300,30,0.25,0\n");
  dir.merge(plan, "edgetrain campaign c.toml");
  CHECK(testutil::read(d.path() / "out/runs.csv") ==
        fmt::format("run,run_id,policy.name,seed,status,failure,policy,rounds,final_loss,time_to_target_s,extra\n"
                    "1,{},fedavg,7,ok,,fedavg,2,0.5,,\n2,{},random,7,missing,,,,,,\n"
                    "3,{},greedy,7,ok,,greedy,1,,12.5,9\n",
                    runs[0].id, runs[1].id, runs[2].id));
  CHECK(testutil::read(d.path() / "out/rounds.csv") ==
        fmt::format("run_id,round,loss\n{0},1,0.9\n{0},2,0.5\n{1},1,0.7\n", runs[0].id, runs[2].id));
  CHECK(testutil::read(d.path() / "out/nodes.csv") ==
        fmt::format("run_id,node,host,rounds_trained,rounds_finished,energy_j,flops,bytes\n"
                    "{0},0,agg,0,0,10,20,200\n{0},1,a,2,1,4,1500,250\n{1},1,b,1,1,0.25,300,30\n",
                    runs[0].id, runs[2].id));
  const std::string manifest = testutil::read(d.path() / "out/manifest.json");
  CHECK(manifest.find("\"runs\": 3,\n  \"done\": 2,\n  \"failed\": 0,\n  \"missing\": 1") !=
        std::string::npos);
  CHECK(manifest.find("\"command_line\": \"edgetrain campaign c.toml\"") != std::string::npos);
  CHECK(manifest.find(fmt::format("\"run_ids\": [\n    \"{}\",\n    \"{}\",\n    \"{}\"\n  ]", runs[0].id,
                                  runs[1].id, runs[2].id)) != std::string::npos);
  // plan.csv and commands.txt, a row per run in plan order.
  CHECK(testutil::read(d.path() / "out/plan.csv") ==
        fmt::format("index,run_id,seed,policy.name\n1,{},7,fedavg\n2,{},7,random\n3,{},7,greedy\n", runs[0].id,
                    runs[1].id, runs[2].id));
  CHECK(testutil::read(d.path() / "out/commands.txt")
            .find(fmt::format("edgetrain run {} --out {} --no-progress --seed 7 --set training.max_rounds=3 "
                              "'policy.name=\"greedy\"'\n",
                              testutil::quickstart(), r3.string())) != std::string::npos);
  // Nothing half-written left beside them.
  for (const auto& e : fs::directory_iterator(d.path() / "out"))
    CHECK(e.path().filename().string().find(".partial-") == std::string::npos);
}

TEST_CASE("campaign plan: checked on every core, the first refused run is the one named") {
  TempDir d;
  // 1,100 runs in blocks of 256 shared by the cores: runs 250, 260, 601 and 1001 are refused.
  // With two cores, the second meets run 260 (4 runs into its block) before the first meets run
  // 250 (250 runs into its own), yet the error names run 250, by its line, as on one core.
  std::string values = "values = [\n";
  std::size_t bad_line = 0;
  const std::string head = campaign("[[axis]]\nkey = \"training.batch\"\n", "[1]");
  const std::size_t head_lines = static_cast<std::size_t>(std::count(head.begin(), head.end(), '\n'));
  for (int i = 1; i <= 1100; ++i) {
    const bool bad = i == 250 || i == 260 || i == 601 || i == 1001;
    values += bad ? "\"big\",\n" : fmt::format("{},\n", i);
    if (i == 250) bad_line = head_lines + 1 + static_cast<std::size_t>(i); // the values line is head_lines + 1
  }
  const std::string e = input_error(d, head + values + "]\n");
  CHECK(e.find(fmt::format("{}/c.toml:{}:1: run 250 (seed 1): --set training.batch: training.batch: expected "
                           "integer, got string \"big\"",
                           d.path().string(), bad_line)) == 0);
  // Without the refused values, every run is planned, in order, each id its own.
  std::string good = "values = [";
  for (int i = 1; i <= 1100; ++i)
    good += fmt::format("{}{}", i == 1 ? "" : ", ", i);
  const CampaignPlan plan(load_campaign(d.write("g.toml", head + good + "]\n")));
  REQUIRE(plan.size() == 1100);
  std::set<std::string> ids;
  for (std::size_t k = 0; k < plan.size(); ++k) {
    const CampaignRun r = plan.run(k);
    CHECK(r.index == k);
    CHECK(r.axis_values.at(0).second == std::to_string(k + 1));
    ids.insert(r.id);
  }
  CHECK(ids.size() == 1100);
  // A subset keeps the runs' indices and ids.
  const CampaignPlan some = plan.subset({7, 3});
  REQUIRE(some.size() == 2);
  CHECK(some.run(0).index == 7);
  CHECK(some.run(0).id == plan.run(7).id);
  CHECK(some.run(1).axis_values.at(0).second == "4");
  CHECK(some.subset({1}).run(0).index == 3);
}

TEST_CASE("campaign plan error: more runs than the machine can plan are refused before any is checked") {
  TempDir d;
  const auto axes = [](int n) {
    std::string out, values = "values = [";
    for (int i = 0; i < 1000; ++i)
      values += fmt::format("{}{}", i ? ", " : "", i);
    values += "]\n";
    for (int a = 0; a < n; ++a)
      out += fmt::format("[[axis]]\nkey = \"x.k{}\"\n{}", a, values);
    return out;
  };
  // 4 axes of 1,000 values: 10^12 runs, 24 bytes each (an id and its sorted copy).
  const std::string big = input_error(d, campaign(axes(4), "[1]"));
  CHECK(big.find(d.path().string() + "/c.toml: the campaign has 1000000000000 runs (its axes' values and seeds "
                                     "multiplied): its plan alone would take 24000.0 GB") == 0);
  // 7 axes: 10^21 runs, more than a 64-bit count holds.
  const std::string huge = input_error(d, campaign(axes(7), "[1]"));
  CHECK(huge.find("the campaign has more than 2^64 runs") != std::string::npos);
}

TEST_CASE("campaign: --dry-run prints the runs and the sbatch script and writes nothing") {
  TempDir d;
  d.write("c.toml",
          campaign("[[axis]]\nkey = \"policy.name\"\nvalues = [\"fedavg\", \"random\"]\n", "[1, 2]"));
  const Proc p = testutil::run_edgetrain("campaign c.toml -o out --backend slurm --dry-run -j 3", d.path());
  CHECK(p.code == 0);
  CHECK(p.out.find("4 runs, 0 already complete") != std::string::npos);
  CHECK(p.out.find("#SBATCH --array=1-4%3") != std::string::npos);
  CHECK(p.out.find("--seed 2 --set training.max_rounds=3 'policy.name=\"random\"'") != std::string::npos);
  CHECK_FALSE(fs::exists(d.path() / "out"));
}

TEST_CASE(
    "campaign: odd string values stay one line and one value, and another campaign's folder is refused") {
  TempDir d;
  d.write("c.toml",
          campaign("[[axis]]\nkey = \"scenario.name\"\nvalues = [\"a\\nb\", \"q\\\"x,y\"]\n", "[1]"));
  REQUIRE(testutil::run_edgetrain("campaign c.toml -o out", d.path()).code == 0);
  const auto rows = csv_cells(testutil::read(d.path() / "out/commands.txt"));
  CHECK(rows.size() == 2); // a command per line
  const std::string runs = testutil::read(d.path() / "out/runs.csv");
  CHECK(runs.find(",a\\u000Ab,") != std::string::npos);    // the newline stays escaped
  CHECK(runs.find(",\"q\"\"x,y\",") != std::string::npos); // q"x,y, quoted as CSV
  const std::string names = testutil::read(d.path() / "out/runs.csv");
  CHECK(names.find(",a\nb,") == std::string::npos);
  // The run really got the name a<newline>b.
  const auto plan = csv_cells(testutil::read(d.path() / "out/plan.csv"));
  REQUIRE(plan.size() == 3);
  CHECK(testutil::read(d.path() / "out/runs" / plan[1][1] / "summary.json")
            .find("\"scenario\": \"a\\u000ab\"") != std::string::npos);
  d.write("other.toml", testutil::read(d.path() / "c.toml"));
  const Proc p = testutil::run_edgetrain("campaign other.toml -o out", d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("the folder belongs to the campaign " + (d.path() / "c.toml").string()) !=
        std::string::npos);
}

TEST_CASE("campaign: every shipped campaign expands, each run's scenario valid") {
  // configs/fidelity holds the fidelity studies the calibration never saw (README, Fidelity).
  for (const auto& [folder, expected] : {std::pair<const char*, std::size_t>{"configs/campaigns", 4},
                                         std::pair<const char*, std::size_t>{"configs/fidelity", 2}}) {
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(testutil::source_dir() / folder)) {
      if (e.path().extension() != ".toml") continue;
      CAPTURE(e.path().string());
      ++files;
      const Campaign c = load_campaign(e.path());
      CHECK(expand(c).size() >= 12); // several policies over several seeds
    }
    CHECK(files == expected);
  }
}

TEST_CASE("campaign: a run's id ignores another learning process's keys, not its own") {
  TempDir d;
  const auto ids = [&](const std::string& process, const std::string& floor) {
    const auto f = d.write("c.toml", campaign(fmt::format("\"learning.process\" = \"{}\"\n"
                                                          "\"learning.surrogate.floor_loss\" = {}\n",
                                                          process, floor),
                                              "[1]"));
    return expand(load_campaign(f)).at(0).id;
  };
  CHECK(ids("trained", "0.3") == ids("trained", "0.4"));     // the surrogate's keys do not decide it
  CHECK(ids("surrogate", "0.3") != ids("surrogate", "0.4")); // they decide this one
  CHECK(ids("trained", "0.3") != ids("surrogate", "0.3"));
  // Nor the file its calibration key names.
  d.write("cal-a.toml", "[learning.surrogate]\nfloor_loss = 0.3\n");
  d.write("cal-b.toml", "[learning.surrogate]\nfloor_loss = 0.4\n");
  const auto with_file = [&](const std::string& process, const std::string& file) {
    const auto f = d.write("c.toml", campaign(fmt::format("\"learning.process\" = \"{}\"\n"
                                                          "\"learning.surrogate.calibration\" = \"{}\"\n",
                                                          process, (d.path() / file).string()),
                                              "[1]"));
    return expand(load_campaign(f)).at(0).id;
  };
  CHECK(with_file("trained", "cal-a.toml") == with_file("trained", "cal-b.toml"));
  CHECK(with_file("surrogate", "cal-a.toml") != with_file("surrogate", "cal-b.toml"));
}

TEST_CASE("campaign: a run's id ignores another policy's keys and predictor file, not its own") {
  TempDir d;
  const std::string shipped = testutil::read(testutil::source_dir() / "configs/predictors/lenet5-fashion-mnist.toml");
  d.write("pred-a.toml", shipped);
  d.write("pred-b.toml", shipped + "\n# refitted\n");
  const auto id = [&](const std::string& policy, const std::string& set) {
    const auto f = d.write("c.toml", campaign(fmt::format("\"policy.name\" = \"{}\"\n{}\n", policy, set), "[1]"));
    return expand(load_campaign(f)).at(0).id;
  };
  const auto pred = [&](const std::string& file) {
    return fmt::format("\"policy.pact.predictor\" = \"{}\"", (d.path() / file).string());
  };
  CHECK(id("fedavg", pred("pred-a.toml")) == id("fedavg", pred("pred-b.toml"))); // FedAvg reads no predictor
  CHECK(id("fedavg", "\"policy.pact.slots\" = 100") == id("fedavg", "\"policy.pact.slots\" = 200"));
  CHECK(id("pact", pred("pred-a.toml")) != id("pact", pred("pred-b.toml"))); // PACT plans with it
  CHECK(id("pact", "\"policy.pact.slots\" = 100") != id("pact", "\"policy.pact.slots\" = 200"));
  CHECK(id("fedavg", "") != id("pact", ""));
}

TEST_CASE("atomic file: whole after commit, nothing when dropped, an error where it cannot be written") {
  TempDir d;
  const auto hidden = [&] {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(d.path()))
      n += e.path().filename().string().rfind('.', 0) == 0;
    return n;
  };
  {
    AtomicFile f(d.path() / "t.csv");
    f << "a,b\n" << "1,2\n";
    CHECK_FALSE(fs::exists(d.path() / "t.csv")); // only its hidden sibling until commit
    CHECK(hidden() == 1);
    f.commit();
  }
  CHECK(testutil::read(d.path() / "t.csv") == "a,b\n1,2\n");
  {
    AtomicFile f(d.path() / "t.csv");
    f << "half";
  } // an exception's path: the old file stays, the sibling goes
  CHECK(testutil::read(d.path() / "t.csv") == "a,b\n1,2\n");
  CHECK(hidden() == 0);
  const std::string refused = "cannot write " + (d.path() / "no/such/folder/t.csv").string();
  CHECK_THROWS_WITH(AtomicFile(d.path() / "no/such/folder/t.csv"), doctest::Contains(refused.c_str()));
}
