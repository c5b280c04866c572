#pragma once
// A calibration file's header reports how the surrogate on its parameters fares against training on
// campaigns (`edgetrain calibrate --fidelity DIR`): one line per `edgetrain fidelity` folder, read
// from DIR/fidelity.json, once every fast run DIR/fast/runs.csv lists is checked to have run on
// exactly these parameters (a folder measured on an older fit is refused, not reported).
#include "simulator/learning/loss_model.hpp"

#include <string>
#include <vector>

namespace edgetrain {

// Throws InputError (naming the folder's file and the first parameter that differs) on a folder
// that is not a fidelity study of the surrogate for `model`, or whose fast runs used other values
// (`layer_weights`: the fit's learning.surrogate.layer_weights, empty when it has none).
std::vector<std::string> fidelity_notes(const std::vector<std::string>& dirs, const LossModel& fitted,
                                        const std::vector<double>& layer_weights, const std::string& model);

} // namespace edgetrain
