// The edgetrain program end to end, as a user runs it: the quickstart, reproducibility, and every
// kind of bad input giving "error: ..." on stderr, exit code 2 and no output folder.
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include <fmt/format.h>

using testutil::Proc;
using testutil::TempDir;
namespace fs = std::filesystem;

namespace {

using testutil::quickstart;

const char* kPlatform = R"(<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
<zone id="z" routing="Full">
  <host id="agg" speed="2Gf"><prop id="role" value="aggregator"/><prop id="wattage_per_state" value="50:100"/></host>
  <host id="t1" speed="SPEED"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20"/></host>
  <host id="t2" speed="1Gf"><prop id="role" value="trainer"/><prop id="wattage_per_state" value="10:20"/></host>
  <link id="l1" bandwidth="BW" latency="10ms"/>
  <link id="l2" bandwidth="10MBps" latency="10ms"/>
  <route src="agg" dst="t1"><link_ctn id="l1"/></route>
  ROUTE2
</zone></platform>
)";

std::string platform(const std::string& speed = "1Gf", const std::string& bw = "10MBps",
                     const std::string& route2 = R"(<route src="agg" dst="t2"><link_ctn id="l2"/></route>)") {
  std::string p = kPlatform;
  p.replace(p.find("SPEED"), 5, speed);
  p.replace(p.find("BW"), 2, bw);
  p.replace(p.find("ROUTE2"), 6, route2);
  return p;
}

// Runs `edgetrain run s.toml --out out` in a folder holding `toml` and `xml`, expects a clean
// failure, and returns stderr.
std::string bad_run(const std::string& toml, const std::string& xml = platform(),
                    const std::string& extra = "") {
  TempDir d;
  d.write("p.xml", xml);
  d.write("s.toml", toml);
  const Proc p = testutil::run_edgetrain("run s.toml --out out --no-progress " + extra, d.path());
  CHECK(p.code == 2);
  CHECK(p.err.rfind("error: ", 0) == 0);
  CHECK_FALSE(fs::exists(d.path() / "out"));
  // Nothing half written either: no hidden partial folder left behind.
  for (const auto& e : fs::directory_iterator(d.path()))
    CHECK(e.path().filename().string().find("partial") == std::string::npos);
  CHECK(p.err.find("Aborted") == std::string::npos);
  return p.err;
}

const std::string kToml = "[platform]\nfile = \"p.xml\"\n";

std::string without_wall(std::string s) {
  return std::regex_replace(s, std::regex("\"wall_s\": [0-9.e+-]+"), "");
}

} // namespace

TEST_CASE("cli: the quickstart runs and reaches its target loss") {
  TempDir d;
  const Proc p = testutil::run_edgetrain("run '" + quickstart() + "' --out q", d.path());
  REQUIRE(p.code == 0);
  for (const char* f : {"rounds.csv", "nodes.csv", "summary.json", "resolved.toml"})
    CHECK(fs::exists(d.path() / "q" / f));
  const std::string summary = testutil::read(d.path() / "q/summary.json");
  CHECK(summary.find("\"reached_target\": true") != std::string::npos);
  CHECK(summary.find("\"policy\": \"fedavg\"") != std::string::npos);
  CHECK(testutil::read(d.path() / "q/rounds.csv")
            .rfind("round,start_s,end_s,trainers_planned,trainers_finished,loss,", 0) == 0);
  CHECK(p.out.find("target reached") != std::string::npos);
}

TEST_CASE("cli: two runs with one seed are byte-identical and another seed differs") {
  TempDir d;
  const std::string q = quickstart();
  REQUIRE(testutil::run_edgetrain("run '" + q + "' --out a --set policy.name=random", d.path()).code == 0);
  REQUIRE(testutil::run_edgetrain("run '" + q + "' --out b --set policy.name=random", d.path()).code == 0);
  REQUIRE(
      testutil::run_edgetrain("run '" + q + "' --out c --set policy.name=random --seed 2", d.path()).code ==
      0);
  for (const char* f : {"rounds.csv", "nodes.csv", "resolved.toml"}) {
    CHECK(testutil::read(d.path() / "a" / f) == testutil::read(d.path() / "b" / f));
  }
  // summary.json differs only by wall_s, the one machine-dependent figure.
  CHECK(without_wall(testutil::read(d.path() / "a/summary.json")) ==
        without_wall(testutil::read(d.path() / "b/summary.json")));
  CHECK(testutil::read(d.path() / "a/rounds.csv") != testutil::read(d.path() / "c/rounds.csv"));
  CHECK(testutil::read(d.path() / "a/nodes.csv") != testutil::read(d.path() / "c/nodes.csv"));
}

TEST_CASE("cli: trainers cut by a round's timeout leave no actor or transfer behind") {
  // fedavg-deadline at 0.5 s cuts the quickstart's slow trainers every round. Each trainer and its
  // proxy on the aggregator must be gone when the round ends: one left waiting makes SimGrid
  // report a deadlock at the end of the run (its own check, on stderr).
  TempDir d;
  const Proc p = testutil::run_edgetrain("run '" + quickstart() +
                                             "' --out o --no-progress --set policy.name=fedavg-deadline "
                                             "policy.fedavg-deadline.round_s=0.5 training.max_rounds=3",
                                         d.path());
  REQUIRE(p.code == 0);
  const std::string nodes = testutil::read(d.path() / "o/nodes.csv");
  CHECK(nodes.find(",trainer,1,0,") != std::string::npos); // some trainer was cut
  CHECK(p.err.find("Deadlock") == std::string::npos);
  CHECK(p.err.find("CRITICAL") == std::string::npos);
}

TEST_CASE("cli: policies lists every policy with a line each") {
  TempDir d;
  const Proc p = testutil::run_edgetrain("policies", d.path());
  CHECK(p.code == 0);
  for (const char* name :
       {"fedavg", "fedavg-pruned", "random", "greedy", "fastest-first", "pact", "optimum"}) {
    CAPTURE(name);
    const bool listed =
        p.out.find(std::string("\n") + name + " ") != std::string::npos || p.out.rfind(name, 0) == 0;
    CHECK(listed);
  }
  CHECK(p.out.find("policy.random.k = 3") != std::string::npos);
  CHECK(p.out.find("policy.pact.bin_width = 0.01") != std::string::npos);
}

TEST_CASE("cli error: missing scenario file") {
  TempDir d;
  const Proc p = testutil::run_edgetrain("run nope.toml --out out", d.path());
  CHECK(p.code == 2);
  CHECK(p.err == "error: nope.toml: cannot read scenario: no such file\n");
}

TEST_CASE("cli error: malformed TOML") {
  CHECK(bad_run("[platform\nfile = \"p.xml\"\n").find("error: s.toml:1:") == 0);
}

TEST_CASE("cli error: unknown key suggests the nearest") {
  CHECK(bad_run(kToml + "[training]\nlocal_step = 3\n") ==
        "error: s.toml:4:1: training.local_step: unknown key (did you mean 'training.local_steps'?)\n");
}

TEST_CASE("cli error: wrong type and out-of-range values") {
  CHECK(bad_run(kToml + "[training]\nbatch = 1.5\n").find("s.toml:4:9: training.batch: expected integer") !=
        std::string::npos);
  CHECK(bad_run(kToml + "[training]\ndeadline_s = -1\n").find("training.deadline_s: must be > 0") !=
        std::string::npos);
  CHECK(bad_run(kToml + "[data.samples]\nt1 = -4\n").find("data.samples.t1: must be >= 1") !=
        std::string::npos);
}

TEST_CASE("cli error: nonsense SimGrid accepts silently is caught with its line") {
  CHECK(bad_run(kToml, platform("1Gf", "0MBps")) ==
        "error: p.xml:8: link 'l1': bandwidth '0MBps' must be a finite number > 0\n");
  CHECK(bad_run(kToml, platform("-3Gf")) ==
        "error: p.xml:6: host 't1': speed '-3Gf' must be a finite number > 0\n");
  std::string w = platform();
  w.replace(w.find("value=\"10:20\""), 13, "value=\"20:10\"");
  CHECK(
      bad_run(kToml, w) ==
      "error: p.xml:6: host 't1': property wattage_per_state: entry '20:10': idle power above busy power\n");
}

// Each of these made SimGrid 3.32 abort or crash the process; each must be a clean error.
TEST_CASE("cli error: platform mistakes SimGrid would abort on") {
  const auto edit = [](const std::string& from, const std::string& to) {
    std::string p = platform();
    p.replace(p.find(from), from.size(), to);
    return p;
  };
  CHECK(bad_run(kToml, edit("value=\"10:20\"/></host>\n  <host id=\"t2\"",
                            "value=\"10:20, 5:8\"/></host>\n  <host id=\"t2\""))
            .find("p.xml:6: host 't1': property wattage_per_state: 2 entries for 1 pstates") !=
        std::string::npos);
  CHECK(bad_run(kToml, edit("<host id=\"t1\"", "<host id=\"t1\" core=\"0\""))
            .find("p.xml:6: host 't1': core '0' must be a whole number >= 1") != std::string::npos);
  CHECK(bad_run(kToml, edit("<host id=\"t1\"", "<host id=\"t1\" pstate=\"3\""))
            .find("host 't1': pstate '3' must be between 0 and 0") != std::string::npos);
  CHECK(bad_run(kToml, platform("infGf")).find("host 't1': speed 'infGf' must be a finite number > 0") !=
        std::string::npos);
  CHECK(
      bad_run(kToml, edit("<link id=\"l1\" bandwidth=\"10MBps\" latency=\"10ms\"/>",
                          "<link id=\"l1\" bandwidth=\"10MBps\" latency=\"10ms\"><prop id=\"wattage_range\" "
                          "value=\"abc\"/></link>"))
          .find("link 'l1': property wattage_range 'abc' must be idle:busy") != std::string::npos);
  CHECK(bad_run(kToml, edit("routing=\"Full\"", "routing=\"Star\""))
            .find("p.xml:4: zone 'z': routing 'Star' is not one SimGrid 3.32 reads from XML") !=
        std::string::npos);
  CHECK(bad_run(kToml, edit("<host id=\"t1\"", "<host id=\"t1\" speed_file=\"nope.trace\""))
            .find("host 't1': speed_file 'nope.trace': no such file") != std::string::npos);
}

TEST_CASE("cli error: every platform problem is listed") {
  const std::string err = bad_run(kToml, platform("-1Gf", "0MBps"));
  CHECK(err.find("error: p.xml:6: host 't1'") == 0);
  CHECK(err.find("\nerror: p.xml:8: link 'l1'") != std::string::npos);
}

TEST_CASE("cli error: WiFi stations and Vivaldi hosts SimGrid would abort on") {
  const std::string wifi = R"(<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
<zone id="world" routing="Full">
  <zone id="cell" routing="Wifi">
    <prop id="access_point" value="ap"/>
    <host id="sta" speed="1Gf"><prop id="wifi_rate" value="2"/></host>
    <router id="ap"/>
    <link id="radio" sharing_policy="WIFI" bandwidth="54Mbps,36Mbps" latency="LAT"/>
  </zone>
  <host id="agg" speed="1Gf"><prop id="role" value="aggregator"/></host>
  <link id="wire" bandwidth="1Gbps" latency="1ms"/>
  <zoneRoute src="cell" dst="agg" gw_src="ap" gw_dst="agg"><link_ctn id="wire"/></zoneRoute>
</zone>
</platform>
)";
  std::string w = wifi;
  w.replace(w.find("LAT"), 3, "0ms");
  CHECK(bad_run(kToml, w).find(
            "p.xml:7: host 'sta': wifi_rate '2' must index the WIFI link's 2 rate(s): 0 to 1") !=
        std::string::npos);
  w = wifi;
  w.replace(w.find("LAT"), 3, "2ms");
  CHECK(bad_run(kToml, w).find("link 'radio': a WIFI link cannot have a latency") != std::string::npos);
  const std::string vivaldi = R"(<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
<zone id="z" routing="Vivaldi">
  <host id="agg" speed="1Gf" coordinates="0 0 0"><prop id="role" value="aggregator"/></host>
  <host id="t1" speed="1Gf"/>
</zone>
</platform>
)";
  CHECK(bad_run(kToml, vivaldi).find("p.xml:6: host 't1': a host in a Vivaldi zone needs coordinates") !=
        std::string::npos);
}

TEST_CASE("cli error: platform that is not XML or that SimGrid cannot parse") {
  std::string xml = platform();
  xml.replace(xml.find("</zone>"), 7, "<zone>");
  CHECK(bad_run(kToml, xml).find("malformed XML") != std::string::npos);
  xml = platform();
  xml.replace(xml.find("<host id=\"t2\" speed=\"1Gf\">"), 26, "<host id=\"t2\">");
  CHECK(bad_run(kToml, xml).find("SimGrid cannot parse the platform") != std::string::npos);
}

TEST_CASE("cli error: a missing route SimGrid crashes on (Floyd zone)") {
  std::string p = platform("1Gf", "10MBps", "");
  p.replace(p.find("routing=\"Full\""), 14, "routing=\"Floyd\"");
  CHECK(bad_run(kToml, p).find("trainer 't2' has no route to or from aggregator 'agg'") != std::string::npos);
}

TEST_CASE("cli error: worker without a route to its aggregator") {
  // The Full zone's line, the pair it lacks, and whose route needs it.
  CHECK(bad_run(kToml, platform("1Gf", "10MBps", "")) ==
        "error: p.xml:4: zone 'z' has no route from 't2' to 'agg': trainer 't2' has no complete route to "
        "aggregator 'agg'\n");
  // One way only (symmetrical="NO"): the other way is named.
  CHECK(bad_run(kToml, platform("1Gf", "10MBps", R"(<route src="t2" dst="agg" symmetrical="NO"><link_ctn id="l2"/></route>)"))
            .find("zone 'z' has no route from 'agg' to 't2': trainer 't2' has no complete route from aggregator "
                  "'agg'") != std::string::npos);
}

TEST_CASE("cli error: unknown policy lists the valid ones") {
  CHECK(bad_run(kToml + "[policy]\nname = \"pact2\"\n")
            .find("policy.name: 'pact2' is not one of: fedavg, fedavg-pruned, random, greedy, fastest-first, "
                  "pact, optimum, fedavg-deadline, fed-dropout, heterofl, fedprox-partial, distreal (did you "
                  "mean 'pact'?)") != std::string::npos);
}

TEST_CASE("cli error: unknown host in data.samples and platform.aggregator") {
  CHECK(
      bad_run(kToml + "[data.samples]\nt9 = 4\n").find("s.toml:4:1: data.samples.t9: no trainer host 't9'") !=
      std::string::npos);
  CHECK(bad_run("[platform]\nfile = \"p.xml\"\naggregator = \"nope\"\n")
            .find("s.toml:3:14: platform.aggregator: no host 'nope'") != std::string::npos);
}

TEST_CASE("cli error: output folder already holding files") {
  TempDir d;
  d.write("p.xml", platform());
  d.write("s.toml", kToml);
  d.write("out/keep.txt", "mine");
  const Proc p = testutil::run_edgetrain("run s.toml --out out", d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("output folder exists and is not empty") != std::string::npos);
  CHECK(testutil::read(d.path() / "out/keep.txt") == "mine");
}

TEST_CASE("cli error: bad command line") {
  TempDir d;
  CHECK(testutil::run_edgetrain("run", d.path()).code == 2);
  CHECK(testutil::run_edgetrain("fly", d.path()).code == 2);
  CHECK(testutil::run_edgetrain("run s.toml --set nokey", d.path())
            .err.find("--set nokey: expected key.path=value") != std::string::npos);
  CHECK(bad_run(kToml, platform(), "--seed -1")
            .find("--set scenario.seed: scenario.seed: must be >= 0, got -1") != std::string::npos);
}

TEST_CASE("cli: the README's scenario reference is what edgetrain keys prints") {
  TempDir d;
  const Proc p = testutil::run_edgetrain("keys", d.path());
  REQUIRE(p.code == 0);
  CHECK(p.out.find("| `training.batch` | integer | `32` |") != std::string::npos);
  CHECK_MESSAGE(testutil::read(testutil::source_dir() / "README.md").find(p.out) != std::string::npos,
                "the README's table is stale: run tools/update-readme-keys.sh");
}

TEST_CASE("cli: --cfg reaches SimGrid and wins over the scenario's simgrid_cfg") {
  // Scenario asks for LV08 (latency x 13.01); the command line for CM02 without crosstraffic,
  // under which the round takes exactly: 2 x (latency + bytes / bandwidth) + compute + aggregation.
  TempDir d;
  d.write("p.xml", platform());
  d.write("s.toml", kToml + "simgrid_cfg = [\"network/model:LV08\"]\n[training]\nlocal_steps = 2\nbatch = 4\n"
                            "max_rounds = 1\n");
  const Proc p = testutil::run_edgetrain(
      "run s.toml --out o --cfg=network/model:CM02 --cfg=network/crosstraffic:0 --no-progress", d.path());
  REQUIRE(p.code == 0);
  const std::string rounds = testutil::read(d.path() / "o/rounds.csv");
  const std::string row = rounds.substr(rounds.find('\n') + 1);
  const double end_s = std::stod(row.substr(row.find(',', row.find(',') + 1) + 1));
  const double expected = 2 * (0.010 + 246824 / 1e7) + 8 * 2263920 / 1e9 + 2 * 2 * 61706 / 2e9;
  CHECK(end_s == doctest::Approx(expected).epsilon(1e-6));
}

TEST_CASE("cli error: SimGrid options SimGrid would abort on") {
  CHECK(bad_run(kToml, platform(), "--cfg=network/model:nonsense")
            .find("error: --cfg=network/model:nonsense: network/model: 'nonsense' is not one of: LV08") == 0);
  CHECK(bad_run(kToml, platform(), "--cfg=no/such:3")
            .find("error: --cfg=no/such:3: no/such: not a SimGrid option") == 0);
  CHECK(bad_run(kToml, platform(), "--cfg=cpu/optim:TI").find("cpu/optim: 'TI' is not one of: Lazy, Full") !=
        std::string::npos);
  CHECK(bad_run(kToml, platform(), "--cfg=surf/precision:-1").find("must be a finite number > 0") !=
        std::string::npos);
  CHECK(bad_run(kToml, platform(), "--log=foo").find("error: --log=foo: SimGrid log setting") == 0);
  CHECK(bad_run(kToml, platform(), "--cfg=contexts/stack-size:1").find("must be between 64 and 1048576") !=
        std::string::npos);
  CHECK(bad_run(kToml, platform(), "--log=a.b.thres:debug").find("'a.b' is not a category name") !=
        std::string::npos);
  CHECK(bad_run(kToml + "simgrid_cfg = [\"network/model:ns-3\"]\n")
            .find("ns-3 cannot run with SimGrid's link energy") != std::string::npos);
}

TEST_CASE("cli: a trainer finishing at the very instant of the round timeout") {
  // First run without a timeout to learn when t2 (the slower) delivers its update, then run
  // again with the timeout exactly there: it must count as finished, consistently in both files.
  TempDir d;
  d.write("p.xml", platform("1Gf", "10MBps", R"(<route src="agg" dst="t2"><link_ctn id="l2"/></route>)"));
  d.write("s.toml", kToml + "simgrid_cfg = [\"network/model:CM02\", \"network/crosstraffic:0\"]\n"
                            "[training]\nlocal_steps = 2\nbatch = 4\nmax_rounds = 1\n");
  REQUIRE(testutil::run_edgetrain("run s.toml --out a --no-progress", d.path()).code == 0);
  const std::string nodes = testutil::read(d.path() / "a/nodes.csv");
  const std::size_t row = nodes.find("\n1,2,t2,");
  REQUIRE(row != std::string::npos);
  std::stringstream cells(nodes.substr(row + 1, nodes.find('\n', row + 1) - row - 1));
  std::vector<std::string> c;
  for (std::string cell; std::getline(cells, cell, ',');)
    c.push_back(cell);
  const double finish = std::stod(c[6]) + std::stod(c[7]); // compute_s + comm_s from the round start
  const Proc p = testutil::run_edgetrain(fmt::format("run s.toml --out b --no-progress --set "
                                                     "training.round_timeout_s={:.17g}",
                                                     finish),
                                         d.path());
  REQUIRE(p.code == 0);
  const std::string rounds = testutil::read(d.path() / "b/rounds.csv");
  CHECK(rounds.find("\n1,0,") != std::string::npos);
  CHECK(testutil::read(d.path() / "b/nodes.csv").find("\n1,2,t2,trainer,1,1,") != std::string::npos);
}

TEST_CASE("cli error: trace files (unknown host, time going backwards, missing file)") {
  TempDir d;
  d.write("p.xml", platform());
  d.write("s.toml", kToml + "traces = [\"t.trace\"]\n");
  d.write("t.trace", "[host t1 speed]\n0 1\n[host zz state]\n0 1\n");
  Proc p = testutil::run_edgetrain("run s.toml --out out", d.path());
  CHECK(p.code == 2);
  CHECK(p.err == "error: t.trace:3: no host 'zz' in the platform\n");
  d.write("t.trace", "[host t1 speed]\n0 1\n10 0.5\n5 1\n");
  p = testutil::run_edgetrain("run s.toml --out out", d.path());
  CHECK(p.code == 2);
  CHECK(p.err == "error: t.trace:4: time 5 does not come after the previous time 10\n");
  CHECK(bad_run(kToml + "traces = [\"none.trace\"]\n").find("s.toml:3:10: platform.traces: no such file") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(d.path() / "out"));
}

TEST_CASE("cli error: the aggregator switched off by its trace") {
  TempDir d;
  d.write("p.xml", platform());
  d.write("s.toml", kToml + "traces = [\"t.trace\"]\n");
  d.write("t.trace", "[host agg state]\n0 1\n0.01 0\n");
  const Proc p = testutil::run_edgetrain("run s.toml --out out", d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("the aggregator 'agg' was switched off at 0.01 s") != std::string::npos);
  CHECK_FALSE(fs::exists(d.path() / "out"));
}

TEST_CASE("cli: battery levels in nodes.csv and bad battery properties") {
  TempDir d;
  // t1 gets battery properties after its wattage.
  const auto t1_with = [](const std::string& props) {
    std::string p = platform();
    const std::string anchor = "value=\"10:20\"/></host>\n  <host id=\"t2\"";
    p.replace(p.find(anchor), anchor.size(), "value=\"10:20\"/>" + props + "</host>\n  <host id=\"t2\"");
    return p;
  };
  const std::string p =
      t1_with("<prop id=\"battery_wh\" value=\"1\"/><prop id=\"battery_level\" value=\"0.5\"/>");
  d.write("p.xml", p);
  d.write("s.toml", kToml + "simgrid_cfg = [\"network/model:CM02\", \"network/crosstraffic:0\"]\n"
                            "[training]\nlocal_steps = 2\nbatch = 4\nmax_rounds = 1\n");
  REQUIRE(testutil::run_edgetrain("run s.toml --out o --no-progress", d.path()).code == 0);
  const std::string nodes = testutil::read(d.path() / "o/nodes.csv");
  CHECK(nodes.find(",keep_mean,online,battery_j\n") != std::string::npos);
  // Under thread contexts (the sanitizer builds'), the battery manager, a daemon SimGrid kills at
  // the end, ends too (it used to hang there), and the results are the same.
  CHECK(testutil::run_edgetrain("run s.toml --out o2 --no-progress --cfg=contexts/factory:thread", d.path()).code == 0);
  CHECK(testutil::read(d.path() / "o2/nodes.csv") == nodes);
  // t1: 1 Wh at half charge = 1800 J, minus what SimGrid charges its host until the round ends:
  // 10 W x (down + up) + 20 W x compute, then 10 W idle while the aggregator aggregates the two
  // updates (4 x 61,706 FLOPs on 2 Gf). A battery drains whether or not the node is training.
  const double down = 0.010 + 246824 / 1e7, compute = 8 * 2263920 / 1e9, aggregate = 4 * 61706 / 2e9;
  const std::size_t row = nodes.find("\n1,1,t1,");
  REQUIRE(row != std::string::npos);
  const std::string line = nodes.substr(row + 1, nodes.find('\n', row + 1) - row - 1);
  const double battery = std::stod(line.substr(line.rfind(',') + 1));
  CHECK(battery == doctest::Approx(1800 - 10 * 2 * down - 20 * compute - 10 * aggregate).epsilon(1e-9));
  CHECK(line.substr(line.rfind(',') - 2, 2) == ",1"); // online
  // t2 is mains powered: an empty cell.
  CHECK(nodes.find("\n1,2,t2,") != std::string::npos);
  CHECK(nodes.substr(nodes.find("\n1,2,t2,")).find(",1,\n") != std::string::npos);

  CHECK(bad_run(
            kToml,
            t1_with(
                "<prop id=\"battery_wh\" value=\"1\"/><prop id=\"battery_charge_windows\" value=\"50-10\"/>"))
            .find("p.xml:6: host 't1': property battery_charge_windows: '50-10' is not START-END") !=
        std::string::npos);
  CHECK(bad_run(kToml, t1_with("<prop id=\"battery_level\" value=\"0.5\"/>"))
            .find("host 't1': property battery_level without battery_wh") != std::string::npos);
}

TEST_CASE("cli: validate prints hosts by class for a sound platform") {
  TempDir d;
  const Proc p = testutil::run_edgetrain(
      "validate '" + (testutil::source_dir() / "platforms/quickstart.xml").string() + "'", d.path());
  CHECK(p.code == 0);
  CHECK(p.out.find("10 hosts, 10 links, aggregator edge-server, 9 trainers") != std::string::npos);
  // rpi4: 3 hosts, 4 cores of 3.0 Gf = 12 GFLOP/s, 2.8 W idle, 6.4 W busy, WiFi 24 to 77 Mbit/s.
  CHECK(p.out.find(
            "rpi4                      3      4             12.0        2.8          6.4       24.0..77.0") !=
        std::string::npos);
  CHECK(p.out.find("\nsound\n") != std::string::npos);
}

TEST_CASE("cli: validate lists every problem and exits 2") {
  TempDir d;
  d.write("p.xml", platform("-1Gf", "0MBps"));
  Proc p = testutil::run_edgetrain("validate p.xml", d.path());
  CHECK(p.code == 2);
  CHECK(p.err == "error: p.xml:6: host 't1': speed '-1Gf' must be a finite number > 0\n"
                 "error: p.xml:8: link 'l1': bandwidth '0MBps' must be a finite number > 0\n");
  d.write("q.xml", platform("1Gf", "10MBps", ""));
  p = testutil::run_edgetrain("validate q.xml", d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("zone 'z' has no route from 't2' to 'agg'") != std::string::npos);
  // With a scenario: its roles and traces count.
  d.write("s.toml", "[platform]\nfile = \"elsewhere.xml\"\ntraces = [\"t.trace\"]\n");
  d.write("t.trace", "[host nobody speed]\n0 1\n");
  d.write("elsewhere.xml", "");
  p = testutil::run_edgetrain("validate p.xml s.toml", d.path());
  CHECK(p.code == 2);
  d.write("r.xml", platform());
  p = testutil::run_edgetrain("validate r.xml s.toml", d.path());
  CHECK(p.code == 2);
  CHECK(p.err == "error: t.trace:1: no host 'nobody' in the platform\n");
}

TEST_CASE("run: interrupted by SIGINT (Ctrl-C) or SIGTERM, it leaves no folder and dies by the signal") {
  // PACT on edge-cloud-100 runs for seconds: the signal comes while its results are being written.
  const std::string args = fmt::format("run '{}' --out r --no-progress --set 'policy.name=\"pact\"'",
                                       (testutil::source_dir() / "configs/edge-cloud-100.toml").string());
  for (const auto& [signal, code] : {std::pair<std::string, int>{"INT", 130}, {"TERM", 143}}) {
    CAPTURE(signal);
    TempDir d;
    CHECK(testutil::signal_when(d.path(), args, "ls -a | grep -q '^\\.r\\.partial-' && sleep 0.3", signal,
                                true) == code);
    for (const auto& e : fs::directory_iterator(d.path())) {
      const std::string name = e.path().filename().string();
      CHECK_MESSAGE((name == "signalled.err" || name == "signalled.rc"), name);
    }
  }
}
