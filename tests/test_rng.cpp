// Random streams: reproducible, independent by name, and with the right moments.
#include "simulator/common/rng.hpp"

#include <doctest/doctest.h>

#include <cmath>

using edgetrain::Rng;

TEST_CASE("rng: same seed and stream give the same numbers but other names or seeds do not") {
  Rng a(7, "x"), b(7, "x"), c(7, "y"), d(8, "x");
  bool differ_c = false, differ_d = false;
  for (int i = 0; i < 100; ++i) {
    const auto va = a.next();
    CHECK(va == b.next());
    differ_c |= va != c.next();
    differ_d |= va != d.next();
  }
  CHECK(differ_c);
  CHECK(differ_d);
}

TEST_CASE("rng: generator and seeding match their reference implementations") {
  // xoshiro256** (Blackman & Vigna) from the state {1, 2, 3, 4}: the reference C code gives
  // 11520, 0, 1509978240, 1215971899390074240 (first output by hand: rotl(2 * 5, 7) * 9 = 11520).
  Rng x = Rng::with_state({1, 2, 3, 4});
  CHECK(x.next() == 11520ULL);
  CHECK(x.next() == 0ULL);
  CHECK(x.next() == 1509978240ULL);
  CHECK(x.next() == 1215971899390074240ULL);
  // SplitMix64 from 0: the reference's first output is 0xe220a8397b1dcdaf.
  std::uint64_t state = 0;
  CHECK(Rng::splitmix64(state) == 0xe220a8397b1dcdafULL);
  // uniform() is in [0, 1).
  Rng a(1, "");
  for (int i = 0; i < 1000; ++i) {
    const double u = a.uniform();
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
  }
}

TEST_CASE("rng: moments of uniform, normal and gamma draws") {
  Rng r(42, "moments");
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0, sg = 0, sg_small = 0;
  for (int i = 0; i < n; ++i) {
    su += r.uniform();
    const double z = r.normal();
    sn += z, sn2 += z * z;
    sg += r.gamma(3.0);
    sg_small += r.gamma(0.3);
  }
  // Standard errors: uniform 0.29/sqrt(n) = 6.5e-4; normal 2.2e-3; gamma(3) sqrt(3/n) = 3.9e-3.
  CHECK(su / n == doctest::Approx(0.5).epsilon(0.01));
  CHECK(std::abs(sn / n) < 0.01);
  CHECK(sn2 / n == doctest::Approx(1.0).epsilon(0.02));
  CHECK(sg / n == doctest::Approx(3.0).epsilon(0.01));
  CHECK(sg_small / n == doctest::Approx(0.3).epsilon(0.03));
}

TEST_CASE("rng: below(n) stays in range and covers it") {
  Rng r(3, "below");
  int seen[7] = {};
  for (int i = 0; i < 7000; ++i) {
    const auto v = r.below(7);
    REQUIRE(v < 7);
    ++seen[v];
  }
  for (int k : seen)
    CHECK(k > 800); // expected 1000 each
}
