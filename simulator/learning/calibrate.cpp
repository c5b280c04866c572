#include "simulator/learning/calibrate.hpp"

#include "simulator/common/error.hpp"
#include "simulator/common/text_file.hpp"
#include "simulator/common/rng.hpp"
#include "simulator/learning/data_split.hpp"
#include "simulator/learning/learning_process.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <exception>
#include <fstream>
#include <mutex>
#include <thread>

namespace edgetrain {

double Calibration::target_of(const LossTrace& t) {
  return t.initial_loss - 0.75 * (t.initial_loss - t.loss.back());
}

namespace {
// The trained process's parameters: the scenario's learning.trained.* keys (whichever process
// the scenario itself runs).
Params trained_params(const Scenario& s, std::int64_t eval_samples, int threads) {
  const std::string prefix = "learning.trained.";
  std::map<std::string, Value> values;
  for (const auto& [path, v] : s.resolved)
    if (path.rfind(prefix, 0) == 0) values[path.substr(prefix.size())] = v;
  values["eval_samples"] = eval_samples;
  if (threads > 0) values["threads"] = std::int64_t{threads};
  return Params(values);
}

} // namespace

Scenario design_scenario(const Scenario& base) {
  Scenario s = base;
  s.data.by_host.clear();
  if (s.data.samples_per_node <= 0) s.data.samples_per_node = 600;
  return s;
}

std::vector<NodeData> design_data(const Scenario& s, int nodes, int classes) {
  std::vector<std::string> hosts(static_cast<std::size_t>(nodes) + 1, "node");
  std::vector<bool> trainer(hosts.size(), true);
  trainer[0] = false; // node 0 aggregates
  return split_data(s, hosts, trainer, classes);
}

Contribution design_contribution(const Scenario& s, const NodeData& d, const Compression& c) {
  // The trainer caps a batch at the node's own samples.
  const auto processed = static_cast<double>(s.training.local_steps * std::min(s.training.batch, d.samples));
  return {processed, static_cast<double>(d.samples), c.mean_keep(), label_skew(d.label_mix), c.mode, c.keep,
          d.label_mix};
}

LossTrace trained_trace(const Scenario& base, const ModelDescriptor& model, int nodes, int rounds,
                        double participation, const std::vector<Compression>& per_node, std::int64_t eval_samples,
                        int threads) {
  // One seed for every run: the same initial model and data, so that runs differ by the design
  // factors alone (seed-to-seed variation is the surrogate's noise parameter, not the fit's).
  const Scenario s = design_scenario(base);
  const std::vector<NodeData> data = design_data(s, nodes, model.classes);
  auto process = find_learning("trained").make({s, model, data}, trained_params(s, eval_samples, threads));

  LossTrace trace;
  trace.initial_loss = process->initial().loss;
  Rng who(s.seed, "calibrate.participants");
  const auto take = static_cast<std::size_t>(std::max(1.0, std::ceil(participation * nodes)));
  for (int r = 1; r <= rounds; ++r) {
    std::vector<NodeId> ids;
    for (NodeId i = 1; i <= static_cast<NodeId>(nodes); ++i)
      ids.push_back(i);
    for (std::size_t j = 0; j < take; ++j)
      std::swap(ids[j], ids[j + who.below(ids.size() - j)]);
    ids.resize(take);
    std::sort(ids.begin(), ids.end());
    RoundPlan plan;
    RoundOutcome out;
    out.round = r;
    std::vector<Contribution> contrib;
    for (NodeId id : ids) {
      const Compression& c = per_node[(id - 1) % per_node.size()];
      const double keep = c.mean_keep();
      Assignment a;
      a.node = id, a.local_steps = static_cast<int>(s.training.local_steps);
      a.batch = static_cast<int>(s.training.batch), a.compression = c;
      plan.trainers.push_back(a);
      NodeOutcome n;
      n.node = id, n.trained = n.finished = true, n.keep_mean = keep;
      contrib.push_back(design_contribution(s, data[id], c));
      n.samples_processed = static_cast<std::int64_t>(contrib.back().samples_processed);
      out.nodes.push_back(n);
    }
    const LearningSnapshot snap = process->advance(plan, out);
    trace.rounds.push_back(contrib);
    trace.loss.push_back(snap.loss);
    trace.accuracy.push_back(snap.accuracy);
  }
  return trace;
}

namespace {
CalibrationRun run_one(const Scenario& base, const ModelDescriptor& model, const CalibrationOptions& o,
                       int index, int threads) {
  Rng design(base.seed, fmt::format("calibrate.design.{}", index));
  CalibrationRun run;
  static const double kKeeps[] = {1.0, 0.75, 0.5, 0.3};
  static const Compression::Mode kModes[] = {Compression::Mode::Prune, Compression::Mode::Dropout,
                                             Compression::Mode::Nested, Compression::Mode::Submodel};
  // Down to a single trainer: planners weigh small sets against large ones, and how much one
  // trainer's round is worth is what pins participation_exponent down.
  static const double kParticipation[] = {1.0, 0.6, 0.3, 0.1};
  static const char* kSplits[] = {"iid", "dirichlet-0.5", "dirichlet-0.1", "shards-2"};
  // Sample counts, steps and batches as the shipped scenarios have them, and around: the fit must
  // not extrapolate from one regime (600 samples per node) to another (6,000 on the quickstart).
  static const std::int64_t kSamples[] = {600, 2000, 6000}, kSteps[] = {10, 20, 40}, kBatch[] = {16, 32, 64};
  run.keep = kKeeps[design.below(4)];
  run.mode = run.keep < 1 ? kModes[design.below(4)] : Compression::Mode::Prune;
  run.participation = kParticipation[design.below(4)];
  run.split = kSplits[design.below(4)];
  run.samples_per_node = kSamples[design.below(3)];
  run.local_steps = kSteps[design.below(3)];
  run.batch = kBatch[design.below(3)];
  // How the keep spreads: over every layer and node alike; or per layer (the first or the last
  // prunable layer kept whole, the others at the keep), which is what DISTREAL's vectors do; or
  // per node (node i at kKeeps[i mod 4], run.keep the nodes' mean), which is what HeteroFL and
  // DISTREAL's devices do.
  static const char* kSpreads[] = {"uniform", "uniform", "first-whole", "last-whole", "per-node"};
  run.spread = run.keep < 1 ? kSpreads[design.below(5)] : "uniform";
  run.fold = index % o.folds;
  // A run in long_every runs goes long_factor times as far: the floor shows only once curves flatten.
  const int rounds = o.long_every > 0 && index % o.long_every == 0 ? o.rounds * o.long_factor : o.rounds;

  Scenario s = base;
  s.data.label_alpha = run.split == "dirichlet-0.5" ? 0.5 : run.split == "dirichlet-0.1" ? 0.1 : 0.0;
  s.data.label_shards = run.split == "shards-2" ? 2 : 0;
  s.data.samples_per_node = run.samples_per_node;
  s.training.local_steps = run.local_steps;
  s.training.batch = run.batch;
  std::vector<Compression> per_node(1);
  const std::size_t layers = model.prunable_count();
  per_node[0].mode = run.mode;
  per_node[0].keep.assign(layers, run.keep);
  if (run.spread == "first-whole" && layers > 1) per_node[0].keep.front() = 1.0;
  if (run.spread == "last-whole" && layers > 1) per_node[0].keep.back() = 1.0;
  if (run.spread == "per-node") {
    per_node.assign(4, per_node[0]);
    double sum = 0;
    for (std::size_t i = 0; i < 4; ++i)
      per_node[i].keep.assign(layers, kKeeps[i]), sum += kKeeps[i];
    run.keep = sum / 4;
  } else {
    run.keep = per_node[0].mean_keep();
  }
  run.trace = trained_trace(s, model, o.nodes, rounds, run.participation, per_node, o.eval_samples, threads);
  return run;
}
} // namespace

Calibration calibrate(const Scenario& s, const CalibrationOptions& o,
                      const std::function<void(int, int)>& progress) {
  if (o.runs < 2 || o.rounds < 2 || o.nodes < 1 || o.folds < 2 || o.folds > o.runs)
    throw InputError("calibrate", "need at least 2 runs of 2 rounds, 1 node, and 2 folds to as many as runs");
  ModelDescriptor model;
  if (!find_model(s.model, model)) throw InputError(s.where("model.name"), "unknown model " + s.model);
  Calibration cal;
  cal.layer_weight = layer_weights(model); // the runs' per-layer keeps weighed as the surrogate does
  cal.runs.resize(static_cast<std::size_t>(o.runs));
  // Runs in parallel, each on one thread (the trained process's own threads set to 1): a run's
  // trace is the same whatever the job count.
  const int jobs = std::clamp(o.jobs > 0 ? o.jobs : static_cast<int>(std::thread::hardware_concurrency()), 1, o.runs);
  std::atomic<int> next{0};
  std::mutex m;
  int done = 0;
  std::exception_ptr failure;
  const auto worker = [&] {
    for (int i; (i = next++) < o.runs;) {
      try {
        CalibrationRun r = run_one(s, model, o, i, jobs > 1 ? 1 : 0);
        const std::lock_guard<std::mutex> lock(m);
        cal.runs[static_cast<std::size_t>(i)] = std::move(r);
        if (progress) progress(++done, o.runs);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(m);
        if (!failure) failure = std::current_exception();
        next = o.runs;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int j = 1; j < jobs; ++j)
    pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool)
    t.join();
  if (failure) std::rethrow_exception(failure);
  fit_calibration(cal, model.classes, o.folds, o.jobs);
  return cal;
}

int fitted_runs(const Calibration& c) {
  return static_cast<int>(
      std::count_if(c.runs.begin(), c.runs.end(), [](const CalibrationRun& r) { return !r.diverged; }));
}

namespace {
LossModel fit_start(int classes, const Calibration& cal) {
  LossModel start;
  start.layer_weight = cal.layer_weight;
  start.initial_loss = std::log(static_cast<double>(classes));
  start.participation_exponent = 0.5; // mid-range: the fit moves it either way
  start.tail_exponent = 1.0;
  start.skew_floor = 0.3; // off zero: a log-scaled parameter cannot leave 0
  return start;
}
// The fit of the runs for which `use` holds; too few rounds for twelve parameters is an input error.
LossFit fit_runs(const Calibration& cal, int classes, const std::function<bool(const CalibrationRun&)>& use,
                 const std::string& what) {
  std::vector<LossTrace> fit_on;
  std::size_t points = 0;
  for (const CalibrationRun& r : cal.runs)
    if (!r.diverged && use(r)) fit_on.push_back(r.trace), points += r.trace.loss.size();
  if (points < 24) // twelve parameters: at least two rounds per parameter
    throw InputError("calibrate", fmt::format("{} fitted rounds ({}) are too few to fit the loss model's twelve "
                                              "parameters: use more runs or rounds, or fewer folds",
                                              points, what));
  return fit_loss_model(fit_on, fit_start(classes, cal), classes);
}
} // namespace

void fit_calibration(Calibration& cal, int classes, int folds, int jobs) {
  // A run whose loss blew up (too large a step for the data), or more than doubled (one trainer
  // holding two classes drags the model far from the others' data), is no curve the model can
  // describe: it is reported and left out.
  cal.folds = folds;
  for (std::size_t i = 0; i < cal.runs.size(); ++i) {
    CalibrationRun& r = cal.runs[i];
    r.fold = static_cast<int>(i % static_cast<std::size_t>(folds));
    r.diverged = std::any_of(r.trace.loss.begin(), r.trace.loss.end(),
                             [&](double l) { return !std::isfinite(l) || l > 2 * r.trace.initial_loss; });
  }
  if (fitted_runs(cal) == 0)
    throw InputError("learning.trained.lr", "every calibration run diverged: lower learning.trained.lr");
  // The shipped fit (every run) and one per fold (the others), each on its own thread: a fit is a
  // pure function of its runs, so the result does not depend on the job count.
  std::vector<LossFit> fits(static_cast<std::size_t>(folds) + 1);
  std::vector<std::exception_ptr> failed(fits.size());
  const auto fit_one = [&](std::size_t j) {
    try {
      if (j == 0) fits[0] = fit_runs(cal, classes, [](const CalibrationRun&) { return true; }, "all runs");
      else {
        const int f = static_cast<int>(j) - 1;
        fits[j] = fit_runs(cal, classes, [f](const CalibrationRun& r) { return r.fold != f; },
                           fmt::format("without fold {}", f));
      }
    } catch (...) {
      failed[j] = std::current_exception();
    }
  };
  const std::size_t threads =
      std::clamp<std::size_t>(jobs > 0 ? static_cast<std::size_t>(jobs) : std::thread::hardware_concurrency(), 1,
                              fits.size());
  std::atomic<std::size_t> next{0};
  const auto worker = [&] {
    for (std::size_t j; (j = next++) < fits.size();)
      fit_one(j);
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t)
    pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool)
    t.join();
  for (const std::exception_ptr& e : failed)
    if (e) std::rethrow_exception(e);
  cal.fit = fits[0];
  double abs_sum = 0;
  int abs_n = 0;
  std::vector<double> rtt;
  for (CalibrationRun& r : cal.runs) {
    r.predicted = predict(cal.fit.model, r.trace);
    r.heldout = predict(fits[static_cast<std::size_t>(r.fold) + 1].model, r.trace);
    if (r.diverged) continue;
    for (std::size_t k = 0; k < r.heldout.size(); ++k)
      abs_sum += std::abs(r.heldout[k] - r.trace.loss[k]), ++abs_n;
    const double target = Calibration::target_of(r.trace);
    r.rounds_observed = rounds_to(r.trace.loss, target);
    r.rounds_predicted = rounds_to(r.heldout, target);
    // A prediction that never reaches the target counts as one round past the run's horizon.
    const int predicted =
        r.rounds_predicted > 0 ? r.rounds_predicted : static_cast<int>(r.trace.loss.size()) + 1;
    if (r.rounds_observed > 0)
      rtt.push_back(std::abs(predicted - r.rounds_observed) / static_cast<double>(r.rounds_observed));
  }
  cal.heldout_mae = abs_n > 0 ? abs_sum / abs_n : 0;
  if (!rtt.empty()) {
    std::sort(rtt.begin(), rtt.end());
    cal.heldout_rtt_median =
        rtt.size() % 2 ? rtt[rtt.size() / 2] : 0.5 * (rtt[rtt.size() / 2 - 1] + rtt[rtt.size() / 2]);
    cal.heldout_rtt_max = rtt.back();
  }
}

const char* mode_name(Compression::Mode m) {
  switch (m) {
  case Compression::Mode::Prune: return "prune";
  case Compression::Mode::Dropout: return "dropout";
  case Compression::Mode::Nested: return "nested";
  case Compression::Mode::Submodel: return "submodel";
  }
  return "prune";
}

namespace {
// Form 3: the keep's spread, each trainer's per-layer keeps and label mix (';'-separated).
// Column 9 was `heldout` (one run in k held out) before the folds; it is read either way and not used
// (a refit sets the folds anew).
const char* kTracesHeader = "run,split,keep,mode,spread,participation,samples_per_node,local_steps,batch,fold,"
                            "initial_loss,round,loss,accuracy,samples_processed,own_samples,trainer_keep,"
                            "label_skew,layer_keep,label_mix";
const char* kTracesHeaderHeldout = "run,split,keep,mode,spread,participation,samples_per_node,local_steps,batch,heldout,"
                            "initial_loss,round,loss,accuracy,samples_processed,own_samples,trainer_keep,"
                            "label_skew,layer_keep,label_mix";
const char* kTracesHeader2 = "run,split,keep,mode,participation,samples_per_node,local_steps,batch,heldout,"
                             "initial_loss,round,loss,accuracy,samples_processed,own_samples,trainer_keep,"
                             "label_skew";
constexpr std::size_t kTracesFields = 20;
std::string joined(const std::vector<double>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i)
    out += fmt::format("{}{}", i ? ";" : "", v[i]);
  return out;
}
// A ';'-separated list of finite numbers in [0, 1] ("" is empty); false if malformed.
bool parse_shares(const std::string& text, std::vector<double>& out) {
  out.clear();
  if (text.empty()) return true;
  for (const std::string& x : split(text, ';')) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(x, &used);
    } catch (const std::exception&) {
      return false;
    }
    if (used != x.size() || !(v >= 0 && v <= 1)) return false;
    out.push_back(v);
  }
  return true;
}
constexpr Compression::Mode kAllModes[] = {Compression::Mode::Prune, Compression::Mode::Dropout,
                                           Compression::Mode::Nested, Compression::Mode::Submodel};
} // namespace

std::string traces_csv(const Calibration& c) {
  std::string out = std::string(kTracesHeader) + "\n";
  for (std::size_t i = 0; i < c.runs.size(); ++i) {
    const CalibrationRun& r = c.runs[i];
    for (std::size_t k = 0; k < r.trace.rounds.size(); ++k)
      for (const Contribution& x : r.trace.rounds[k])
        out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", i, r.split, r.keep,
                           mode_name(r.mode), r.spread, r.participation, r.samples_per_node, r.local_steps,
                           r.batch, r.fold, r.trace.initial_loss, k + 1, r.trace.loss[k],
                           r.trace.accuracy[k], x.samples_processed, x.own_samples, x.keep, x.label_skew,
                           joined(x.layer_keep), joined(x.label_mix));
  }
  return out;
}

Calibration read_traces_csv(const std::string& path, int& rounds) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "cannot read");
  std::string line;
  std::getline(in, line);
  if (line.rfind("run,split,keep,dropout,", 0) == 0)
    throw InputError(path + ":1", "traces of an older edgetrain (one dropout flag, no sample counts, steps or "
                                  "batch): they cannot fit this loss model; run edgetrain calibrate without "
                                  "--from-traces");
  if (line == kTracesHeader2)
    throw InputError(path + ":1", "traces of an older edgetrain (no label mixes or per-layer keeps): they cannot "
                                  "fit this loss model; run edgetrain calibrate without --from-traces");
  if (line != kTracesHeader && line != kTracesHeaderHeldout) throw InputError(path + ":1", "not a calibration traces file (its header differs)");
  Calibration c;
  rounds = 0;
  for (int n = 2; std::getline(in, line); ++n) {
    const std::vector<std::string> f = split(line);
    const std::string where = fmt::format("{}:{}", path, n);
    if (f.size() != kTracesFields)
      throw InputError(where, fmt::format("expected {} fields, found {}", kTracesFields, f.size()));
    std::size_t run = 0, round = 0;
    std::vector<double> v(kTracesFields, 0.0);
    try {
      std::size_t used = 0;
      run = std::stoul(f[0], &used);
      if (used != f[0].size()) throw std::invalid_argument(f[0]);
      round = std::stoul(f[11], &used);
      if (used != f[11].size()) throw std::invalid_argument(f[11]);
      for (std::size_t j : {2u, 5u, 6u, 7u, 8u, 10u, 12u, 13u, 14u, 15u, 16u, 17u}) {
        v[j] = std::stod(f[j], &used);
        // Only a round's loss may be non-finite: that of a diverged run.
        if (used != f[j].size() || (!std::isfinite(v[j]) && j != 12)) throw std::invalid_argument(f[j]);
      }
    } catch (const std::exception&) {
      throw InputError(where, "malformed or non-finite number");
    }
    std::vector<double> layer_keep, mix;
    if (!parse_shares(f[18], layer_keep))
      throw InputError(where, "layer_keep: expected numbers in [0, 1] separated by ';'");
    if (!parse_shares(f[19], mix)) throw InputError(where, "label_mix: expected numbers in [0, 1] separated by ';'");
    if (run > c.runs.size() || round < 1)
      throw InputError(where, "runs and rounds must come in order, from 0 and 1");
    if (run == c.runs.size()) {
      CalibrationRun r;
      r.split = f[1], r.keep = v[2], r.spread = f[4], r.participation = v[5];
      const auto mode = std::find_if(std::begin(kAllModes), std::end(kAllModes),
                                     [&](Compression::Mode m) { return f[3] == mode_name(m); });
      if (mode == std::end(kAllModes))
        throw InputError(where, fmt::format("mode '{}': expected prune, dropout, nested or submodel", f[3]));
      r.mode = *mode;
      r.samples_per_node = static_cast<std::int64_t>(v[6]), r.local_steps = static_cast<std::int64_t>(v[7]);
      r.batch = static_cast<std::int64_t>(v[8]);
      r.trace.initial_loss = v[10];
      c.runs.push_back(r);
    }
    LossTrace& t = c.runs[run].trace;
    if (round == t.rounds.size() + 1) {
      t.rounds.emplace_back();
      t.loss.push_back(v[12]);
      t.accuracy.push_back(v[13]);
    } else if (round != t.rounds.size()) {
      throw InputError(where, "runs and rounds must come in order, from 0 and 1");
    }
    t.rounds.back().push_back({v[14], v[15], v[16], v[17], c.runs[run].mode, layer_keep, mix});
    rounds = std::max(rounds, static_cast<int>(round));
  }
  if (c.runs.empty()) throw InputError(path, "no traces");
  return c;
}

std::vector<std::pair<std::string, double>> surrogate_values(const LossModel& m) {
  return {{"initial_loss", m.initial_loss},
          {"floor_loss", m.floor_loss},
          {"compression_floor", m.compression_floor},
          {"compression_rate", m.compression_rate},
          {"dropout_rate", m.dropout_rate},
          {"nested_rate", m.nested_rate},
          {"submodel_rate", m.submodel_rate},
          {"plateau", m.plateau},
          {"samples_scale", m.samples_scale},
          {"skew_exponent", m.skew_exponent},
          {"skew_shape", m.skew_shape},
          {"skew_floor", m.skew_floor},
          {"participation_exponent", m.participation_exponent},
          {"tail_exponent", m.tail_exponent},
          {"swing", m.swing},
          {"swing_skew", m.swing_skew}};
}

std::string calibration_toml(const Calibration& c, const Scenario& s, const CalibrationOptions& o,
                             const std::string& command_line) {
  const LossModel& m = c.fit.model;
  const int diverged = static_cast<int>(c.runs.size()) - fitted_runs(c);
  std::string sources, notes;
  for (const std::string& line : c.notes)
    notes += "# " + line + "\n";
  for (int first = 0; const Calibration::Source& src : c.sources) {
    if (c.sources.size() < 2) break;
    sources += fmt::format("{} runs {}-{} from {}", first ? ";" : "; merged:", first, first + src.runs - 1,
                           src.traces);
    first += src.runs;
  }
  std::string out = fmt::format(
      "# Calibration of the surrogate learning process (learning.surrogate.*), fitted to runs of the\n"
      "# trained process. Made by:\n#   {}\n"
      "# model {}, data set {}, seed {}; each run's sample count, local steps and batch below\n"
      "# design: {} runs of {} rounds{}, {} trainers{}\n"
      "# fit: log-loss RMSE {:.4f} on all {} runs{}, {} model evaluations\n"
      "# held out ({} folds, run i in fold i mod {}: each run predicted by the fit on the other folds): mean "
      "absolute loss error {:.4f}; rounds-to-target relative error median {:.3f}, max {:.3f}\n"
      "{}#\n# run  split          keep  mode      spread       particip.  samples  steps  batch  rounds  fold      "
      "loss: first  last  fitted last  held-out last  rounds to target: observed  held out\n",
      command_line, s.model, s.data.dataset, s.seed, o.runs, o.rounds,
      o.long_every > 0 ? fmt::format(" (one in {} runs {} times as many)", o.long_every, o.long_factor) : "",
      o.nodes, sources, c.fit.rmse, fitted_runs(c),
      diverged > 0 ? fmt::format(" but the {} that diverged", diverged) : "", c.fit.evaluations, c.folds,
      c.folds, c.heldout_mae, c.heldout_rtt_median, c.heldout_rtt_max, notes);
  for (std::size_t i = 0; i < c.runs.size(); ++i) {
    const CalibrationRun& r = c.runs[i];
    out += fmt::format(
        "# {:>3}  {:<13} {:>5.2f}  {:<8}  {:<11} {:>10.1f}  {:>7}  {:>5}  {:>5}  {:>6}  {:<8}  {:>11.4f} {:>6.4f} "
        "{:>12.4f}  {:>13.4f}  {:>26}  {:>8}\n",
        i, r.split, r.keep, r.keep < 1 ? mode_name(r.mode) : "-", r.keep < 1 ? r.spread : "-", r.participation,
        r.samples_per_node, r.local_steps, r.batch, r.trace.loss.size(),
        r.diverged ? "diverged" : std::to_string(r.fold), r.trace.loss.front(), r.trace.loss.back(),
        r.predicted.empty() ? 0.0 : r.predicted.back(), r.heldout.empty() ? 0.0 : r.heldout.back(),
        r.diverged || r.rounds_observed == 0 ? "" : std::to_string(r.rounds_observed),
        r.diverged || r.rounds_observed == 0 ? "" : r.rounds_predicted > 0 ? std::to_string(r.rounds_predicted)
                                                                           : "never");
  }
  // What it was fitted for, read back: a file for another model or data set is refused.
  out += fmt::format("\n[fitted_for]\nmodel = \"{}\"\ndataset = \"{}\"\nform = {}\n", s.model, s.data.dataset,
                     kCalibrationForm);
  out += "\n[learning.surrogate]\n";
  for (const auto& [key, value] : surrogate_values(m))
    out += fmt::format("{} = {}\n", key, value_to_string(Value{value}));
  out += fmt::format("accuracy_table = {}\n", value_to_string(Value{m.accuracy_table}));
  if (c.layer_weight_fitted) out += fmt::format("layer_weights = {}\n", value_to_string(Value{c.layer_weight}));
  return out;
}

} // namespace edgetrain
