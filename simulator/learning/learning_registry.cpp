#include "simulator/learning/learning_process.hpp"
#include "simulator/learning/surrogate.hpp"
#include "simulator/learning/trained.hpp"

#include <stdexcept>

namespace edgetrain {

// Every learning process, by name (learning.process).
const std::vector<LearningInfo>& learning_registry() {
  static const std::vector<LearningInfo> registry = {surrogate_learning_info(), trained_learning_info()};
  return registry;
}

const LearningInfo& find_learning(const std::string& name) {
  for (const LearningInfo& l : learning_registry())
    if (l.name == name) return l;
  throw std::out_of_range("no learning process " + name);
}

} // namespace edgetrain
