// The trace format: what it accepts, and every mistake named with its line.
#include "simulator/common/error.hpp"
#include "simulator/platform/traces.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

using namespace edgetrain;

namespace {
std::string error_of(const std::string& text) {
  testutil::TempDir d;
  const auto f = d.write("x.trace", text);
  try {
    read_traces(f, "x.trace");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
} // namespace

TEST_CASE("traces: sections with comments and a loop read back as written") {
  testutil::TempDir d;
  const auto f = d.write("x.trace", "# phone availability\n[host p1 state]\n0 1\n1800 0  # off at 30 min\n"
                                    "\n[link wan bandwidth]\n0 1\n10 0.25\nloop 60\n");
  const auto t = read_traces(f, "x.trace");
  REQUIRE(t.size() == 2);
  CHECK(t[0].resource == "host");
  CHECK(t[0].name == "p1");
  CHECK(t[0].kind == "state");
  CHECK(t[0].points == std::vector<std::pair<double, double>>{{0, 1}, {1800, 0}});
  CHECK(t[0].loop == -1);
  CHECK(t[1].points[1] == std::pair<double, double>{10, 0.25});
  CHECK(t[1].loop == 60);
  CHECK(t[0].where == "x.trace:2");
  CHECK(format_traces(t) == "[host p1 state]\n0 1\n1800 0\n[link wan bandwidth]\n0 1\n10 0.25\nloop 60\n");
}

TEST_CASE("traces error: each mistake with its line") {
  CHECK(error_of("[host a speed]\n0 1\n5 0.5\n3 0.7\n") ==
        "x.trace:4: time 3 does not come after the previous time 5");
  CHECK(error_of("[host a speed]\n-1 1\n") == "x.trace:2: time -1 is negative");
  CHECK(error_of("[host a speed]\n0 1.5\n") ==
        "x.trace:2: speed is a fraction of the nominal value in [1e-6, 1], got 1.5");
  CHECK(error_of("[host a speed]\n0 -0.5\n").find("x.trace:2: speed is a fraction") == 0);
  CHECK(error_of("[host a state]\n0 2\n") == "x.trace:2: state must be 0 (off) or 1 (on), got 2");
  CHECK(error_of("[host a speed]\n0 one\n") == "x.trace:2: expected: TIME VALUE (two numbers)");
  CHECK(error_of("0 1\n") == "x.trace:1: values before any [host NAME KIND] section header");
  CHECK(error_of("[host a bandwidth]\n0 1\n").find("x.trace:1: 'host bandwidth'") == 0);
  CHECK(error_of("[host a]\n0 1\n").find("x.trace:1: expected [host NAME speed|state]") == 0);
  CHECK(error_of("[host a speed\n").find("x.trace:1: section header without ']'") == 0);
  CHECK(error_of("[host a speed]\n0 1\n5 1\nloop 4\n") ==
        "x.trace:4: loop period 4 must be above the section's last time 5");
  CHECK(error_of("[host a speed]\n0 1\nloop 10\n20 1\n") ==
        "x.trace:4: nothing may follow 'loop' in a section");
  CHECK(error_of("[host a speed]\n[host b speed]\n0 1\n") == "x.trace:1: section without values");
  CHECK(error_of("[host a speed]\n0 nan\n") == "x.trace:2: expected: TIME VALUE (two numbers)");
  CHECK(error_of("[host a speed]\n0 1\n1e-10 0.5\nloop 1e-9\n") ==
        "x.trace:4: loop period 1e-09 is below 1 s");
  CHECK(error_of("[host a speed]\n0 1e-300\n").find("x.trace:2: speed is a fraction") == 0);
  CHECK(error_of("[host a speed]\n1e300 1\n") == "x.trace:2: time 1e+300 is beyond 1e12 s");
}
