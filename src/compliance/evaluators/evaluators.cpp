// The explicit list of evaluators. Adding one: a class in its own file in this folder, a
// function declared in evaluators.h, and one line here.

#include "compliance/evaluators/evaluators.h"

namespace bulkhead::compliance {

const std::vector<const Evaluator*>& evaluators() {
  static const std::vector<const Evaluator*> list = {
      &assertEvaluator(),
      &manualEvaluator(),
      &filePermsEvaluator(),
      &auditWatchEvaluator(),
      &sysctlEvaluator(),
  };
  return list;
}

const Evaluator* findEvaluator(std::string_view name) {
  for (const Evaluator* e : evaluators()) {
    if (name == e->name()) return e;
  }
  return nullptr;
}

}  // namespace bulkhead::compliance
