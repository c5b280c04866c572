#pragma once
// `edgetrain platform generate` and `edgetrain platform import-availability`.
#include "simulator/platform/generate.hpp"

#include <string>

namespace edgetrain {

struct GenerateArgs {
  GenerateOptions options;
  std::string mix;     // CLASS:FRACTION,...
  std::string traces;  // speed,churn,diurnal
  std::string out;     // OUT.xml; traces go to OUT.trace beside it
  std::string catalog; // "" = the catalog shipped with edgetrain
};
int generate_command(GenerateArgs args);

// CSV "client,start_s,end_s" (a header line is allowed): the intervals in which each client is
// available. Writes a trace file with one state section per client (host names = client ids).
int import_availability_command(const std::string& csv, const std::string& out);

} // namespace edgetrain
