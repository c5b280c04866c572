#include "simulator/cli/platform_command.hpp"

#include "simulator/cli/report_errors.hpp"
#include "simulator/common/error.hpp"
#include "simulator/common/text_file.hpp"
#include "simulator/metrics/output_dir.hpp"
#include "simulator/platform/catalog.hpp"
#include "simulator/platform/traces.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace edgetrain {

namespace fs = std::filesystem;

namespace {
// Writes every file to a temporary name first, then renames them all: all or nothing.
void write_all(const std::vector<std::pair<fs::path, std::string>>& files) {
  for (const auto& [path, content] : files) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw InputError(path.string(), "is a folder: give a file name");
    if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
    try {
      write_file(fs::path(path.string() + ".partial"), content);
    } catch (const std::exception&) {
      for (const auto& [p, c] : files)
        fs::remove(fs::path(p.string() + ".partial"), ec);
      throw InputError(path.string(), "cannot write here");
    }
  }
  for (const auto& [path, content] : files) {
    std::error_code ec;
    fs::rename(fs::path(path.string() + ".partial"), path, ec);
    if (ec) throw InputError(path.string(), "cannot write here: " + ec.message());
  }
}
} // namespace

int generate_command(GenerateArgs a) {
  return report_errors([&] {
    const auto t0 = std::chrono::steady_clock::now();
    a.options.mix = parse_mix(a.mix, "--mix");
    std::stringstream kinds(a.traces);
    for (std::string k; std::getline(kinds, k, ',');)
      if (!k.empty()) a.options.traces.push_back(k);
    if (a.out.empty()) throw InputError("-o", "an output file is required");
    const fs::path xml = a.out, trace = fs::path(a.out).replace_extension(".trace");
    a.options.trace_file = trace.filename().string();
    const Catalog catalog = load_catalog(a.catalog.empty() ? default_catalog_path() : fs::path(a.catalog));
    const GeneratedPlatform g = generate_platform(a.options, catalog);
    std::vector<std::pair<fs::path, std::string>> files{{xml, g.xml}};
    if (!g.traces.empty()) files.emplace_back(trace, g.traces);
    write_all(files);
    fmt::print("{}: {} hosts in {} clusters{}, generated in {:.2f} s\n", xml.string(), g.hosts, g.clusters,
               g.traces.empty() ? "" : fmt::format(", traces in {}", trace.string()),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return 0;
  });
}

int import_availability_command(const std::string& csv, const std::string& out) {
  return report_errors([&] {
    std::error_code ec;
    if (!fs::is_regular_file(csv, ec)) throw InputError(csv, "no such file");
    std::ifstream in(csv);
    if (!in) throw InputError(csv, "cannot read");
    std::map<std::string, std::vector<std::pair<double, double>>> intervals;
    std::string line;
    for (int no = 1; std::getline(in, line); ++no) {
      const std::string where = fmt::format("{}:{}", csv, no);
      if (line.empty() || line[0] == '#') continue;
      const std::vector<std::string> c = split(line);
      double from = 0, to = 0;
      try {
        if (c.size() != 3) throw std::invalid_argument("");
        std::size_t u1 = 0, u2 = 0;
        from = std::stod(c[1], &u1), to = std::stod(c[2], &u2);
        if (u1 != c[1].size() || u2 != c[2].size()) throw std::invalid_argument("");
      } catch (const std::exception&) {
        if (no == 1) continue; // a header
        throw InputError(where, "expected client,start_s,end_s");
      }
      if (!(from >= 0 && to > from && to <= 1e12))
        throw InputError(where, fmt::format("interval {}..{} must have 0 <= start < end <= 1e12", from, to));
      if (c[0].empty() || c[0].find_first_of(" \t[]#") != std::string::npos)
        throw InputError(
            where, fmt::format("client '{}' is not a host name (empty, or blanks, brackets or #)", c[0]));
      auto& v = intervals[c[0]];
      if (!v.empty() && from < v.back().second)
        throw InputError(where,
                         fmt::format("interval of '{}' starts at {}, before its previous one ends ({}): "
                                     "intervals must be in time order and must not overlap",
                                     c[0], from, v.back().second));
      v.emplace_back(from, to);
    }
    if (intervals.empty()) throw InputError(csv, "no availability interval in the file");
    std::vector<TraceSection> sections;
    for (const auto& [client, v] : intervals) {
      TraceSection t{"host", client, "state", {}, -1, ""};
      if (v.front().first > 0) t.points.emplace_back(0, 0);
      for (const auto& [from, to] : v) {
        if (!t.points.empty() && t.points.back().first == from)
          t.points.pop_back(); // back to back: stays on
        else
          t.points.emplace_back(from, 1);
        t.points.emplace_back(to, 0);
      }
      sections.push_back(std::move(t));
    }
    write_all({{out, "# Imported from " + csv + " by edgetrain platform import-availability.\n" +
                         format_traces(sections)}});
    fmt::print("{}: {} clients\n", out, sections.size());
    return 0;
  });
}

} // namespace edgetrain
