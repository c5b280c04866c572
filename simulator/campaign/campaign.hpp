#pragma once
// A campaign: one base scenario run over axes of scenario keys and over seeds.
//
//   [campaign]
//   name = "pact-deadline"
//   scenario = "../quickstart.toml"     # relative to the campaign file
//   seeds = [1, 2, 3]
//   [campaign.set]                      # fixed overrides of every run (optional)
//   "learning.process" = "surrogate"
//   [[axis]]                            # one key and its values
//   key = "training.deadline_s"
//   values = [60, 120, 240]
//   [[axis]]                            # zipped keys: each entry sets them all together
//   keys = ["platform.file", "policy.random.k"]
//   values = [["a.xml", 3], ["b.xml", 5]]
//
// Axes combine as a grid, in file order (the last varies fastest), then the seeds. Every run's
// scenario is loaded and validated when the campaign is expanded, before any run starts.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace edgetrain {

struct CampaignAxis {
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> values; // per entry, one TOML value text per key
  std::vector<std::string> value_where;         // "file:line:col" of each entry, for errors
  std::string where;                            // of the axis
};

struct Campaign {
  std::filesystem::path file; // the campaign file, as given
  std::string name;
  std::filesystem::path scenario; // the base scenario, absolute
  std::vector<std::int64_t> seeds;
  std::vector<std::pair<std::string, std::string>> fixed; // [campaign.set]: key, TOML value text
  std::vector<std::string> fixed_where;                   // "file:line:col" of each
  std::vector<CampaignAxis> axes;
};

struct CampaignRun {
  std::size_t index = 0; // in plan order, from 0
  std::string id;        // hash of what decides the run's results (run_id)
  std::int64_t seed = 0;
  std::vector<std::pair<std::string, std::string>> axis_values; // key, TOML value text
  std::vector<std::string> sets;                                // "key=value", fixed then axes
};

// Throws InputError naming the campaign file, line and key.
Campaign load_campaign(const std::filesystem::path& file);

// Every run, each scenario loaded and checked (an InputError names the axis and the key).
std::vector<CampaignRun> expand_campaign(const Campaign& c);

// 16 hex digits: FNV-1a (64 bits) of the bytes.
std::string digest(const std::string& bytes);

// A run's id: the digest of its resolved scenario (every key, seed included, and the versions) and
// of its input files' digests (platform, traces, and files string keys name): same id, same results.
std::string run_id(const std::string& resolved_toml, const std::vector<std::string>& file_digests);

} // namespace edgetrain
