#include "mutate.hpp"

#include <cctype>
#include <vector>

namespace fuzz {

std::uint64_t SplitMix::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

const char* const kEdgeValues[] = {
    "0", "-1", "-0", "1e308", "1e309", "-1e309", "9007199254740993", "9007199254740992", "18446744073709551616",
    "99999999999999999999", "2147483648", "-2147483649", "inf", "-inf", "nan", "1e-320", "0.0000001", "1e8",
    "1e12", "65536", "4294967296", "", "abc", "\"\"", "true", "[]", "[1, 2]", "{}", "0x10", "1_000", "+5",
    "1e", ".", "-", "\xff\xfe", "\xc3(", "%s%n", ",", ";", "\"", "'", "<", "&amp;", "&#0;", "\t"};
const std::size_t kEdgeValueCount = sizeof kEdgeValues / sizeof kEdgeValues[0];

namespace {

struct Line {
  std::size_t begin, end; // [begin, end) including the newline
};

std::vector<Line> lines_of(const std::string& s) {
  std::vector<Line> out;
  std::size_t b = 0;
  while (b < s.size()) {
    std::size_t e = s.find('\n', b);
    e = e == std::string::npos ? s.size() : e + 1;
    out.push_back({b, e});
    b = e;
  }
  return out;
}

// The [begin, end) ranges of number-like tokens (digits with signs, dots, exponents).
std::vector<Line> numbers_of(const std::string& s) {
  std::vector<Line> out;
  for (std::size_t i = 0; i < s.size();) {
    if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      std::size_t b = i;
      if (b > 0 && (s[b - 1] == '-' || s[b - 1] == '+')) --b;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.' || s[i] == 'e' ||
                              s[i] == 'E' || ((s[i] == '-' || s[i] == '+') && (s[i - 1] == 'e' || s[i - 1] == 'E'))))
        ++i;
      out.push_back({b, i});
    } else {
      ++i;
    }
  }
  return out;
}

// The [begin, end) ranges of quoted values ("..." in XML attributes, TOML strings, CSV fields).
std::vector<Line> quoted_of(const std::string& s) {
  std::vector<Line> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '"') continue;
    const std::size_t e = s.find('"', i + 1);
    if (e == std::string::npos || s.find('\n', i) < e) continue;
    out.push_back({i + 1, e});
    i = e;
  }
  return out;
}

void apply_one(std::string& s, SplitMix& g) {
  const std::string edge = kEdgeValues[g.below(kEdgeValueCount)];
  switch (g.below(9)) {
  case 0: // a number replaced by an edge value (the most fruitful operator: weighted twice)
  case 1: {
    const auto nums = numbers_of(s);
    if (nums.empty()) break;
    const Line n = nums[g.below(nums.size())];
    s.replace(n.begin, n.end - n.begin, edge);
    break;
  }
  case 2: { // a quoted value replaced by an edge value
    const auto q = quoted_of(s);
    if (q.empty()) break;
    const Line n = q[g.below(q.size())];
    s.replace(n.begin, n.end - n.begin, edge);
    break;
  }
  case 3: { // a line deleted
    const auto ls = lines_of(s);
    if (ls.empty()) break;
    const Line l = ls[g.below(ls.size())];
    s.erase(l.begin, l.end - l.begin);
    break;
  }
  case 4: { // a line doubled (duplicate keys, ids, rows)
    const auto ls = lines_of(s);
    if (ls.empty()) break;
    const Line l = ls[g.below(ls.size())];
    s.insert(l.end, s.substr(l.begin, l.end - l.begin));
    break;
  }
  case 5: { // two lines swapped (order-dependent readers: headers, sections)
    const auto ls = lines_of(s);
    if (ls.size() < 2) break;
    std::size_t a = g.below(ls.size()), b = g.below(ls.size());
    if (a == b) break;
    if (a > b) std::swap(a, b);
    const std::string la = s.substr(ls[a].begin, ls[a].end - ls[a].begin);
    const std::string lb = s.substr(ls[b].begin, ls[b].end - ls[b].begin);
    s.replace(ls[b].begin, lb.size(), la);
    s.replace(ls[a].begin, la.size(), lb);
    break;
  }
  case 6: { // one byte changed
    if (s.empty()) break;
    s[g.below(s.size())] = static_cast<char>(g.below(256));
    break;
  }
  case 7: { // cut short
    if (s.empty()) break;
    s.resize(g.below(s.size()));
    break;
  }
  default: { // a byte range removed (a tag or a key half gone)
    if (s.empty()) break;
    const std::size_t at = g.below(s.size());
    s.erase(at, 1 + g.below(std::min<std::size_t>(40, s.size() - at)));
    break;
  }
  }
}

} // namespace

std::string mutate(const std::string& text, std::uint64_t seed, std::uint64_t index) {
  SplitMix g(seed * 0x100000001b3ULL + index);
  std::string s = text;
  const std::size_t n = 1 + g.below(3);
  for (std::size_t i = 0; i < n; ++i) apply_one(s, g);
  return s;
}

} // namespace fuzz
