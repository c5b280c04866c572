// Platform benchmark (issue: platforms). For each size and topology: generate a platform with
// `edgetrain platform generate`, load and check it with `edgetrain validate`, and run FedAvg for
// 2 rounds on it with `edgetrain run`; print seconds and peak memory of each step.
//   bench_platforms [--traces speed,churn] [--rounds R] [--run-max M] [N ...]
// (default N: 1000 10000 100000; the run step is skipped above M nodes, default: never).
#include "measure.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<long> sizes;
  std::string traces;
  int rounds = 2;
  long run_max = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--traces" && i + 1 < argc)
      traces = argv[++i];
    else if (a == "--rounds" && i + 1 < argc)
      rounds = std::atoi(argv[++i]);
    else if (a == "--run-max" && i + 1 < argc)
      run_max = std::atol(argv[++i]);
    else
      sizes.push_back(std::atol(argv[i]));
  }
  if (sizes.empty()) sizes = {1000, 10000, 100000};
  const fs::path edgetrain = fs::canonical("/proc/self/exe").parent_path().parent_path() / "edgetrain";
  const fs::path dir = fs::temp_directory_path() / fmt::format("edgetrain-bench-platforms-{}", getpid());
  fs::create_directories(dir);
  fmt::print("{:>8} {:>11} {:>9} {:>8} {:>10} {:>8} {:>9} {:>8}   (traces: {}; FedAvg, {} rounds)\n", "nodes",
             "topology", "gen_s", "gen_MB", "load_s", "load_MB", "run_s", "run_MB",
             traces.empty() ? "none" : traces, rounds);
  for (long n : sizes)
    for (const std::string topology : {"star", "cells", "edge-cloud"}) {
      const fs::path xml = dir / fmt::format("{}-{}.xml", topology, n), toml = dir / "s.toml";
      std::vector<std::string> gen = {edgetrain.string(),
                                      "platform",
                                      "generate",
                                      "--nodes",
                                      std::to_string(n),
                                      "--mix",
                                      "phone-mid:0.4,phone-flagship:0.1,rpi4:0.2,rpi5:0.1,laptop:0.2",
                                      "--topology",
                                      topology,
                                      "--cells",
                                      std::to_string(std::max(1L, n / 1000)),
                                      "--seed",
                                      "1",
                                      "-o",
                                      xml.string()};
      if (!traces.empty()) gen.insert(gen.end(), {"--traces", traces});
      const bench::Measure g = bench::run(gen, dir / "gen.err");
      const bench::Measure v =
          bench::run({edgetrain.string(), "validate", xml.string()}, dir / "validate.err");
      std::ofstream(toml) << fmt::format(
          "[platform]\nfile = \"{}\"\n[data]\nsamples_per_node = 600\n[training]\nmax_rounds = {}\nlocal_steps = 1\n"
          "round_timeout_s = 600\n",
          xml.string(), rounds);
      const fs::path out = dir / "out";
      fs::remove_all(out);
      bench::Measure r;
      r.code = 0;
      const bool play = run_max < 0 || n <= run_max;
      if (play)
        // Tens of thousands of concurrent actors need small heap stacks (README, Running).
        r = bench::run({edgetrain.string(), "run", toml.string(), "--out", out.string(), "--no-progress",
                        "--cfg=contexts/stack-size:96", "--cfg=contexts/guard-size:0"},
                       dir / "run.err");
      if (g.code != 0 || v.code != 0 || r.code != 0) {
        fmt::print(stderr, "failed (generate {}, validate {}, run {}); logs in {}\n", g.code, v.code, r.code,
                   dir.string());
        return 1;
      }
      fmt::print("{:>8} {:>11} {:>9.2f} {:>8.0f} {:>10.2f} {:>8.0f} {:>9} {:>8}\n", n, topology, g.wall_s,
                 g.max_rss_mb, v.wall_s, v.max_rss_mb, play ? fmt::format("{:.2f}", r.wall_s) : "-",
                 play ? fmt::format("{:.0f}", r.max_rss_mb) : "-");
      fs::remove(xml);
      fs::remove(fs::path(xml).replace_extension(".trace"));
    }
  fs::remove_all(dir);
  return 0;
}
