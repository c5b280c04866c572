// Engine overhead benchmark (issue: foundation). For each size N, generates a star platform (a
// SimGrid cluster: one private link per host to a shared backbone) with N trainers, runs FedAvg
// for 10 rounds through `edgetrain run`, runs bare_rounds (the same activities in bare S4U),
// and prints wall seconds, seconds per (trainer x round), peak memory and the ratio.
//   bench_engine [--repeat R] [N ...]   (default: R = 3, N = 1000 10000)
// Each program runs R times and the fastest run counts: on a shared machine the minimum is the
// least noisy estimate of what the code itself costs.
#include "measure.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

using bench::Measure;
using bench::run;

void write(const fs::path& p, const std::string& s) {
  std::ofstream(p) << s;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  int repeat = 3;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--repeat" && i + 1 < argc)
      repeat = std::max(1, std::atoi(argv[++i]));
    else
      sizes.push_back(std::atoi(argv[i]));
  }
  if (sizes.empty()) sizes = {1000, 10000};
  const fs::path bin = fs::canonical("/proc/self/exe").parent_path();
  const fs::path edgetrain = bin.parent_path() / "edgetrain", bare = bin / "bare_rounds";
  const fs::path dir = fs::temp_directory_path() / fmt::format("edgetrain-bench-{}", getpid());
  fs::create_directories(dir);

  // LeNet-5, 1 local step of batch 32: 246,824 bytes each way, 32 x 2,263,920 FLOPs (the cost
  // model's training FLOPs per sample: no input gradient for conv1, test_cost_model.cpp);
  // aggregation 2 FLOPs per parameter per update (edgetrain's defaults).
  const double bytes = 246824, flops = 32 * 2263920.0, agg = 2 * 61706.0;
  const int rounds = 10;
  fmt::print("{:>7} {:>10} {:>10} {:>8} {:>14} {:>10} {:>10}\n", "trainers", "bare_s", "edgetrain_s", "ratio",
             "s/(trainer.rd)", "bare_MB", "edge_MB");
  for (int n : sizes) {
    const fs::path xml = dir / fmt::format("star{}.xml", n), toml = dir / fmt::format("star{}.toml", n);
    write(xml, fmt::format(R"(<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <cluster id="star" prefix="node-" suffix="" radical="0-{}" speed="10Gf" core="4" bw="125MBps" lat="50us"
           bb_bw="2.25GBps" bb_lat="500us">
    <prop id="wattage_per_state" value="3:5:8"/>
  </cluster>
</platform>
)",
                           n));
    write(toml, fmt::format("[platform]\nfile = \"{}\"\naggregator = \"node-0\"\n"
                            "[training]\nlocal_steps = 1\nbatch = 32\nmax_rounds = {}\ntarget_loss = 0.001\n",
                            xml.filename().string(), rounds));
    const auto best = [repeat](auto&& once) {
      Measure m = once();
      for (int k = 1; k < repeat && m.code == 0; ++k) {
        const Measure again = once();
        m.code = again.code;
        m.wall_s = std::min(m.wall_s, again.wall_s);
        m.max_rss_mb = std::max(m.max_rss_mb, again.max_rss_mb);
      }
      return m;
    };
    const Measure b = best([&] {
      return run({bare.string(), xml.string(), "node-0", std::to_string(rounds), fmt::format("{}", bytes),
                  fmt::format("{}", flops), fmt::format("{}", agg), "--log=root.thres:warning"},
                 dir / "bare.err");
    });
    const fs::path out = dir / fmt::format("out{}", n);
    const Measure e = best([&] {
      fs::remove_all(out);
      return run({edgetrain.string(), "run", toml.string(), "--out", out.string(), "--no-progress"},
                 dir / "edgetrain.err");
    });
    if (b.code != 0 || e.code != 0) {
      fmt::print(stderr, "run failed (bare {}, edgetrain {}); logs in {}\n", b.code, e.code, dir.string());
      return 1;
    }
    fmt::print("{:>7} {:>10.2f} {:>10.2f} {:>8.3f} {:>14.2e} {:>10.0f} {:>10.0f}\n", n, b.wall_s, e.wall_s,
               e.wall_s / b.wall_s, e.wall_s / (double(n) * rounds), b.max_rss_mb, e.max_rss_mb);
  }
  fs::remove_all(dir);
  return 0;
}
