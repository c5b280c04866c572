#pragma once
// One CSV field as RFC 4180 writes it: quoted when it holds a comma, a quote or a line break.
#include <string>

namespace edgetrain {

inline std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char ch : v)
    out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

} // namespace edgetrain
