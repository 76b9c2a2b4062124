#pragma once
// Conditions: the small typed language checks are written in (evaluator `assert`, and the
// `when` of every check). A condition is one of
//
//   {path: P, op: OP, value: V, default: D}   a leaf: the fact at P compared with V by OP
//                                             (D stands in for an absent fact); instead
//                                             of V, value_path: Q takes the fact at Q
//   {all: [C, ...]}  {any: [C, ...]}  {not: C}
//   {each: P | [P, ...], where: C, assert: C, label: P}
//        every element of the lists (or entries of the objects) at P that satisfies
//        `where` must satisfy `assert`; inside, paths are relative to the element, "$."
//        starts from the subject's root, "@" is the element itself and "@key" the key of an
//        object entry. `label` names an element in evidence (default: its name, path or
//        destination).
//
// Evaluation returns whether it holds plus the observations that decided it, which
// become the evidence of a result.

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace bulkhead::compliance {

struct Observation {
  std::string path;      // concrete fact path
  std::string label;     // element label inside an `each` ("nginx", "/usr/bin/su")
  std::string observed;  // rendered value, "absent", or "absent (default true)"
  std::string expected;  // operator description; "forbidden: ..." under a `not`
  std::string detail;    // what the operator saw beyond the value (extra bits, duplicates)
  bool holds = false;
};

struct ConditionResult {
  bool holds = true;
  std::vector<Observation> observations;
  size_t omitted = 0;  // observations (elements) left out past the cap
};

struct EvalContext {
  const nlohmann::json& root;
  const nlohmann::json& current;
  std::string currentPath;
  const std::string* entryKey = nullptr;  // inside an `each` over an object
  std::string label;
};

class Condition {
 public:
  virtual ~Condition() = default;
  virtual ConditionResult evaluate(const EvalContext& context) const = 0;
  // Every fact path the condition reads, as written ("$." paths included).
  virtual void paths(std::vector<std::string>& out) const = 0;
};

// Compiles a condition; errors name the position inside `spec` ("all[1].op").
Result<std::shared_ptr<const Condition>> compileCondition(const nlohmann::json& spec);

// Evaluates against a subject's facts from the root.
ConditionResult evaluateCondition(const Condition& condition, const nlohmann::json& facts);

// How many failing elements of an `each` are listed before the rest are only counted.
inline constexpr size_t kMaxListedElements = 25;

}  // namespace bulkhead::compliance
