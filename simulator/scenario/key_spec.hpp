#pragma once
// The scenario's schema: every key with its type, default, range, unit and meaning. The loader
// validates against it, resolved.toml is written from it, and `edgetrain keys` prints it, so the
// README's reference and the code cannot drift apart. Policies and learning processes declare
// their parameters with the same type.
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace edgetrain {

using Value =
    std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>, std::vector<double>>;
enum class ValueType { Bool, Int, Float, String, StringList, FloatList };

struct KeySpec {
  std::string path; // "training.batch"; for a policy or process parameter, the bare name
  ValueType type = ValueType::Float;
  Value def;
  std::string unit;
  std::string doc;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  std::vector<std::string> choices; // for strings; empty = free text
};

// Helpers that read well in schema tables.
KeySpec key_int(std::string path, std::int64_t def, double min, double max, std::string unit,
                std::string doc);
KeySpec key_float(std::string path, double def, double min, double max, std::string unit, std::string doc,
                  bool min_exclusive = false);
KeySpec key_bool(std::string path, bool def, std::string doc);
KeySpec key_string(std::string path, std::string def, std::string doc, std::vector<std::string> choices = {});
KeySpec key_list(std::string path, std::vector<std::string> def, std::string doc);
// A non-empty array of numbers, each within [min, max].
KeySpec key_numbers(std::string path, std::vector<double> def, double min, double max, std::string unit,
                    std::string doc, bool min_exclusive = false);

std::string type_name(ValueType t);
std::string value_to_string(const Value& v); // TOML spelling: 3, 0.5, inf, "text", ["a", "b"]

// Resolved values of a group of parameters (a policy's, a learning process's).
class Params {
public:
  Params() = default;
  explicit Params(std::map<std::string, Value> values) : values_(std::move(values)) {}
  [[nodiscard]] double number(const std::string& name) const; // Int or Float
  [[nodiscard]] std::int64_t integer(const std::string& name) const;
  [[nodiscard]] const std::string& text(const std::string& name) const;
  [[nodiscard]] bool flag(const std::string& name) const;
  [[nodiscard]] const std::vector<double>& numbers(const std::string& name) const;
  [[nodiscard]] const std::map<std::string, Value>& values() const { return values_; }

private:
  const Value& at(const std::string& name) const;
  std::map<std::string, Value> values_;
};

// Every parameter at its default (for programs that build a policy or process themselves).
Params defaults(const std::vector<KeySpec>& specs);

} // namespace edgetrain
