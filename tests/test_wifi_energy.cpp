// WiFi link energy (platform/wifi_energy) against SimGrid's own wifi energy plugin, which only logs
// its figure when the link is destroyed, and against joules worked out by hand from the plugin's
// formula (src/plugins/link_energy_wifi.cpp, LinkEnergyWifi::update).
#include "simulator/engine/simulation.hpp"
#include "simulator/platform/wifi_energy.hpp"

#include "test_util.hpp"
#include <simgrid/s4u/Link.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <regex>

using namespace edgetrain;
using testutil::TempDir;

namespace {

// "Link wifi-ap destroyed, consumed: X J" of one log category, in a run's stderr.
double destroyed_j(const std::string& err, const std::string& category) {
  const std::regex line("\\[" + category + "/INFO\\] Link wifi-ap destroyed, consumed: ([0-9.e+-]+) J");
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_search(err, m, line), err);
  return std::stod(m[1]);
}

// Runs a scenario with both log lines on; checks our end-of-run figure against the plugin's.
void check_against_plugin(const TempDir& dir, const std::string& args) {
  const auto p = testutil::run_edgetrain(
      "run " + args + " --out out --log=link_energy_wifi.thres:info --log=edgetrain_wifi_energy.thres:info",
      dir.path());
  REQUIRE_MESSAGE(p.code == 0, p.err);
  const double plugin = destroyed_j(p.err, "link_energy_wifi"); // printed with %f
  const double ours = destroyed_j(p.err, "edgetrain_wifi_energy");
  CHECK(plugin > 1); // six decimals are then within 1e-6 relative
  CHECK(ours == doctest::Approx(plugin).epsilon(1e-6));
  // Metered: not among the links whose energy is unknown.
  CHECK_FALSE(std::regex_search(p.err, std::regex("\\(.*wifi-ap.*\\) carry no power figures")));
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

} // namespace

TEST_CASE("wifi energy: wifi-cell's WiFi total equals the plugin's") {
  TempDir dir;
  check_against_plugin(dir, "'" + (testutil::source_dir() / "configs" / "wifi-cell.toml").string() + "'");
}

TEST_CASE("wifi energy: quickstart's WiFi total equals the plugin's") {
  TempDir dir;
  check_against_plugin(dir, "'" + testutil::quickstart() + "'");
}

TEST_CASE("wifi energy: idle watts, beacons and trainers cut mid-transfer match the plugin too") {
  // wifi-cell's figures are increments over idle (idle 0): here whole radios, ns-3's defaults,
  // more beacon time, and a round timeout that stops trainers while they send.
  TempDir dir;
  const auto src = testutil::source_dir();
  std::string xml = testutil::read(src / "platforms" / "wifi-cell.xml");
  xml = replaced(xml, "value=\"0:0.32:0.12:0\"", "value=\"0.82:1.14:0.94:0.10\"");
  xml = replaced(xml, "id=\"control_duration\" value=\"0.0036\"", "id=\"control_duration\" value=\"0.05\"");
  dir.write("cell.xml", xml);
  dir.write("s.toml", replaced(testutil::read(src / "configs" / "wifi-cell.toml"),
                               "file = \"../platforms/wifi-cell.xml\"", "file = \"cell.xml\""));
  check_against_plugin(dir, "s.toml --set training.round_timeout_s=3.3 --set training.max_rounds=5");
}

TEST_CASE("wifi energy: rounds are charged the plugin's joules, worked out by hand") {
  // Two stations at rate 2^21 B/s behind one access point; the aggregator beyond a wired link.
  // CM02 without crosstraffic: both stations' transfers share the medium, each at 2^20 B/s (a
  // flow's weight on a WIFI link is 1 / its station's rate). Powers of two keep every time exact.
  TempDir dir;
  dir.write("p.xml", R"(<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
<zone id="world" routing="Full">
  <zone id="cell" routing="Wifi">
    <prop id="access_point" value="ap"/>
    <host id="t1" speed="1073741824f"><prop id="wifi_rate" value="0"/></host>
    <host id="t2" speed="1073741824f"><prop id="wifi_rate" value="0"/></host>
    <router id="ap"/>
    <link id="air" sharing_policy="WIFI" bandwidth="2097152Bps" latency="0">
      <prop id="wifi_watt_values" value="0.5:2:1:0.1"/>
      <prop id="control_duration" value="0.01"/>
    </link>
  </zone>
  <zone id="edge" routing="Full">
    <host id="agg" speed="1073741824f"><prop id="role" value="aggregator"/></host>
    <router id="gw"/>
    <link id="nic" bandwidth="1GBps" latency="0"><prop id="wattage_range" value="0:0"/></link>
    <route src="agg" dst="gw"><link_ctn id="nic"/></route>
  </zone>
  <link id="lan" bandwidth="1GBps" latency="0"><prop id="wattage_range" value="0:0"/></link>
  <zoneRoute src="cell" dst="edge" gw_src="ap" gw_dst="gw"><link_ctn id="lan"/></zoneRoute>
</zone>
</platform>
)");
  const auto f = dir.write("s.toml", "[platform]\nfile = \"p.xml\"\n"
                                     "simgrid_cfg = [\"network/model:CM02\", \"network/crosstraffic:0\"]\n"
                                     "[training]\nlocal_steps = 2\nbatch = 4\nmax_rounds = 3\n");
  Simulation sim(load_scenario(f), {}, false);
  struct Capture final : RunObserver {
    std::vector<RoundOutcome> outcomes;
    void on_round(const RoundRecord&, const RoundOutcome& o, const std::vector<NodeView>&) override {
      outcomes.push_back(o);
    }
  } cap;
  sim.run({&cap});
  REQUIRE(cap.outcomes.size() == 3);

  const double bytes = 61706.0 * 4;                      // LeNet-5, float32, down and up
  const double air = bytes / 1048576;                    // D: both transfers on air at 2^20 B/s
  const double compute = 8 * 2263920.0 / 1073741824;     // 8 samples of LeNet-5 on one core
  const double aggregate = 2 * 2 * 61706.0 / 1073741824; // 2 FLOPs a parameter, 2 updates
  const double round = 2 * air + compute + aggregate;
  // The plugin, H = 2 stations, idle 0.5 W, tx 2 W, rx 1 W, control_duration 0.01:
  // - beacons over the whole round: round x 0.01 x H x rx;
  // - each transfer phase (down, up), the two flows on air for D: D x (H x rx + tx), no static part;
  // - computing and aggregating, idle: (compute + aggregate) x (1 - 0.01) x idle x (H + 1).
  const double per_round =
      round * 0.01 * 2 * 1 + 2 * air * (2 * 1 + 2) + (compute + aggregate) * 0.99 * 0.5 * 3;
  for (const RoundOutcome& o : cap.outcomes) {
    CHECK(o.end_s - o.start_s == doctest::Approx(round).epsilon(1e-12));
    CHECK(o.energy_network_j == doctest::Approx(per_round).epsilon(1e-9));
  }
  const auto* link = simgrid::s4u::Link::by_name("air");
  CHECK(wifi_energy::metered(link));
  CHECK(wifi_energy::link_consumed_j(link) == doctest::Approx(3 * per_round).epsilon(1e-9));
  // Planners' figures: idle 0.01 x H x rx + 0.99 x idle x (H + 1), on air H x rx + tx - idle x (H + 1).
  CHECK(wifi_energy::idle_w(link) == doctest::Approx(0.01 * 2 + 0.99 * 0.5 * 3));
  CHECK(wifi_energy::airtime_w(link) == doctest::Approx(2 + 2 - 0.5 * 3));
}

TEST_CASE("wifi energy: a malformed WiFi power property is an error naming the file and link") {
  TempDir dir;
  std::string xml = testutil::read(testutil::source_dir() / "platforms" / "wifi-cell.xml");
  dir.write("p.xml", replaced(xml, "value=\"0:0.32:0.12:0\"", "value=\"0:0.32:0.12\""));
  auto p = testutil::run_edgetrain("validate p.xml", dir.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("error: p.xml:") != std::string::npos);
  CHECK(p.err.find("link 'wifi-ap': property wifi_watt_values '0:0.32:0.12' must be idle:tx:rx:sleep") !=
        std::string::npos);
  dir.write("p.xml", replaced(xml, "value=\"0.0036\"", "value=\"1.5\""));
  p = testutil::run_edgetrain("validate p.xml", dir.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("link 'wifi-ap': property control_duration '1.5'") != std::string::npos);
}

TEST_CASE("wifi energy: the properties are read as the plugin reads them, its defaults when absent") {
  const wifi_energy::Power d = wifi_energy::read_power(nullptr, nullptr);
  CHECK(d.idle == 0.82);
  CHECK(d.tx == 1.14);
  CHECK(d.rx == 0.94);
  CHECK(d.sleep == 0.10);
  CHECK(d.control_duration == 0.0036);
  const wifi_energy::Power p = wifi_energy::read_power("1:2:3:4", "0.5");
  CHECK(p.idle == 1);
  CHECK(p.tx == 2);
  CHECK(p.rx == 3);
  CHECK(p.sleep == 4);
  CHECK(p.control_duration == 0.5);
  CHECK_THROWS_AS(wifi_energy::read_power("1:2:3:4W", nullptr), std::invalid_argument);
  CHECK_THROWS_AS(wifi_energy::read_power("1:2:3:nan", nullptr), std::invalid_argument);
  CHECK_THROWS_AS(wifi_energy::read_power(nullptr, "-0.1"), std::invalid_argument);
}
