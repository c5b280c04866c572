#pragma once
// The progress line on a terminal: round k/N, simulated time, loss, energy; redrawn in place.
#include "simulator/engine/round_engine.hpp"

#include <cstdio>

namespace edgetrain {

class ProgressLine final : public RunObserver {
public:
  explicit ProgressLine(long max_rounds) : max_rounds_(max_rounds) {}
  void on_round(const RoundRecord& r, const RoundOutcome&, const std::vector<NodeView>&) override {
    std::fprintf(stderr, "\r  round %d/%ld  t=%.1f s  loss=%.4f  energy=%.1f J   ", r.round, max_rounds_,
                 r.end_s, r.loss, r.energy_total_j);
    std::fflush(stderr);
    drawn_ = true;
  }
  void finish() const {
    if (drawn_) std::fputc('\n', stderr);
  }

private:
  long max_rounds_;
  bool drawn_ = false;
};

} // namespace edgetrain
