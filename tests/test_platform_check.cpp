// SimGrid value parsing used by the platform check.
#include "simulator/platform/platform.hpp"
#include "simulator/platform/platform_check.hpp"

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

TEST_CASE("platform: natural order of host names") {
  CHECK(natural_less("rpi-2", "rpi-10"));
  CHECK_FALSE(natural_less("rpi-10", "rpi-2"));
  CHECK(natural_less("a", "b"));
  CHECK(natural_less("node-01", "node-2"));
}
