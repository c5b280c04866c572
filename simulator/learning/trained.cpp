#include "simulator/learning/trained.hpp"

#include "simulator/common/error.hpp"
#include "simulator/common/memory.hpp"
#include "simulator/common/rng.hpp"
#include "simulator/learning/data/dataset.hpp"
#include "simulator/learning/data_split.hpp"
#include "simulator/learning/local_units.hpp"
#include "simulator/learning/nn/masked_average.hpp"
#include "simulator/scenario/scenario.hpp"

#include <Eigen/Core>
#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <numeric>
#include <thread>

namespace edgetrain {

namespace {
Eigen::MatrixXf gather_rows(const Eigen::MatrixXf& x, const std::vector<int>& rows) {
  Eigen::MatrixXf out(static_cast<Eigen::Index>(rows.size()), x.cols());
  for (Eigen::Index j = 0; j < x.cols(); ++j)
    for (std::size_t i = 0; i < rows.size(); ++i)
      out(static_cast<Eigen::Index>(i), j) = x(rows[i], j);
  return out;
}

std::vector<int> gather(const std::vector<int>& v, const std::vector<int>& idx) {
  std::vector<int> out;
  out.reserve(idx.size());
  for (int i : idx)
    out.push_back(v[static_cast<std::size_t>(i)]);
  return out;
}

// Up to n of `pool`, drawn without replacement (all of it when n is 0 or larger), in pool order.
std::vector<int> subsample(std::vector<int> pool, std::int64_t n, Rng& rng) {
  if (n <= 0 || static_cast<std::size_t>(n) >= pool.size()) return pool;
  for (std::size_t j = 0; j < static_cast<std::size_t>(n); ++j)
    std::swap(pool[j], pool[j + rng.below(pool.size() - j)]);
  pool.resize(static_cast<std::size_t>(n));
  std::sort(pool.begin(), pool.end());
  return pool;
}

class Trained final : public LearningProcess {
public:
  Trained(const LearningContext& ctx, const Params& p)
      : shape_(nn::net_shape(ctx.model)), trainer_(shape_), data_(ctx.data), seed_(ctx.scenario.seed) {
    const Scenario& s = ctx.scenario;
    sgd_ = {p.number("lr"), p.number("momentum"), p.number("weight_decay"), p.number("clip_norm")};
    // Trainers train in parallel, each on one thread: results are then the same whatever the
    // thread count, which a multithreaded GEMM would not give (its blocking, and so its float
    // rounding, depends on the thread count).
    const std::int64_t threads = p.integer("threads");
    threads_ =
        threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());
    Eigen::setNbThreads(1);
    // Every sample a trainer holds is an index (and a copy of it while it trains, and one in the
    // evaluation pool); a synthetic one is its features too. Refused now if that cannot fit.
    {
      double samples = 0;
      for (const NodeData& d : data_)
        samples += static_cast<double>(d.samples);
      const double per_sample =
          16.0 + (s.data.dataset == "synthetic"
                      ? 4.0 * (1 + ctx.model.in_channels * ctx.model.in_h * ctx.model.in_w)
                      : 0.0);
      const auto available = static_cast<double>(available_memory_bytes());
      if (samples * per_sample > 0.8 * available) {
        const std::string key = s.data.samples_per_node > 0 ? "data.samples_per_node" : "data.total_samples";
        throw InputError(s.where(key), fmt::format("{}: the trained process would hold {:.3g} samples, {}, and {} "
                                                   "is available: fewer samples (the surrogate takes any number)",
                                                   key, samples, bytes_text(samples * per_sample),
                                                   bytes_text(available)));
      }
    }
    if (s.data.dataset == "synthetic") {
      std::vector<std::int64_t> counts;
      for (const NodeData& d : data_)
        counts.push_back(d.samples);
      src_ = std::make_shared<const DataSource>(
          make_synthetic(counts, p.number("synthetic_alpha"), p.number("synthetic_beta"), seed_));
    } else {
      const std::string& dir = p.text("data_dir");
      if (!std::filesystem::is_directory(dir))
        throw InputError(s.where("learning.trained.data_dir"),
                         fmt::format("learning.trained.data_dir: {}: the Fashion-MNIST data set is not there "
                                     "(Debian: apt-get install dataset-fashion-mnist)",
                                     dir));
      src_ = shared_fashion_mnist(dir);
    }
    const Dataset& tr = src_->train;
    if (tr.channels != ctx.model.in_channels || tr.height != ctx.model.in_h || tr.width != ctx.model.in_w ||
        tr.classes != ctx.model.classes)
      throw InputError(
          s.where("model.name"),
          fmt::format("model.name: model '{}' takes {}x{}x{} inputs and {} classes, but data set '{}' has "
                      "{}x{}x{} and {}{}",
                      ctx.model.name, ctx.model.in_channels, ctx.model.in_h, ctx.model.in_w,
                      ctx.model.classes, tr.name, tr.channels, tr.height, tr.width, tr.classes,
                      tr.name == "synthetic" ? " (use model 'synthetic-mlp')" : ""));
    Rng deal(seed_, "learning.trained.deal");
    node_samples_ = assign_samples(data_, tr.y, src_->owner, tr.classes, deal);
    Rng pick(seed_, "learning.trained.eval");
    std::vector<int> pool;
    for (const auto& v : node_samples_)
      pool.insert(pool.end(), v.begin(), v.end());
    std::sort(pool.begin(), pool.end());
    pool.erase(std::unique(pool.begin(), pool.end()), pool.end());
    const auto train_eval = subsample(pool, p.integer("eval_samples"), pick);
    train_x_ = gather_rows(tr.x, train_eval), train_y_ = gather(tr.y, train_eval);
    std::vector<int> test_all(static_cast<std::size_t>(src_->test.size()));
    std::iota(test_all.begin(), test_all.end(), 0);
    const auto test_eval = subsample(test_all, p.integer("eval_samples"), pick);
    test_x_ = gather_rows(src_->test.x, test_eval), test_y_ = gather(src_->test.y, test_eval);
    Rng init(seed_, "learning.trained.init");
    global_ = nn::Params::init(shape_, init);
    alive_ = nn::Selection::all(shape_);
    initial_ = snapshot(0);
  }

  [[nodiscard]] LearningSnapshot initial() const override { return initial_; }

  [[nodiscard]] std::vector<float> parameters() const override {
    std::vector<float> out;
    for (std::size_t l = 0; l < global_.w.size(); ++l) {
      out.insert(out.end(), global_.w[l].data(), global_.w[l].data() + global_.w[l].size());
      out.insert(out.end(), global_.b[l].data(), global_.b[l].data() + global_.b[l].size());
    }
    return out;
  }

  LearningSnapshot advance(const RoundPlan& plan, const RoundOutcome& outcome) override {
    prune(plan);
    std::vector<Job> jobs;
    for (const Assignment& a : plan.trainers) {
      const auto it = std::find_if(outcome.nodes.begin(), outcome.nodes.end(),
                                   [&](const NodeOutcome& n) { return n.node == a.node && n.trained; });
      if (it != outcome.nodes.end() && it->finished && !node_samples_[a.node].empty())
        jobs.push_back({&a, &*it});
    }
    // Trainers go in batches of threads_, one thread each with its own Trainer (its own buffers);
    // each batch is added to the average in plan order, so the sum's rounding does not depend on
    // timing, and only one batch of local models is held at a time.
    nn::MaskedAverage avg(shape_);
    std::vector<nn::Trainer> trainers(std::min<std::size_t>(threads_, std::max<std::size_t>(1, jobs.size())),
                                      nn::Trainer(shape_));
    for (std::size_t first = 0; first < jobs.size(); first += trainers.size()) {
      const std::size_t n = std::min(trainers.size(), jobs.size() - first);
      std::vector<nn::Params> local(n);
      std::vector<nn::Touched> touched(n); // each set by its training
      // An exception must not escape a thread (std::terminate): each is kept and rethrown here.
      std::vector<std::exception_ptr> failed(n);
      const auto work = [&](std::size_t k) {
        try {
          local[k] = train_locally(trainers[k], jobs[first + k], outcome.round, touched[k]);
        } catch (...) {
          failed[k] = std::current_exception();
        }
      };
      std::vector<std::thread> pool;
      for (std::size_t k = 1; k < n; ++k)
        pool.emplace_back(work, k);
      work(0);
      for (auto& th : pool)
        th.join();
      for (const auto& e : failed)
        if (e) std::rethrow_exception(e);
      for (std::size_t k = 0; k < n; ++k)
        avg.add(local[k], touched[k], static_cast<double>(node_samples_[jobs[first + k].a->node].size()));
    }
    if (!jobs.empty()) global_ = avg.result(global_);
    return snapshot(outcome.round);
  }

private:
  // Prunes the global model to the smallest keep any planned, pruning trainer asks for.
  void prune(const RoundPlan& plan) {
    std::vector<double> keep(shape_.slot_units.size(), 1.0);
    bool asked = false;
    for (const Assignment& a : plan.trainers) {
      if (!a.compression.keep.empty()) nn::check_keep(shape_, a.compression.keep); // before any thread
      for (const Compression& c : a.options)
        if (!c.keep.empty()) nn::check_keep(shape_, c.keep);
      if (a.compression.keeps_model_whole() || a.compression.keep.empty()) continue;
      for (std::size_t i = 0; i < keep.size(); ++i)
        keep[i] = std::min(keep[i], a.compression.keep[i]);
      asked = true;
    }
    if (asked) alive_ = nn::Selection::by_magnitude(shape_, global_, keep, alive_);
  }

  struct Job {
    const Assignment* a;
    const NodeOutcome* o; // its step_option, when the device chose its compression per mini-batch
  };

  nn::Params train_locally(nn::Trainer& trainer, const Job& job, int round, nn::Touched& touched) const {
    const Assignment& a = *job.a;
    nn::Params local = global_, velocity = nn::Params::zeros(shape_);
    Rng rng(seed_, fmt::format("learning.trained.node.{}.round.{}", a.node, round));
    LocalUnits units(shape_, alive_, seed_, a.node, round);
    nn::SgdConfig sgd = sgd_;
    sgd.prox_mu = a.prox_mu; // FedProx: towards the global model the round started from
    std::vector<int> order = node_samples_[a.node];
    const std::size_t batch = std::min(order.size(), static_cast<std::size_t>(std::max(1, a.batch)));
    std::size_t next = order.size(); // forces a shuffle before the first batch
    std::vector<int> idx(batch);
    for (int step = 0; step < a.local_steps; ++step) {
      for (std::size_t k = 0; k < batch; ++k) {
        if (next == order.size()) { // a new pass over the node's data, in a fresh order
          for (std::size_t j = order.size(); j > 1; --j)
            std::swap(order[j - 1], order[rng.below(j)]);
          next = 0;
        }
        idx[k] = order[next++];
      }
      const Compression& c = job.o->step_option.empty()
                                 ? a.compression
                                 : a.options[job.o->step_option[static_cast<std::size_t>(step)]];
      const nn::Selection& sel = units.next(c, rng);
      trainer.step(local, velocity, gather_rows(src_->train.x, idx), gather(src_->train.y, idx), sel, sgd,
                   &global_);
    }
    touched = units.touched();
    return local;
  }

  LearningSnapshot snapshot(int round) {
    const nn::Evaluation train = trainer_.evaluate(global_, train_x_, train_y_, alive_);
    const nn::Evaluation test = trainer_.evaluate(global_, test_x_, test_y_, alive_);
    return {round, train.loss, test.accuracy};
  }

  nn::NetShape shape_;
  nn::Trainer trainer_;
  const std::vector<NodeData>& data_;
  std::uint64_t seed_;
  nn::SgdConfig sgd_;
  unsigned threads_ = 1;
  std::shared_ptr<const DataSource> src_;
  std::vector<std::vector<int>> node_samples_;
  Eigen::MatrixXf train_x_, test_x_;
  std::vector<int> train_y_, test_y_;
  nn::Params global_;
  nn::Selection alive_;
  LearningSnapshot initial_;
};
} // namespace

LearningInfo trained_learning_info() {
  return {
      "trained",
      "trains the real network (Eigen) with the trainers that finished, their data and compression",
      {key_float("lr", 0.1, 0, 10, "", "SGD learning rate"),
       key_float("momentum", 0.5, 0, 0.999, "", "SGD momentum (reset every round)"),
       key_float("weight_decay", 5e-4, 0, 1, "", "L2 weight decay"),
       key_float("clip_norm", 2, 0, 1e6, "", "clip each mini-batch gradient to this norm (0: no clipping)"),
       key_int("eval_samples", 2000, 0, 1e9, "samples",
               "training and test samples the loss and accuracy are measured on (0: all)"),
       key_int("threads", 0, 0, 1024, "",
               "trainers trained in parallel (0: one per core; results do not depend on it)"),
       key_float("synthetic_alpha", 1, 0, 100, "", "Synthetic(alpha, beta): spread of the devices' models"),
       key_float("synthetic_beta", 1, 0, 100, "", "Synthetic(alpha, beta): spread of the devices' inputs"),
       key_string("data_dir", kFashionMnistDir, "where the Fashion-MNIST IDX files are")},
      [](const LearningContext& ctx, const Params& p) -> std::unique_ptr<LearningProcess> {
        return std::make_unique<Trained>(ctx, p);
      }};
}

} // namespace edgetrain
