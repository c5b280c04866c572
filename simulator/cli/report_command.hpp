#pragma once
// `edgetrain report DIR`: figures and a Markdown summary of a campaign folder, drawn by
// simulator/report/edgetrain_report.py with Debian's python3-matplotlib.
#include <string>

namespace edgetrain {

// The script's exit code: 0 done, 2 bad input (no campaign there, python3 or matplotlib missing).
int report_command(const std::string& dir);

} // namespace edgetrain
