#include "policies/policy.hpp"
#include "simulator/learning/learning_process.hpp"
#include "simulator/learning/model.hpp"
#include "simulator/scenario/scenario.hpp"

#include <limits>

namespace edgetrain {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<std::string> policy_names() {
  std::vector<std::string> names;
  for (const PolicyInfo& p : policy_registry())
    names.push_back(p.name);
  return names;
}
std::vector<std::string> learning_names() {
  std::vector<std::string> names;
  for (const LearningInfo& l : learning_registry())
    names.push_back(l.name);
  return names;
}

std::vector<KeySpec> build_schema() {
  std::vector<KeySpec> s = {
      key_string("scenario.name", "", "name of the run (default: the scenario file's stem)"),
      key_int("scenario.seed", 1, 0, kInf, "", "master seed; every random stream derives from it"),

      key_string("platform.file", "", "SimGrid platform XML, relative to the scenario file (required)"),
      key_string("platform.aggregator", "",
                 "host that aggregates (default: the host whose property role is \"aggregator\")"),
      key_list("platform.trainers", {},
               "host name patterns (shell globs) of the trainers (default: hosts with role \"trainer\", "
               "or, when none has it, every host but the aggregator and hosts with role \"none\")"),
      key_list("platform.traces", {},
               "availability trace files (edgetrain trace format), relative to the scenario file; added to "
               "those the platform names in a zone property edgetrain_traces"),
      key_list("platform.simgrid_cfg", {},
               "SimGrid --cfg settings applied before loading, e.g. [\"network/model:CM02\"]"),

      key_string("model.name", "lenet5", "built-in model", model_names()),
      key_int("model.update_bits", 32, 1, 32, "bits", "bits per value of the updates sent back"),

      key_string("data.dataset", "fashion-mnist", "data set the samples come from",
                 {"fashion-mnist", "synthetic"}),
      key_int("data.total_samples", 0, 0, kInf, "samples",
              "samples split among trainers (0: the data set's training-set size, 60,000)"),
      key_int("data.samples_per_node", 0, 0, kInf, "samples",
              "samples on every trainer (0: split data.total_samples instead)"),
      key_string("data.quantity_skew", "equal", "how data.total_samples is split", {"equal", "lognormal"}),
      key_float("data.quantity_sigma", 1.0, 0, 10, "", "sigma of the lognormal split"),
      key_float("data.label_alpha", 0.0, 0, 1e6, "",
                "Dirichlet concentration of each node's label mix (0: IID; 0.1: strongly non-IID)"),
      key_int("data.label_shards", 0, 0, 1000, "classes",
              "each trainer holds this many classes in equal parts, dealt so that every class is used "
              "about equally (McMahan et al.'s shards; 0: off; not with data.label_alpha)"),

      key_int("training.local_steps", 10, 1, 1e9, "steps", "local SGD steps per round"),
      key_int("training.batch", 32, 1, 1e9, "samples", "mini-batch size"),
      key_int("training.max_local_steps", 0, 0, 1e9, "steps",
              "most local steps a policy may give a trainer; more is clipped by the engine (0: no bound)"),
      key_int("training.max_batch", 0, 0, 1e9, "samples",
              "largest mini-batch a policy may give a trainer; larger is clipped by the engine (0: no bound)"),
      key_float("training.target_loss", 0.5, 0, kInf, "", "training loss to reach", true),
      key_float("training.deadline_s", 86400, 0, kInf, "s",
                "simulated time by which to reach it; nothing runs past it (a round still running then is "
                "stopped there)",
                true),
      key_int("training.max_rounds", 100, 1, 1e9, "rounds", "hard limit on rounds"),
      key_float("training.round_timeout_s", 0, 0, 1e12, "s",
                "updates arriving later than this after the round starts are dropped (0: none); a ceiling "
                "on every policy's round length"),
      key_float("training.idle_wait_s", 60, 0, 1e9, "s",
                "when the policy finds no trainer available (all offline), wait this long and ask again",
                true),
      key_bool("training.stop_at_target", true,
               "end the run at the first round that reaches the target loss"),
      key_float("training.aggregation_flops_per_param", 2.0, 0, 1e6, "FLOP",
                "aggregator work per parameter per received update"),

      key_string("policy.name", "fedavg", "policy deciding each round", policy_names()),
      key_string("learning.process", "surrogate", "learning process turning rounds into loss",
                 learning_names()),
  };
  for (const PolicyInfo& p : policy_registry())
    for (KeySpec k : p.params) {
      k.path = "policy." + p.name + "." + k.path;
      s.push_back(std::move(k));
    }
  for (const LearningInfo& l : learning_registry())
    for (KeySpec k : l.params) {
      k.path = "learning." + l.name + "." + k.path;
      s.push_back(std::move(k));
    }
  return s;
}
} // namespace

const std::vector<KeySpec>& scenario_schema() {
  static const std::vector<KeySpec> schema = build_schema();
  return schema;
}

} // namespace edgetrain
