#include "simulator/scenario/key_spec.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace edgetrain {

KeySpec key_int(std::string path, std::int64_t def, double min, double max, std::string unit,
                std::string doc) {
  return {std::move(path), ValueType::Int, def, std::move(unit), std::move(doc), min, max, false, {}};
}
KeySpec key_float(std::string path, double def, double min, double max, std::string unit, std::string doc,
                  bool min_exclusive) {
  return {
      std::move(path), ValueType::Float, def, std::move(unit), std::move(doc), min, max, min_exclusive, {}};
}
KeySpec key_bool(std::string path, bool def, std::string doc) {
  KeySpec k;
  k.path = std::move(path), k.type = ValueType::Bool, k.def = def, k.doc = std::move(doc);
  return k;
}
KeySpec key_string(std::string path, std::string def, std::string doc, std::vector<std::string> choices) {
  KeySpec k;
  k.path = std::move(path), k.type = ValueType::String, k.def = std::move(def), k.doc = std::move(doc);
  k.choices = std::move(choices);
  return k;
}
KeySpec key_list(std::string path, std::vector<std::string> def, std::string doc) {
  KeySpec k;
  k.path = std::move(path), k.type = ValueType::StringList, k.def = std::move(def), k.doc = std::move(doc);
  return k;
}

KeySpec key_numbers(std::string path, std::vector<double> def, double min, double max, std::string unit,
                    std::string doc, bool min_exclusive) {
  KeySpec k;
  k.path = std::move(path), k.type = ValueType::FloatList, k.def = std::move(def), k.unit = std::move(unit);
  k.doc = std::move(doc), k.min = min, k.max = max, k.min_exclusive = min_exclusive;
  return k;
}

std::string type_name(ValueType t) {
  switch (t) {
  case ValueType::Bool:
    return "boolean";
  case ValueType::Int:
    return "integer";
  case ValueType::Float:
    return "number";
  case ValueType::String:
    return "string";
  case ValueType::StringList:
    return "array of strings";
  case ValueType::FloatList:
    return "array of numbers";
  }
  return "?";
}

namespace {
std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}
} // namespace

std::string value_to_string(const Value& v) {
  struct Visitor {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return fmt::format("{}", i); }
    std::string operator()(double d) const {
      if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
      std::string s = fmt::format("{}", d);
      if (s.find_first_of(".en") == std::string::npos) s += ".0"; // keep it a TOML float
      return s;
    }
    std::string operator()(const std::string& s) const { return quote(s); }
    std::string operator()(const std::vector<std::string>& l) const {
      std::string out = "[";
      for (std::size_t i = 0; i < l.size(); ++i)
        out += (i ? ", " : "") + quote(l[i]);
      return out + "]";
    }
    std::string operator()(const std::vector<double>& l) const {
      std::string out = "[";
      for (std::size_t i = 0; i < l.size(); ++i)
        out += (i ? ", " : "") + (*this)(l[i]);
      return out + "]";
    }
  };
  return std::visit(Visitor{}, v);
}

const Value& Params::at(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("parameter '" + name + "' was not declared");
  return it->second;
}
double Params::number(const std::string& name) const {
  const Value& v = at(name);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return std::get<double>(v);
}
std::int64_t Params::integer(const std::string& name) const {
  return std::get<std::int64_t>(at(name));
}
const std::string& Params::text(const std::string& name) const {
  return std::get<std::string>(at(name));
}
const std::vector<double>& Params::numbers(const std::string& name) const {
  return std::get<std::vector<double>>(at(name));
}
bool Params::flag(const std::string& name) const {
  return std::get<bool>(at(name));
}

Params defaults(const std::vector<KeySpec>& specs) {
  std::map<std::string, Value> values;
  for (const KeySpec& k : specs)
    values[k.path] = k.def;
  return Params(std::move(values));
}

} // namespace edgetrain
