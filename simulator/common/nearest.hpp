#pragma once
// "Did you mean ...?" for unknown names: the candidate at the smallest edit distance.
#include <string>
#include <vector>

namespace edgetrain {

std::size_t edit_distance(const std::string& a, const std::string& b);
// The nearest candidate, or "" when none is close enough to be a plausible typo.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);
// ", " joined list.
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

} // namespace edgetrain
