#pragma once
#include <string>

namespace edgetrain {

// `edgetrain validate PLATFORM.xml [SCENARIO.toml]`: loads and checks a platform without
// simulating, prints a table of its hosts by class, and lists every problem found.
// Returns 0 when sound, 2 otherwise.
int validate_command(const std::string& platform, const std::string& scenario);

} // namespace edgetrain
