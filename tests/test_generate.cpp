// The platform generator and the example platforms, end to end through the program.
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

using testutil::Proc;
using testutil::TempDir;
namespace fs = std::filesystem;

namespace {
const std::string kMix = "--mix rpi4:0.3,phone-mid:0.3,phone-flagship:0.1,laptop:0.2,jetson-nano:0.1";
}

TEST_CASE("generate: every topology loads in SimGrid passes validate and runs FedAvg") {
  for (const char* topology : {"star", "cells", "edge-cloud"}) {
    CAPTURE(topology);
    TempDir d;
    Proc p = testutil::run_edgetrain(std::string("platform generate --nodes 40 ") + kMix + " --topology " +
                                         topology + " --cells 3 --traces speed,churn --seed 5 -o g.xml",
                                     d.path());
    REQUIRE(p.code == 0);
    CHECK(fs::exists(d.path() / "g.trace"));
    p = testutil::run_edgetrain("validate g.xml", d.path());
    CHECK(p.code == 0);
    CHECK(p.out.find("41 hosts") != std::string::npos);
    CHECK(p.out.find("aggregator aggregator, 40 trainers") != std::string::npos);
    d.write("s.toml", "[platform]\nfile = \"g.xml\"\n[training]\nmax_rounds = 2\nround_timeout_s = 60\n");
    p = testutil::run_edgetrain("run s.toml --out o --no-progress", d.path());
    CHECK(p.code == 0);
    CHECK(testutil::read(d.path() / "o/summary.json").find("\"rounds\": 2") != std::string::npos);
  }
}

TEST_CASE("generate: node counts follow the mix by largest remainder") {
  // 10 x 0.25 = 2.5 and 10 x 0.75 = 7.5: 2 and 7, and the one left goes to the first tie: 3 and 7.
  TempDir d;
  REQUIRE(
      testutil::run_edgetrain("platform generate --nodes 10 --mix rpi4:0.25,laptop:0.75 -o g.xml", d.path())
          .code == 0);
  const Proc p = testutil::run_edgetrain("validate g.xml", d.path());
  CHECK(p.out.find("\nrpi4                      3") != std::string::npos);
  CHECK(p.out.find("\nlaptop                    7") != std::string::npos);
  // WiFi stations: the generator sets each one's own rate (250, 77 or 24 Mbit/s).
  CHECK(p.out.find("24.0..250.0") != std::string::npos);
  // Host power as SimGrid reads it, Idle:Epsilon:AllCores: a Pi 4 at 1.5 GHz idles at 2.8 W, draws
  // 6.4 W on all 4 cores and 4.06 W on one (catalog), so Epsilon = (4 x 4.06 - 6.4) / 3 = 3.28 W.
  CHECK(testutil::read(d.path() / "g.xml").find("value=\"2.8:3.28:6.4, ") != std::string::npos);
}

TEST_CASE("generate: same seed same files") {
  TempDir d;
  const std::string cmd =
      "platform generate --nodes 30 " + kMix + " --topology cells --cells 2 --traces speed,diurnal --seed 9";
  REQUIRE(testutil::run_edgetrain(cmd + " -o a.xml", d.path()).code == 0);
  REQUIRE(testutil::run_edgetrain(cmd + " -o b.xml", d.path()).code == 0);
  std::string a = testutil::read(d.path() / "a.xml"), b = testutil::read(d.path() / "b.xml");
  a.replace(a.find("a.trace"), 7, "b.trace");
  CHECK(a == b);
  CHECK(testutil::read(d.path() / "a.trace") == testutil::read(d.path() / "b.trace"));
}

TEST_CASE("generate error: bad options write nothing") {
  TempDir d;
  const auto bad = [&](const std::string& args, const std::string& message) {
    const Proc p = testutil::run_edgetrain("platform generate " + args + " -o g.xml", d.path());
    CHECK_MESSAGE(p.code == 2, args);
    CHECK_MESSAGE(p.err.find(message) != std::string::npos, p.err);
    CHECK_FALSE(fs::exists(d.path() / "g.xml"));
    CHECK_FALSE(fs::exists(d.path() / "g.trace"));
  };
  bad("--nodes 10 --mix rpi4:0.5,laptop:0.4", "error: --mix: fractions sum to 0.9, not 1");
  bad("--nodes 10 --mix rpi:1", "error: --mix: no device class 'rpi'");
  bad("--nodes 10 --mix rpi4:one", "'rpi4:one' is not CLASS:FRACTION");
  bad("--nodes 10 --mix rpi4:1.5", "a fraction is in (0, 1]");
  bad("--nodes 0 --mix rpi4:1", "error: --nodes: 0 is not in [1, 10000000]");
  bad("--nodes 10 --mix rpi4:1 --topology ring",
      "error: --topology: 'ring' is not one of: star, cells, edge-cloud");
  bad("--nodes 10 --mix rpi4:1 --topology cells --cells 11", "error: --cells: 11 is not in [1, --nodes]");
  bad("--nodes 10 --mix rpi4:1 --traces weather", "error: --traces: 'weather' is not one of");
  bad("--nodes 10 --mix rpi4:1 --traces speed --speed-mean 0", "error: --speed-mean: must be in [0.06, 1]");
  bad("--nodes 10 --mix rpi4:1 --traces churn --horizon 1e308",
      "error: --horizon: must be between 1 s and a year");
  bad("--nodes 10 --mix rpi4:1 --traces churn --mtbf 1e-300", "error: --mtbf/--mttr");
  bad("--nodes 10 --mix rpi4:1 --traces speed --speed-changes-per-hour 1e12", "must be in (0, 3600]");
}

TEST_CASE("import-availability: intervals become state sections") {
  TempDir d;
  d.write("a.csv", "client,start_s,end_s\np1,0,100\np1,100,250\np1,400,500\np2,50,60\n");
  REQUIRE(testutil::run_edgetrain("platform import-availability a.csv -o a.trace", d.path()).code == 0);
  const std::string t = testutil::read(d.path() / "a.trace");
  // p1: on from 0, the back-to-back interval continues it, off at 250, on 400 to 500; p2 off until 50.
  CHECK(t.find("[host p1 state]\n0 1\n250 0\n400 1\n500 0\n") != std::string::npos);
  CHECK(t.find("[host p2 state]\n0 0\n50 1\n60 0\n") != std::string::npos);
  d.write("b.csv", "p1,0,100\np1,50,120\n");
  const Proc p = testutil::run_edgetrain("platform import-availability b.csv -o b.trace", d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("error: b.csv:2: interval of 'p1' starts at 50, before its previous one ends") == 0);
  CHECK_FALSE(fs::exists(d.path() / "b.trace"));
}

TEST_CASE("examples: every scenario in configs runs and every platform validates") {
  for (const auto& e : fs::directory_iterator(testutil::source_dir() / "configs")) {
    if (e.path().extension() != ".toml") continue; // calibration/ holds fragments, not scenarios
    CAPTURE(e.path().string());
    TempDir d;
    const Proc p = testutil::run_edgetrain(
        "run '" + e.path().string() + "' --out o --no-progress --set training.max_rounds=3", d.path());
    CHECK(p.code == 0);
  }
  for (const auto& e : fs::directory_iterator(testutil::source_dir() / "platforms")) {
    if (e.path().extension() != ".xml") continue;
    CAPTURE(e.path().string());
    TempDir d;
    CHECK(testutil::run_edgetrain("validate '" + e.path().string() + "'", d.path()).code == 0);
  }
}

namespace {
// A short FedAvg run on a platform body wrapped in a zone of the given routing.
void runs(const std::string& xml) {
  TempDir d;
  d.write("p.xml", xml);
  d.write("s.toml", "[platform]\nfile = \"p.xml\"\n[training]\nmax_rounds = 2\n");
  const Proc p = testutil::run_edgetrain("run s.toml --out o --no-progress", d.path());
  CHECK_MESSAGE(p.code == 0, p.err);
  CHECK(testutil::read(d.path() / "o/summary.json").find("\"rounds\": 2") != std::string::npos);
}
const char* kHead = "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM "
                    "\"https://simgrid.org/simgrid.dtd\">\n<platform version=\"4.1\">\n";
// An aggregator in a zone of its own, behind a fast unmetered NIC without latency; the world zone
// is left open for the trainers.
const char* kSite = R"(<zone id="world" routing="Full">
  <zone id="site" routing="Full">
    <host id="agg" speed="2Gf"><prop id="role" value="aggregator"/></host>
    <router id="gw"/>
    <link id="nic" bandwidth="1GBps" latency="0"/>
    <route src="agg" dst="gw"><link_ctn id="nic"/></route>
  </zone>)";
const char* kHosts = R"(
  <host id="agg" speed="4Gf" core="4"><prop id="role" value="aggregator"/><prop id="wattage_per_state" value="20:30:60"/></host>
  <host id="a" speed="1Gf,0.5Gf" core="2"><prop id="wattage_per_state" value="2:3:5, 1.5:2:3"/></host>
  <host id="b" speed="2Gf"/>
  <link id="la" bandwidth="10MBps" latency="5ms"><prop id="wattage_range" value="1:2"/></link>
  <link id="lb" bandwidth="20MBps" latency="5ms"/>
  <link id="lagg" bandwidth="100MBps" latency="1ms"/>
)";
} // namespace

TEST_CASE("zones: platforms in Full Floyd cluster and WiFi styles run FedAvg") {
  // Each trainer directly linked to the aggregator: the graph zones (Floyd, Dijkstra) route it.
  const std::string routes = R"(
  <route src="a" dst="agg"><link_ctn id="la"/><link_ctn id="lagg"/></route>
  <route src="b" dst="agg"><link_ctn id="lb"/><link_ctn id="lagg"/></route>
)";
  runs(std::string(kHead) + "<zone id=\"z\" routing=\"Full\">" + kHosts + R"(
  <route src="a" dst="agg"><link_ctn id="la"/><link_ctn id="lagg"/></route>
  <route src="b" dst="agg"><link_ctn id="lb"/><link_ctn id="lagg"/></route>
</zone></platform>)");
  runs(std::string(kHead) + "<zone id=\"z\" routing=\"Floyd\">" + kHosts + routes + "</zone></platform>");
  // The graph zones route after the platform is sealed: Dijkstra and DijkstraCache find the same
  // routes as Floyd, so the same rounds (a route probed before sealing looked missing).
  const auto rounds_of = [&](const std::string& routing) {
    TempDir d;
    d.write("p.xml", std::string(kHead) + "<zone id=\"z\" routing=\"" + routing + "\">" + kHosts + routes +
                         "</zone></platform>");
    d.write("s.toml", "[platform]\nfile = \"p.xml\"\n[training]\nmax_rounds = 2\n");
    const Proc p = testutil::run_edgetrain("run s.toml --out o --no-progress", d.path());
    CHECK_MESSAGE(p.code == 0, p.err);
    return testutil::read(d.path() / "o/rounds.csv");
  };
  const std::string floyd = rounds_of("Floyd");
  CHECK(floyd.find("\n2,") != std::string::npos);
  for (const std::string routing : {"Dijkstra", "DijkstraCache"}) {
    CAPTURE(routing);
    CHECK(rounds_of(routing) == floyd);
  }
  // A cluster of multi-core hosts with power, and an aggregator in a zone of its own.
  runs(std::string(kHead) + kSite + R"(
  <cluster id="c" prefix="n-" suffix="" radical="0-5" speed="1Gf,0.5Gf" core="4" bw="10MBps" lat="1ms" bb_bw="100MBps" bb_lat="0">
    <prop id="role" value="trainer"/><prop id="wattage_per_state" value="2:3:6, 1:2:3"/>
  </cluster>
  <link id="up" bandwidth="100MBps" latency="2ms"/>
  <zoneRoute src="c" dst="site" gw_src="n-c_router" gw_dst="gw"><link_ctn id="up"/></zoneRoute>
</zone></platform>)");
  // The WiFi cell of the examples (a real WIFI zone).
  runs(testutil::read(testutil::source_dir() / "platforms/wifi-cell.xml"));
}

TEST_CASE("generate error: catalog mistakes and unwritable outputs") {
  TempDir d;
  std::string catalog = testutil::read(testutil::source_dir() / "platforms/catalog.toml");
  const std::string anchor = "up_watts = \"0:3.92\"";
  REQUIRE(catalog.find(anchor) != std::string::npos);
  catalog.replace(catalog.find(anchor), anchor.size(), "up_watts = \"5:1\"");
  d.write("c.toml", catalog);
  Proc p = testutil::run_edgetrain("platform generate --nodes 10 --mix phone-mid:1 --catalog c.toml -o g.xml",
                                   d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("network.lte.up_watts: '5:1' is not idle:busy watts") != std::string::npos);
  CHECK_FALSE(fs::exists(d.path() / "g.xml"));
  fs::create_directories(d.path() / "dir.xml");
  p = testutil::run_edgetrain("platform generate --nodes 10 --mix rpi4:1 -o dir.xml", d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("dir.xml: is a folder") != std::string::npos);
  p = testutil::run_edgetrain("platform generate --nodes 10 --mix rpi4:1 -o /proc/g.xml", d.path());
  CHECK(p.code == 2);
}

TEST_CASE("import-availability error: empty files and client names the trace format cannot hold") {
  TempDir d;
  d.write("empty.csv", "client,start_s,end_s\n");
  Proc p = testutil::run_edgetrain("platform import-availability empty.csv -o a.trace", d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("no availability interval") != std::string::npos);
  d.write("names.csv", "x y,0,10\n");
  p = testutil::run_edgetrain("platform import-availability names.csv -o a.trace", d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("names.csv:1: client 'x y' is not a host name") != std::string::npos);
  p = testutil::run_edgetrain("platform import-availability . -o a.trace", d.path());
  CHECK(p.code == 2);
  CHECK_FALSE(fs::exists(d.path() / "a.trace"));
}

namespace {
// A number field of summary.json ("energy_network_j": 1.5); NaN when absent.
double summary_number(const fs::path& run, const std::string& key) {
  const std::string s = testutil::read(run / "summary.json");
  const std::size_t at = s.find("\"" + key + "\": ");
  return at == std::string::npos ? std::nan("") : std::stod(s.substr(at + key.size() + 4));
}
} // namespace

TEST_CASE("generate: every link and host of a generated platform has power figures") {
  // Every network kind: WiFi (rpi4, jetson-nano), LTE (phone-mid), 5G (phone-flagship), wired
  // 10 GbE (edge-server as a trainer).
  for (const char* topology : {"star", "cells", "edge-cloud"}) {
    CAPTURE(topology);
    TempDir d;
    REQUIRE(testutil::run_edgetrain(std::string("platform generate --nodes 10 --mix rpi4:0.3,jetson-nano:0.1,"
                                                "phone-mid:0.3,phone-flagship:0.2,edge-server:0.1 --cells 2 "
                                                "--topology ") +
                                        topology + " -o g.xml",
                                    d.path())
                .code == 0);
    d.write("s.toml", "[platform]\nfile = \"g.xml\"\n[training]\nmax_rounds = 1\n");
    const Proc p = testutil::run_edgetrain("run s.toml --out o --no-progress", d.path());
    REQUIRE_MESSAGE(p.code == 0, p.err);
    const std::string s = testutil::read(d.path() / "o/summary.json");
    CHECK(s.find("\"energy_complete\": true") != std::string::npos);
    CHECK(s.find("\"links_energy_unknown\": 0,") != std::string::npos);
    CHECK(s.find("\"hosts_energy_unknown\": 0,") != std::string::npos);
    CHECK(p.err.find("no wattage_range") == std::string::npos);
  }
}

TEST_CASE("generate: a cluster's link power lands on its backbone and its hosts' own link halves") {
  // One trainer in a cluster: private link 10 MB/s, 10 ms, split up and down; backbone 10 MB/s;
  // the site's NIC and the access link are faster and unmetered. The conventions give the up half
  // 0:5 W, the down half 0:7 W, the backbone 1:3 W. CM02 without crosstraffic: a transfer takes
  // latency + S / 10 MB/s, and every metered link on its path is fully busy for all of it.
  TempDir d;
  d.write("p.xml", std::string(kHead) + kSite + R"(
  <cluster id="c" prefix="n-" suffix="" radical="0-0" speed="1Gf" bw="10MBps" lat="10ms" bb_bw="10MBps" bb_lat="0" sharing_policy="SPLITDUPLEX">
    <prop id="role" value="trainer"/><prop id="wattage_per_state" value="1:2"/>
    <prop id="uplink_watts" value="0:5"/><prop id="downlink_watts" value="0:7"/><prop id="bb_wattage_range" value="1:3"/>
  </cluster>
  <link id="access" bandwidth="1GBps" latency="0"/>
  <zoneRoute src="c" dst="site" gw_src="n-c_router" gw_dst="gw"><link_ctn id="access"/></zoneRoute>
</zone></platform>)");
  d.write("s.toml", "[platform]\nfile = \"p.xml\"\nsimgrid_cfg = [\"network/model:CM02\", "
                    "\"network/crosstraffic:0\"]\n[training]\nlocal_steps = 2\nbatch = 4\nmax_rounds = 1\n");
  const Proc p = testutil::run_edgetrain("run s.toml --out o --no-progress", d.path());
  REQUIRE_MESSAGE(p.code == 0, p.err);
  const double transfer = 0.010 + 61706.0 * 4 / 1e7;                     // LeNet-5, float32
  const double round = 2 * transfer + 8 * 2263920.0 / 1e9 + 2 * 61706.0 / 2e9; // + compute + aggregation
  CHECK(summary_number(d.path() / "o", "sim_time_s") == doctest::Approx(round).epsilon(1e-9));
  // Backbone: 1 W all round, +2 W during both transfers; up half 5 W during the upload, down half 7 W
  // during the download.
  CHECK(summary_number(d.path() / "o", "energy_network_j") ==
        doctest::Approx(1 * round + 2 * 2 * transfer + 5 * transfer + 7 * transfer).epsilon(1e-9));
  // nic and access carry nothing: 2 links unknown.
  CHECK(summary_number(d.path() / "o", "links_energy_unknown") == 2);
}

TEST_CASE("examples: on every shipped platform only WiFi links may lack power figures") {
  // The links edgetrain cannot meter are named in the run's warning. Only WIFI links (whose energy
  // the wifi plugin keeps private in SimGrid 3.32) may be among them; once those are metered the
  // warning goes and links_energy_unknown must be 0.
  for (const auto& e : fs::directory_iterator(testutil::source_dir() / "platforms")) {
    if (e.path().extension() != ".xml") continue;
    CAPTURE(e.path().string());
    const std::string xml = testutil::read(e.path());
    TempDir d;
    d.write("s.toml", "[platform]\nfile = \"" + e.path().string() +
                          "\"\n[training]\nmax_rounds = 1\nround_timeout_s = 120\n");
    const Proc p = testutil::run_edgetrain("run s.toml --out o --no-progress", d.path());
    REQUIRE_MESSAGE(p.code == 0, p.err);
    const double unknown = summary_number(d.path() / "o", "links_energy_unknown");
    const std::size_t at = p.err.find(" link(s) (");
    if (unknown == 0) {
      CHECK(at == std::string::npos);
      continue;
    }
    REQUIRE(at != std::string::npos);
    const std::size_t open = at + 10, close = p.err.find(") carry", open);
    const std::string names = p.err.substr(open, close - open);
    CHECK_MESSAGE(names.find(" more") == std::string::npos, names); // all named: a few WiFi links
    int wifi = 0;
    std::stringstream list(names);
    for (std::string name; std::getline(list, name, ',');) {
      name.erase(0, name.find_first_not_of(' '));
      const std::size_t link = xml.find("<link id=\"" + name + "\"");
      REQUIRE_MESSAGE(link != std::string::npos, name);
      const std::string tag = xml.substr(link, xml.find('>', link) - link);
      CHECK_MESSAGE(tag.find("sharing_policy=\"WIFI\"") != std::string::npos, name << " has no power figures");
      ++wifi;
    }
    CHECK(unknown == wifi);
  }
}
