#pragma once
// DISTREAL's design-space exploration: per-layer dropout vectors (one keep fraction per prunable
// layer, from a grid) against two objectives, FLOPs per mini-batch (the cost model's, minimised)
// and convergence speed (maximised), searched with NSGA-II (Debian's pagmo2). The speed of a
// vector is the progress a round of it makes relative to the full model's:
//   - "predictor": from a loss predictor (a calibration fitted to trained runs, never the
//     surrogate process's own parameters when a policy explores): the rate of one round of a
//     trainer with the vector (per-layer keeps, each layer weighted by the FLOPs its units take part
//     in, loss_model.hpp) over the full model's;
//   - "trained": short federated runs of the trained process with every trainer using the vector,
//     (L0 - L_R) / (L0 - L_R of the full model) after R rounds, once per seed (seeds s, s+1, ...):
//     the speed is the mean of the per-seed ratios, with its 95% Student-t interval. Measurements
//     are kept in a cache file (by vector, seed, rounds and nodes), so that reruns and larger
//     searches reuse them.
// The result is the non-dominated set of every vector evaluated.
#include "simulator/learning/loss_model.hpp"
#include "simulator/learning/model.hpp"
#include "simulator/scenario/scenario.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace edgetrain {

struct DseOptions {
  std::vector<double> grid{0.25, 0.5, 0.75, 1.0}; // keep fractions a layer may take
  std::string source = "predictor";               // or "trained"
  int population = 24;                            // NSGA-II's (a multiple of 4)
  int generations = 30;
  int rounds = 10, nodes = 4; // the trained source's short runs
  int seeds = 3;              // the trained source's runs per vector (an interval needs 2)
  std::string cache;         // file of measured speeds ("" none)
};

struct DsePoint {
  std::vector<double> keep;
  double flops_per_batch = 0;
  double speed = 0; // relative to the full model, 1 = as fast
  double speed_low = 0, speed_high = 0; // its 95% interval (the speed itself for the predictor)
  int seeds = 0;                        // trained runs behind it (0: the predictor)
};

struct DseResult {
  std::vector<DsePoint> pareto;    // by increasing FLOPs
  std::vector<DsePoint> evaluated; // every distinct vector, in the order first evaluated
  int measured = 0;                // trained runs made (not found in the cache)
  // Neighbours on the front (by FLOPs) whose speed intervals do not overlap, of front size - 1:
  // how far the trained runs tell the front's vectors apart.
  int separated = 0;
};

// What the exploration needs of the run it is for.
struct DseRun {
  int local_steps = 10, batch = 32;
  std::uint64_t seed = 1;
  LossModel predictor;              // the "predictor" source's
  const Scenario* base = nullptr;   // the "trained" source's short runs are this scenario's
};
// One measurement of the trained source's cache: the loss a short run of `nodes` trainers with the
// vector took off in `rounds` rounds, from the scenario with seed `seed`.
struct DseMeasurement {
  std::vector<double> keep;
  std::uint64_t seed = 0;
  int rounds = 0, nodes = 0;
  double loss_drop = 0;
};
// The cache file (InputError with file:line on a missing file or anything malformed).
std::vector<DseMeasurement> read_dse_cache(const std::string& path);

// A scenario's steps, batch and seed, with `predictor`; the trained source runs that scenario.
DseRun dse_run_of(const Scenario& s, const LossModel& predictor);

// The memory NSGA-II may take for a population over `layers` prunable layers, at most, and the
// check explore() makes with it: InputError on --population, with the estimate and what is
// `available`, when it exceeds 80% of that.
double nsga2_bytes(int population, std::size_t layers);
void check_population_fits(int population, std::size_t layers, std::size_t grid, std::uint64_t available);

// Throws InputError on a bad grid or an unknown source (or the trained source without a base).
DseResult explore(const DseRun& run, const ModelDescriptor& model, const DseOptions& o,
                  const std::function<void(int)>& progress = {});

// The non-dominated points (less FLOPs, more speed), by increasing FLOPs.
std::vector<DsePoint> pareto_front(const std::vector<DsePoint>& points);

std::string pareto_csv(const ModelDescriptor& model, const std::vector<DsePoint>& front,
                       const std::string& source);
// Reads one back, strictly: its header for this model, finite numbers, speeds > 0 within their
// interval, each row's flops_per_batch this model's cost of its vector at one batch for the table.
// Throws InputError at "path:line".
std::vector<DsePoint> read_pareto_csv(const std::string& path, const ModelDescriptor& model);

} // namespace edgetrain
