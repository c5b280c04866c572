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
// scenario is loaded and validated when the plan is built, before any run starts.
#include <cstdint>
#include <filesystem>
#include <memory>
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

// The runs of a campaign, in plan order. Building it loads and checks every run's scenario (an
// InputError names the axis value, or the campaign.set entry, and the key) and keeps only each
// run's id: run(k) rebuilds the rest from the grid. A million-run plan holds 8 MB (the runs
// themselves took 3 GB), and a plan too large for this machine's memory is refused.
class CampaignPlan {
public:
  explicit CampaignPlan(Campaign c);
  [[nodiscard]] const Campaign& campaign() const { return c_; }
  [[nodiscard]] std::size_t size() const { return picked_ ? picked_->size() : ids_->size(); }
  // The k-th run of this plan (its index is its place in the whole campaign).
  [[nodiscard]] CampaignRun run(std::size_t k) const;
  // The same campaign's runs at these places of this plan, in that order.
  [[nodiscard]] CampaignPlan subset(const std::vector<std::size_t>& places) const;

private:
  CampaignPlan() = default;
  Campaign c_;
  std::shared_ptr<const std::vector<std::uint64_t>> ids_;   // every run's, by index
  std::shared_ptr<const std::vector<std::size_t>> picked_; // a subset's indices, or none
};

// 16 hex digits: FNV-1a (64 bits) of the bytes.
std::string digest(const std::string& bytes);

// A run's id: the digest of its resolved scenario (every key, seed included, and the versions) and
// of its input files' digests (platform, traces, and files string keys name): same id, same results.
std::string run_id(const std::string& resolved_toml, const std::vector<std::string>& file_digests);

} // namespace edgetrain
