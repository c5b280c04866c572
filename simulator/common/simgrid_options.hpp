#pragma once
// The SimGrid options edgetrain lets through, and their values, checked the same way wherever
// they come from: --cfg=, platform.simgrid_cfg, a platform file's <config> section. SimGrid 3.32
// aborts, crashes or hangs on bad values of many options (an unknown model name, cpu/optim:TI,
// contexts/stack-size:1, surf/precision:-1), so only options checked to work pass.
#include <string>
#include <vector>

namespace edgetrain {

// "" when SimGrid may be given name:value; otherwise why not, starting with the name.
std::string simgrid_option_problem(const std::string& name, const std::string& value);

// The words SimGrid reads as booleans (options and --log additivity).
const std::vector<std::string>& simgrid_bool_words();

// The option names that pass.
std::vector<std::string> simgrid_option_names();

} // namespace edgetrain
