// SimGrid value parsing used by the platform check.
#include "simulator/platform/platform.hpp"
#include "simulator/platform/platform_check.hpp"

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace edgetrain;

TEST_CASE("platform check: bandwidth units as SimGrid writes them") {
  CHECK(parse_bandwidth("54Mbps") == doctest::Approx(54e6 / 8));
  CHECK(parse_bandwidth("10MBps") == doctest::Approx(10e6));
  CHECK(parse_bandwidth("1GiBps") == doctest::Approx(1073741824.0));
  CHECK(parse_bandwidth("125kBps") == doctest::Approx(125e3));
  CHECK(parse_bandwidth("800bps") == doctest::Approx(100.0));
  CHECK(parse_bandwidth("1e6") == doctest::Approx(1e6));
  CHECK(std::isnan(parse_bandwidth("fast")));
  CHECK(std::isnan(parse_bandwidth("10Xbps")));
}

TEST_CASE("platform check: wattage lists") {
  std::vector<double> idle, busy;
  parse_wattage("100:120:200, 90:100:150", 2, idle, busy);
  CHECK(idle == std::vector<double>{100, 90});
  CHECK(busy == std::vector<double>{200, 150});
  parse_wattage("2.8:6.4", 1, idle, busy); // idle:busy form
  CHECK(busy == std::vector<double>{6.4});
  CHECK_THROWS_AS(parse_wattage("1:2", 2, idle, busy), std::invalid_argument);
  CHECK_THROWS_AS(parse_wattage("1:2:3:4", 1, idle, busy), std::invalid_argument);
  CHECK_THROWS_AS(parse_wattage("", 1, idle, busy), std::invalid_argument);
  CHECK_THROWS_AS(parse_wattage("a:b", 1, idle, busy), std::invalid_argument);
  CHECK_THROWS_AS(parse_wattage("-1:2", 1, idle, busy), std::invalid_argument);
}

TEST_CASE("platform check: wattage lists as SimGrid reads them, Idle:Epsilon:AllCores") {
  std::vector<double> idle, busy;
  // Epsilon is an intercept: below Idle is allowed (SimGrid checks no order at all).
  parse_wattage("10:5:20", 1, idle, busy);
  CHECK(idle == std::vector<double>{10});
  CHECK(busy == std::vector<double>{20});
  // Epsilon above AllCores: power would fall as cores get busy.
  CHECK_THROWS_WITH_AS(parse_wattage("10:30:20", 1, idle, busy), doctest::Contains("Epsilon above AllCores"),
                       std::invalid_argument);
  // SimGrid throws on a figure followed by anything (a space too) and aborts on an empty entry.
  CHECK_THROWS_AS(parse_wattage("10 :15:20", 1, idle, busy), std::invalid_argument);
  CHECK_THROWS_AS(parse_wattage("10:15:20,", 1, idle, busy), std::invalid_argument);
  CHECK_THROWS_AS(parse_wattage("10:15:", 1, idle, busy), std::invalid_argument);
  parse_wattage("10:15:20, 5:6:8", 2, idle, busy); // a space after the comma is SimGrid's own style
  CHECK(idle == std::vector<double>{10, 5});
}

TEST_CASE("platform check error: malformed link power, on a link or a cluster, exits 2 naming it") {
  const auto validate = [](const std::string& body) {
    testutil::TempDir d;
    d.write("p.xml", "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
                     "<platform version=\"4.1\">\n<zone id=\"w\" routing=\"Full\">\n"
                     "  <host id=\"agg\" speed=\"1Gf\"><prop id=\"role\" value=\"aggregator\"/></host>\n" +
                         body + "</zone></platform>\n");
    return testutil::run_edgetrain("validate p.xml", d.path());
  };
  const std::string cluster_head = R"(  <cluster id="c" prefix="n-" suffix="" radical="0-1" speed="1Gf" bw="1MBps" lat="1ms")";
  const std::string cluster_tail = R"(</cluster>
  <link id="up" bandwidth="1MBps" latency="1ms"/>
  <zoneRoute src="c" dst="agg" gw_src="n-c_router" gw_dst="agg"><link_ctn id="up"/></zoneRoute>
)";
  struct {
    std::string body, message;
  } cases[] = {
      // SimGrid 3.32 would abort on the empty entry after the ',' at the link's first transfer.
      {"  <link id=\"l\" bandwidth=\"1MBps\" latency=\"1ms\"><prop id=\"wattage_range\" value=\"1:2,\"/></link>\n",
       "error: p.xml:6: link 'l': property wattage_range '1:2,' must be idle:busy, two numbers >= 0"},
      {"  <link id=\"l\" bandwidth=\"1MBps\" latency=\"1ms\"><prop id=\"wattage_range\" value=\"3:1\"/></link>\n",
       "error: p.xml:6: link 'l': property wattage_range '3:1': idle power above busy power"},
      {cluster_head + R"( bb_bw="1MBps"><prop id="bb_wattage_range" value="1;2"/>)" + cluster_tail,
       "error: p.xml:6: cluster 'c': property bb_wattage_range '1;2' must be idle:busy, two numbers >= 0"},
      {cluster_head + R"(><prop id="bb_wattage_range" value="1:2"/>)" + cluster_tail,
       "error: p.xml:6: cluster 'c': property bb_wattage_range, but the cluster has no backbone (no bb_bw)"},
      {cluster_head + R"( bb_bw="1MBps"><prop id="uplink_watts" value="x:2"/>)" + cluster_tail,
       "error: p.xml:6: cluster 'c': property uplink_watts 'x:2' must be idle:busy, two numbers >= 0"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    const testutil::Proc p = validate(c.body);
    CHECK(p.code == 2);
    CHECK_MESSAGE(p.err.find(c.message) == 0, p.err);
  }
}

TEST_CASE("platform: natural order of host names") {
  CHECK(natural_less("rpi-2", "rpi-10"));
  CHECK_FALSE(natural_less("rpi-10", "rpi-2"));
  CHECK(natural_less("a", "b"));
  CHECK(natural_less("node-01", "node-2"));
}

TEST_CASE("platform check: link power figures found wherever they are given, or none") {
  testutil::TempDir d;
  const auto scan = [&](const std::string& inside) {
    const auto f = d.write("p.xml", "<?xml version='1.0'?>\n<platform version=\"4.1\">\n<zone id=\"z\" routing=\"Full\">\n" +
                                        inside + "</zone>\n</platform>\n");
    return check_platform_file(f, "p.xml");
  };
  const std::string hosts = "<host id=\"a\" speed=\"1Gf\"/><host id=\"b\" speed=\"1Gf\"/>\n";
  const std::string route = "<route src=\"a\" dst=\"b\"><link_ctn id=\"l\"/></route>\n";
  CHECK_FALSE(scan(hosts + "<link id=\"l\" bandwidth=\"1MBps\" latency=\"0\"/>\n" + route).link_watts);
  CHECK(scan(hosts + "<link id=\"l\" bandwidth=\"1MBps\" latency=\"0\"><prop id=\"wattage_range\" "
                     "value=\"1:2\"/></link>\n" + route)
            .link_watts);
  CHECK(scan("<host id=\"a\" speed=\"1Gf\"><prop id=\"uplink_watts\" value=\"1:2\"/></host><host id=\"b\" "
             "speed=\"1Gf\"/>\n<link id=\"l\" bandwidth=\"1MBps\" latency=\"0\"/>\n" + route)
            .link_watts);
  CHECK(scan("<host id=\"a\" speed=\"1Gf\"><prop id=\"downlink_watts\" value=\"1:2\"/></host><host id=\"b\" "
             "speed=\"1Gf\"/>\n<link id=\"l\" bandwidth=\"1MBps\" latency=\"0\"/>\n" + route)
            .link_watts);
  const auto cluster = [&](const std::string& prop) {
    const auto f = d.write("c.xml", "<?xml version='1.0'?>\n<platform version=\"4.1\">\n<cluster id=\"c\" prefix=\"n-\" "
                                    "suffix=\"\" radical=\"0-3\" speed=\"1Gf\" bw=\"1MBps\" lat=\"0\" bb_bw=\"2MBps\" "
                                    "bb_lat=\"0\">" + prop + "</cluster>\n</platform>\n");
    return check_platform_file(f, "c.xml").link_watts;
  };
  CHECK_FALSE(cluster("<prop id=\"wattage_per_state\" value=\"1:2\"/>"));
  CHECK(cluster("<prop id=\"bb_wattage_range\" value=\"1:2\"/>"));
  CHECK(cluster("<prop id=\"uplink_watts\" value=\"1:2\"/>"));
  // The shipped quickstart meters its links.
  CHECK(check_platform_file(testutil::source_dir() / "platforms/quickstart.xml", "q").link_watts);
}
