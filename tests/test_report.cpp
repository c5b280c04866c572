// `edgetrain report`: every figure exists as PNG and SVG, the PNGs decode (zlib) to exactly the
// pixels their header announces, sizes are sane, the summary has a row per group, and a second
// report of the same folder is byte-identical.
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>
#include <zlib.h>

#include <cstdint>
#include <functional>
#include <map>

using testutil::Proc;
using testutil::TempDir;
namespace fs = std::filesystem;

namespace {

std::uint32_t be32(const std::string& s, std::size_t at) {
  return (std::uint32_t{static_cast<unsigned char>(s[at])} << 24) |
         (std::uint32_t{static_cast<unsigned char>(s[at + 1])} << 16) |
         (std::uint32_t{static_cast<unsigned char>(s[at + 2])} << 8) | static_cast<unsigned char>(s[at + 3]);
}

struct Png {
  std::uint32_t width = 0, height = 0;
  bool decoded = false;
};

// Walks the chunks, checks each CRC, inflates the image data and checks its size: one filter byte
// and width x channels bytes per row (8-bit RGB or RGBA, what matplotlib writes).
Png decode_png(const std::string& b) {
  Png p;
  REQUIRE(b.size() > 33);
  REQUIRE(b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  std::string idat;
  int channels = 0;
  for (std::size_t at = 8; at + 12 <= b.size();) {
    const std::uint32_t len = be32(b, at);
    const std::string type = b.substr(at + 4, 4);
    REQUIRE(at + 12 + len <= b.size());
    const auto* data = reinterpret_cast<const Bytef*>(b.data() + at + 4);
    CHECK(crc32(0, data, len + 4) == be32(b, at + 8 + len));
    if (type == "IHDR") {
      p.width = be32(b, at + 8), p.height = be32(b, at + 12);
      CHECK(b[at + 16] == 8); // bit depth
      const int color = b[at + 17];
      channels = color == 6 ? 4 : color == 2 ? 3 : 0;
    } else if (type == "IDAT") {
      idat += b.substr(at + 8, len);
    } else if (type == "IEND") {
      break;
    }
    at += 12 + len;
  }
  REQUIRE(channels > 0);
  const std::size_t expected = p.height * (1 + std::size_t{p.width} * static_cast<std::size_t>(channels));
  std::string raw(expected + 1, '\0');
  uLongf n = static_cast<uLongf>(raw.size());
  const int rc = uncompress(reinterpret_cast<Bytef*>(raw.data()), &n,
                            reinterpret_cast<const Bytef*>(idat.data()), static_cast<uLong>(idat.size()));
  CHECK(rc == Z_OK);
  CHECK(n == expected);
  p.decoded = rc == Z_OK && n == expected;
  return p;
}

} // namespace

TEST_CASE("report: figures decode with sane sizes, a summary row per group, and the same bytes twice") {
  TempDir d;
  d.write("c.toml", fmt::format("[campaign]\nscenario = \"{}\"\nseeds = [1, 2]\n[campaign.set]\n"
                                "\"training.max_rounds\" = 4\n[[axis]]\nkey = \"policy.name\"\n"
                                "values = [\"fedavg\", \"pact\"]\n",
                                testutil::quickstart()));
  REQUIRE(testutil::run_edgetrain("campaign c.toml -o out -j 2", d.path()).code == 0);
  const Proc p = testutil::run_edgetrain("report out", d.path());
  REQUIRE_MESSAGE(p.code == 0, p.err);
  std::map<std::string, std::string> first;
  for (const char* name : {"loss_time", "accuracy_energy", "to_target", "node_energy"}) {
    CAPTURE(name);
    const std::string png = testutil::read(d.path() / "out" / (std::string(name) + ".png"));
    const Png img = decode_png(png);
    CHECK(img.decoded);
    CHECK(img.width >= 400);
    CHECK(img.width <= 3000);
    CHECK(img.height >= 250);
    CHECK(img.height <= 3000);
    const std::string svg = testutil::read(d.path() / "out" / (std::string(name) + ".svg"));
    CHECK(svg.find("<svg") != std::string::npos);
    CHECK(svg.rfind("</svg>") != std::string::npos);
    CHECK(svg.find("<path") != std::string::npos);
    first[std::string(name) + ".png"] = png;
    first[std::string(name) + ".svg"] = svg;
  }
  const std::string md = testutil::read(d.path() / "out/report.md");
  CHECK(md.find("4 runs: 4 complete, 0 failed, 0 not run.") != std::string::npos);
  CHECK(md.find("| name=fedavg | 2 | ") != std::string::npos);
  CHECK(md.find("| name=pact | 2 | ") != std::string::npos);
  CHECK(md.find("![Loss against simulated time](loss_time.png)") != std::string::npos);
  // Again: the same bytes.
  REQUIRE(testutil::run_edgetrain("report out", d.path()).code == 0);
  for (const auto& [file, bytes] : first) {
    CAPTURE(file);
    CHECK(testutil::read(d.path() / "out" / file) == bytes);
  }
}

TEST_CASE("report error: a folder that is not a campaign") {
  TempDir d;
  const Proc p = testutil::run_edgetrain("report .", d.path());
  CHECK(p.code == 2);
  CHECK(p.err.find("runs.csv: missing (is this a campaign folder? run `edgetrain campaign` first)") !=
        std::string::npos);
}

TEST_CASE("report error: tables that are not edgetrain's are refused by name, never with a traceback") {
  const std::string rounds = "run_id,round,end_s,loss,energy_total_j,accuracy\n", nodes = "run_id,node,energy_j\n";
  const auto report = [&](const std::function<void(TempDir&)>& make) {
    TempDir d;
    d.write("rounds.csv", rounds);
    d.write("nodes.csv", nodes);
    make(d);
    const Proc p = testutil::run_edgetrain("report .", d.path());
    CHECK(p.code == 2);
    CHECK(p.err.find("Traceback") == std::string::npos);
    CHECK(p.err.rfind("error: ", 0) == 0);
    return p.err;
  };
  CHECK(report([](TempDir& d) { fs::create_directory(d.path() / "runs.csv"); }).find("runs.csv: not a file") !=
        std::string::npos);
  CHECK(report([](TempDir& d) { d.write("runs.csv", "run_id,seed,status\n\xff\xfe,1,ok\n"); })
            .find("runs.csv:2: not UTF-8 text") != std::string::npos);
  CHECK(report([](TempDir& d) { d.write("runs.csv", "a,b\n1,2\n"); })
            .find("runs.csv:1: no column run_id, seed, status") != std::string::npos);
  CHECK(report([](TempDir& d) { d.write("runs.csv", "run_id,seed,status\nx,1\n"); })
            .find("runs.csv:2: 3 fields expected") != std::string::npos);
}
