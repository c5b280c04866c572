#include "simulator/learning/dse.hpp"

#include "simulator/common/error.hpp"
#include "simulator/common/memory.hpp"
#include "simulator/common/text_file.hpp"
#include "simulator/common/whole_number.hpp"
#include "simulator/learning/calibrate.hpp"
#include "simulator/learning/cost_model.hpp"
#include "simulator/learning/loss_model.hpp"
#include "simulator/learning/surrogate.hpp"

#include <boost/math/distributions/students_t.hpp> // Boost.Math, headers only (with pagmo's Boost)
#include <fmt/format.h>
#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace edgetrain {

namespace {
constexpr const char* kCacheHeader = "keep,seed,rounds,nodes,loss_drop";

std::string key_of(const std::vector<double>& keep) {
  std::string k;
  for (double x : keep)
    k += fmt::format("{}{}", k.empty() ? "" : ";", x);
  return k;
}

// Scores vectors, once each: the cost model's FLOPs, and the speed from the source, with the
// trained source's measurements kept in (and read from) the cache file.
class Scorer {
public:
  Scorer(const DseRun& run, const ModelDescriptor& model, const DseOptions& o) : run_(run), model_(model), o_(o) {
    if (o.source == "trained") read_cache();
    predictor_ = run.predictor;
    if (predictor_.layer_weight.empty()) predictor_.layer_weight = layer_weights(model);
  }
  ~Scorer() = default;

  const DsePoint& score(const std::vector<double>& keep) {
    const std::string k = key_of(keep);
    if (const auto it = index_.find(k); it != index_.end()) return points_[it->second];
    DsePoint p;
    p.keep = keep;
    Compression c{keep, 32, Compression::Mode::Dropout};
    p.flops_per_batch = model_cost(model_, c).train_flops * static_cast<double>(run_.batch);
    if (o_.source == "predictor") {
      const double full = predicted_rate(std::vector<double>(keep.size(), 1.0));
      p.speed = full > 0 ? predicted_rate(keep) / full : 0;
      p.speed_low = p.speed_high = p.speed;
    } else {
      measure(p);
    }
    index_[k] = points_.size();
    points_.push_back(p);
    return points_.back();
  }
  [[nodiscard]] const std::vector<DsePoint>& points() const { return points_; }
  [[nodiscard]] int measured() const { return measured_; }

  void write_cache() const {
    if (o_.cache.empty() || o_.source != "trained") return;
    const std::string tmp = o_.cache + ".partial";
    {
      std::ofstream out(tmp);
      out << kCacheHeader << "\n";
      for (const auto& [k, v] : drops_)
        out << k << "," << fmt::format("{}", v) << "\n";
    }
    std::rename(tmp.c_str(), o_.cache.c_str());
  }

private:
  // The predictor's rate of one round of one trainer (the scenario's steps and batch over 600
  // samples of its own) dropping units with these per-layer keeps: the loss model's per-layer
  // discount, from the initial loss (so the plateau and the tail cut every vector alike).
  double predicted_rate(const std::vector<double>& keep) const {
    Compression c{keep, 32, Compression::Mode::Dropout};
    const Contribution one{static_cast<double>(run_.local_steps) * run_.batch, 600, c.mean_keep(), 0,
                           Compression::Mode::Dropout, keep, {}};
    double floor = 0;
    const double l0 = predictor_.initial_loss, l1 = next_loss(predictor_, l0, {one}, 1.0, &floor);
    return l0 > floor && l1 > floor ? std::log((l0 - floor) / (l1 - floor)) : 0;
  }
  // Per seed, the vector's loss drop over the full model's; their mean and 95% t interval.
  void measure(DsePoint& p) {
    const std::vector<double> full(p.keep.size(), 1.0);
    std::vector<double> ratio;
    for (int j = 0; j < o_.seeds; ++j) {
      const double f = drop(full, j);
      ratio.push_back(f > 0 ? drop(p.keep, j) / f : 0);
    }
    const double n = static_cast<double>(ratio.size());
    double mean = 0, var = 0;
    for (double r : ratio)
      mean += r / n;
    for (double r : ratio)
      var += (r - mean) * (r - mean) / std::max(1.0, n - 1);
    const double half =
        ratio.size() > 1
            ? boost::math::quantile(boost::math::students_t(n - 1), 0.975) * std::sqrt(var / n)
            : 0.0;
    p.speed = mean, p.speed_low = mean - half, p.speed_high = mean + half, p.seeds = o_.seeds;
  }
  std::string cache_key(const std::vector<double>& keep, int j) const {
    return fmt::format("{},{},{},{}", key_of(keep), run_.seed + static_cast<std::uint64_t>(j), o_.rounds, o_.nodes);
  }
  // The loss a short federated run of this vector takes off with the j-th seed (cached).
  double drop(const std::vector<double>& keep, int j) {
    const std::string k = cache_key(keep, j);
    if (const auto it = drops_.find(k); it != drops_.end()) return it->second;
    Scenario s = *run_.base;
    s.seed = run_.seed + static_cast<std::uint64_t>(j);
    const LossTrace t =
        trained_trace(s, model_, o_.nodes, o_.rounds, 1.0, {Compression{keep, 32, Compression::Mode::Dropout}}, 1000);
    ++measured_;
    return drops_[k] = t.initial_loss - t.loss.back();
  }
  void read_cache() {
    if (o_.cache.empty() || !std::ifstream(o_.cache)) return; // none yet
    for (const DseMeasurement& m : read_dse_cache(o_.cache))
      drops_[fmt::format("{},{},{},{}", key_of(m.keep), m.seed, m.rounds, m.nodes)] = m.loss_drop;
  }

  const DseRun& run_;
  const ModelDescriptor& model_;
  const DseOptions& o_;
  std::map<std::string, std::size_t> index_;
  std::vector<DsePoint> points_;
  std::map<std::string, double> drops_; // by cache_key
  LossModel predictor_;                  // with the model's layer weights
  int measured_ = 0;
};

// pagmo's view: one integer variable per prunable layer, an index into the grid.
struct DseProblem {
  Scorer* scorer = nullptr;
  const std::vector<double>* grid = nullptr;
  std::size_t layers = 0;
  [[nodiscard]] pagmo::vector_double fitness(const pagmo::vector_double& x) const {
    std::vector<double> keep;
    for (double v : x)
      keep.push_back((*grid)[static_cast<std::size_t>(
          std::clamp(std::lround(v), 0L, static_cast<long>(grid->size()) - 1))]);
    const DsePoint& p = scorer->score(keep);
    return {p.flops_per_batch, -p.speed};
  }
  [[nodiscard]] std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const {
    return {pagmo::vector_double(layers, 0.0),
            pagmo::vector_double(layers, static_cast<double>(grid->size() - 1))};
  }
  [[nodiscard]] pagmo::vector_double::size_type get_nobj() const { return 2; }
  [[nodiscard]] pagmo::vector_double::size_type get_nix() const { return layers; }
};
} // namespace

std::vector<DsePoint> pareto_front(const std::vector<DsePoint>& points) {
  std::vector<DsePoint> front;
  for (const DsePoint& p : points) {
    const bool dominated = std::any_of(points.begin(), points.end(), [&](const DsePoint& q) {
      return q.flops_per_batch <= p.flops_per_batch && q.speed >= p.speed &&
             (q.flops_per_batch < p.flops_per_batch || q.speed > p.speed);
    });
    const bool twin = std::any_of(front.begin(), front.end(), [&](const DsePoint& q) {
      return q.flops_per_batch == p.flops_per_batch && q.speed == p.speed;
    });
    if (!dominated && !twin) front.push_back(p);
  }
  std::sort(front.begin(), front.end(),
            [](const DsePoint& a, const DsePoint& b) { return a.flops_per_batch < b.flops_per_batch; });
  return front;
}

std::vector<DseMeasurement> read_dse_cache(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "cannot read the DSE cache");
  std::string line;
  std::getline(in, line);
  if (line != kCacheHeader)
    throw InputError(fmt::format("{}:1", path),
                     line == "keep,loss_drop"
                         ? "a DSE cache of an older edgetrain (one seed per vector): delete it, or write elsewhere"
                         : fmt::format("expected the header {}", kCacheHeader));
  std::vector<DseMeasurement> out;
  for (int n = 2; std::getline(in, line); ++n) {
    const auto bad = [&](const std::string& what) {
      return InputError(fmt::format("{}:{}", path, n), "malformed DSE cache line: " + what);
    };
    std::vector<std::string> field;
    std::stringstream ls(line);
    for (std::string f; std::getline(ls, f, ',');)
      field.push_back(f);
    if (field.size() != 5) throw bad(fmt::format("{} fields, expected 5", field.size()));
    DseMeasurement m;
    const auto number = [&](const std::string& text, const char* what) {
      const std::optional<double> v = whole_number(text);
      if (!v) throw bad(fmt::format("{} '{}'", what, text));
      return *v;
    };
    std::stringstream ks(field[0]);
    for (std::string k; std::getline(ks, k, ';');) {
      const double v = number(k, "keep");
      if (!(v > 0 && v <= 1)) throw bad(fmt::format("keep {} not in (0, 1]", v));
      m.keep.push_back(v);
    }
    const double seed = number(field[1], "seed"), rounds = number(field[2], "rounds"),
                 nodes = number(field[3], "nodes");
    if (seed < 0 || seed > 9e15 || seed != std::floor(seed)) throw bad("seed is not a count");
    if (!(rounds >= 1 && rounds <= 1e6 && rounds == std::floor(rounds))) throw bad("rounds is not a count");
    if (!(nodes >= 1 && nodes <= 1e6 && nodes == std::floor(nodes))) throw bad("nodes is not a count");
    m.seed = static_cast<std::uint64_t>(seed), m.rounds = static_cast<int>(rounds), m.nodes = static_cast<int>(nodes);
    m.loss_drop = number(field[4], "loss_drop");
    out.push_back(std::move(m));
  }
  return out;
}

DseRun dse_run_of(const Scenario& s, const LossModel& predictor) {
  return {static_cast<int>(s.training.local_steps), static_cast<int>(s.training.batch), s.seed, predictor, &s};
}

double nsga2_bytes(int population, std::size_t layers) {
  // Each generation sorts parents and offspring together (pagmo's fast_non_dominated_sorting):
  // each of the n = 2N individuals keeps the indices (8 bytes) of those it dominates, up to
  // n (n - 1) / 2 in all when they line up; each also holds its decision vector and fitness.
  const double n = 2.0 * population;
  return 8.0 * n * (n - 1) / 2 + n * (8.0 * (static_cast<double>(layers) + 2) + 3 * 24.0);
}

void check_population_fits(int population, std::size_t layers, std::size_t grid, std::uint64_t available) {
  const double need = nsga2_bytes(population, layers);
  if (need > 0.8 * static_cast<double>(available))
    throw InputError("--population",
                     fmt::format("NSGA-II's sorting of {} individuals (parents and offspring) may hold {}, and {} "
                                 "is available: a smaller population (the design space has {:.6g} vectors)",
                                 2 * static_cast<std::int64_t>(population), bytes_text(need),
                                 bytes_text(static_cast<double>(available)),
                                 std::pow(static_cast<double>(grid), static_cast<double>(layers))));
}

DseResult explore(const DseRun& run, const ModelDescriptor& model, const DseOptions& o,
                  const std::function<void(int)>& progress) {
  if (o.grid.empty() ||
      std::any_of(o.grid.begin(), o.grid.end(), [](double g) { return !(g > 0 && g <= 1); }))
    throw InputError("--grid", "keep fractions must be in (0, 1]");
  if (o.source != "predictor" && o.source != "trained")
    throw InputError("--source", fmt::format("'{}' is not one of: predictor, trained", o.source));
  if (o.source == "trained" && !run.base)
    throw std::logic_error("the DSE's trained source needs the scenario its runs are made of");
  if (o.source == "trained" && (o.seeds < 1 || o.rounds < 1 || o.nodes < 1))
    throw InputError("--seeds", "the trained source needs at least one seed, round and node");
  if (o.population < 8 || o.population % 4 != 0)
    throw InputError("--population", "NSGA-II needs a multiple of 4, at least 8");
  DseOptions sorted = o;
  std::sort(sorted.grid.begin(), sorted.grid.end());
  sorted.grid.erase(std::unique(sorted.grid.begin(), sorted.grid.end()), sorted.grid.end());
  check_population_fits(o.population, model.prunable_count(), sorted.grid.size(), available_memory_bytes());
  Scorer scorer(run, model, sorted);
  // The extremes first: the full model and the smallest vector are always on the front.
  scorer.score(std::vector<double>(model.prunable_count(), sorted.grid.back()));
  scorer.score(std::vector<double>(model.prunable_count(), sorted.grid.front()));
  pagmo::problem prob{DseProblem{&scorer, &sorted.grid, model.prunable_count()}};
  pagmo::population pop{prob, static_cast<pagmo::population::size_type>(sorted.population),
                        static_cast<unsigned>(run.seed)};
  for (int g = 0; g < sorted.generations; ++g) {
    pagmo::algorithm algo{
        pagmo::nsga2(1, 0.95, 10., 0.01, 50., static_cast<unsigned>(run.seed + static_cast<std::uint64_t>(g)))};
    pop = algo.evolve(pop);
    if (progress) progress(g + 1);
  }
  scorer.write_cache();
  DseResult r;
  r.evaluated = scorer.points();
  r.pareto = pareto_front(r.evaluated);
  r.measured = scorer.measured();
  for (std::size_t i = 1; i < r.pareto.size(); ++i)
    r.separated += r.pareto[i].speed_low > r.pareto[i - 1].speed_high ? 1 : 0;
  return r;
}

namespace {
std::string pareto_header(const ModelDescriptor& model) {
  std::string out;
  for (const Layer& l : model.layers)
    if (l.prunable) out += fmt::format("keep_{},", l.name);
  return out + "flops_per_batch,speed,speed_low,speed_high,seeds,source";
}
} // namespace

std::string pareto_csv(const ModelDescriptor& model, const std::vector<DsePoint>& front,
                       const std::string& source) {
  std::string out = pareto_header(model) + "\n";
  for (const DsePoint& p : front) {
    for (double k : p.keep)
      out += fmt::format("{},", k);
    out += fmt::format("{},{},{},{},{},{}\n", p.flops_per_batch, p.speed, p.speed_low, p.speed_high, p.seeds,
                       source);
  }
  return out;
}

} // namespace edgetrain

namespace edgetrain {

std::vector<DsePoint> read_pareto_csv(const std::string& path, const ModelDescriptor& model) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "cannot read the Pareto table");
  const std::size_t layers = model.prunable_count();
  const std::string header = pareto_header(model);
  std::string line;
  if (!std::getline(in, line) || line != header)
    throw InputError(fmt::format("{}:1", path),
                     fmt::format("the header must be {} (a table `edgetrain dse` wrote for {}), found '{}'", header,
                                 model.name, line));
  std::vector<DsePoint> out;
  double batch = 0; // the table's batch, as its flops_per_batch column says
  for (int n = 2; std::getline(in, line); ++n) {
    const std::vector<std::string> cells = split(line);
    const std::string where = fmt::format("{}:{}", path, n);
    if (cells.size() != layers + 6)
      throw InputError(where,
                       fmt::format("expected {} fields (a keep per prunable layer, flops_per_batch, speed, "
                                   "speed_low, speed_high, seeds, source), found {}{}",
                                   layers + 6, cells.size(),
                                   cells.size() == layers + 3 ? ": a table of an older edgetrain, remake it (edgetrain dse)"
                                                              : ""));
    const auto number = [&](std::size_t i) {
      const std::optional<double> x = whole_number(cells[i]);
      if (!x) throw InputError(where, fmt::format("field {} '{}' is not a finite number", i + 1, cells[i]));
      return *x;
    };
    DsePoint p;
    for (std::size_t i = 0; i < layers; ++i)
      p.keep.push_back(number(i));
    if (std::any_of(p.keep.begin(), p.keep.end(), [](double k) { return !(k > 0 && k <= 1); }))
      throw InputError(where, "keep fractions must be in (0, 1]");
    p.flops_per_batch = number(layers), p.speed = number(layers + 1);
    p.speed_low = number(layers + 2), p.speed_high = number(layers + 3);
    const double seeds = number(layers + 4);
    const std::string& source = cells[layers + 5];
    if (!(p.speed > 0)) throw InputError(where, fmt::format("speed {} must be > 0", p.speed));
    if (!(p.speed_low <= p.speed && p.speed <= p.speed_high))
      throw InputError(where, fmt::format("speed {} must lie in its interval [{}, {}]", p.speed, p.speed_low,
                                          p.speed_high));
    if (source != "predictor" && source != "trained")
      throw InputError(where, fmt::format("source '{}' is not predictor or trained", source));
    if (seeds != std::floor(seeds) || seeds < 0 || seeds > 1e6 || (source == "trained") != (seeds > 0))
      throw InputError(where, fmt::format("seeds '{}' must be a whole number, > 0 for a trained row and 0 for a "
                                          "predictor row",
                                          cells[layers + 4]));
    p.seeds = static_cast<int>(seeds);
    // The FLOPs of one mini-batch of this vector on this model, at one batch for the whole table:
    // a table for another model, or edited by hand, does not fit.
    const double per_sample = model_cost(model, Compression{p.keep, 32, Compression::Mode::Dropout}).train_flops;
    const double implied = p.flops_per_batch / per_sample;
    if (!(p.flops_per_batch > 0) || std::abs(implied - std::round(implied)) > 1e-6 * implied || implied < 0.5 ||
        (batch > 0 && std::round(implied) != batch))
      throw InputError(where, fmt::format("flops_per_batch {} is not {}'s cost of this vector at {} ({} FLOPs a "
                                          "sample): a table for another model, or edited",
                                          p.flops_per_batch, model.name,
                                          batch > 0 ? fmt::format("the table's batch {}", batch) : "a whole batch",
                                          per_sample));
    batch = std::round(implied);
    out.push_back(p);
  }
  if (out.empty()) throw InputError(path, "no vectors in the Pareto table");
  return out;
}

} // namespace edgetrain
