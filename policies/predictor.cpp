#include "policies/predictor.hpp"

#include "simulator/common/error.hpp"
#include "simulator/learning/surrogate.hpp"
#include "simulator/scenario/scenario.hpp"

#include <fmt/format.h>

namespace edgetrain {

KeySpec predictor_key() {
  return key_string("predictor", "auto",
                    "loss predictor to plan with: auto (the one shipped for the model and data set in "
                    "configs/predictors/, fitted apart from the surrogate's calibration), a calibration file "
                    "(edgetrain calibrate; relative to the scenario), or oracle (the surrogate's own "
                    "parameters: an upper bound)");
}

Predictor load_predictor(const PolicyContext& ctx, const std::string& name) {
  const std::string key = "policy." + name + ".predictor";
  const std::string& given = ctx.params.text("predictor");
  Predictor p;
  if (given == "oracle") {
    if (!ctx.ground_truth)
      throw InputError(ctx.where(key), key + ": oracle is the surrogate process's own parameters, and this "
                                             "run's learning process is not the surrogate");
    p.model = *ctx.ground_truth;
    p.source = "oracle";
    p.oracle = true;
    return p;
  }
  std::filesystem::path file;
  std::string shown;
  if (given == "auto") {
    file = shipped_predictor(ctx.model.name, ctx.dataset);
    shown = file.string();
  } else {
    file = (ctx.base_dir / given).lexically_normal();
    shown = file.string();
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw InputError(ctx.where(key),
                     fmt::format("{}: no predictor file {}{}", key, shown,
                                 given == "auto" ? " (none shipped for this model and data set: name one made "
                                                   "with edgetrain calibrate)"
                                                 : ""));
  p.model = surrogate_model(read_calibration_file(file, shown, ctx.model.name, ctx.dataset), ctx.model.classes);
  resolve_layer_weights(p.model, ctx.model, shown);
  // Named as the user would, not by absolute path: outputs stay the same from one checkout to another.
  p.source = given == "auto" ? "auto: configs/predictors/" + file.filename().string() : given;
  return p;
}

std::vector<std::pair<std::string, std::string>> predictor_info(const Predictor& p) {
  if (p.oracle)
    return {{"predictor", "oracle"},
            {"predictor_note", "an upper bound: plans with the surrogate process's own parameters"}};
  return {{"predictor", p.source}};
}

} // namespace edgetrain
