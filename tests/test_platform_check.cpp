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
