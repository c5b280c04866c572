#pragma once
// rounds.csv (one row per round) and nodes.csv (one row per node and round), streamed to disk as
// the run goes so that memory stays flat with thousands of nodes. Tidy: pandas and R read them as
// they are. Unknown values (energy of a host without power properties) are empty cells.
#include "simulator/engine/round_engine.hpp"

#include <cstdio>
#include <filesystem>

namespace edgetrain {

class CsvRecorder final : public RunObserver {
public:
  CsvRecorder(const std::filesystem::path& rounds_csv, const std::filesystem::path& nodes_csv,
              const Platform& platform);
  ~CsvRecorder() override;
  CsvRecorder(const CsvRecorder&) = delete;
  CsvRecorder& operator=(const CsvRecorder&) = delete;

  void on_round(const RoundRecord& record, const RoundOutcome& outcome,
                const std::vector<NodeView>& views) override;
  void close(); // flushes; throws if a write failed

private:
  const Platform& platform_;
  std::FILE* rounds_ = nullptr;
  std::FILE* nodes_ = nullptr;
  std::filesystem::path rounds_path_, nodes_path_;
};

// Number formatting shared by every output: shortest round-trip decimal, empty for NaN.
std::string num(double x);

} // namespace edgetrain
