#pragma once
// Evaluators judge one check against one subject's facts. Each is a class in its own file
// under evaluators/, listed once in evaluators.cpp. A check names its evaluator and gives
// it parameters; the evaluator validates them when checks load (compile), says what the
// collector must gather for it (require), and judges (evaluate) without touching the
// system: collection happens before, in the collectors.

#include <nlohmann/json.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compliance/check.h"
#include "compliance/condition.h"
#include "compliance/subject.h"
#include "core/result.h"

namespace bulkhead::compliance {

class EvaluatorParams {
 public:
  virtual ~EvaluatorParams() = default;
};

// What checks need gathered beyond a collector's fixed set (host files, sysctl keys).
struct Requirements {
  std::set<std::string> files;      // absolute paths to stat
  std::set<std::string> globs;      // patterns to expand ("/etc/docker/certs.d/*/*")
  std::set<std::string> factFiles;  // fact paths whose string values name files to stat
  std::set<std::string> sysctls;    // "kernel.kptr_restrict"
};

struct Outcome {
  Status status = Status::kPass;
  std::string message;
  std::vector<Observation> observations;
  size_t omitted = 0;
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  virtual const char* name() const = 0;
  virtual const char* summary() const = 0;  // one line, for docs and `bench --list`
  virtual bool supports(Target target) const = 0;
  virtual Result<std::shared_ptr<const EvaluatorParams>> compile(const nlohmann::json& params) const = 0;
  virtual void require(const EvaluatorParams& /*params*/, Requirements& /*out*/) const {}
  // Fact paths the evaluation reads, so that a collection error under them turns the
  // result into `error` instead of a wrong verdict.
  virtual void paths(const EvaluatorParams& params, std::vector<std::string>& out) const = 0;
  virtual Outcome evaluate(const EvaluatorParams& params, const Subject& subject) const = 0;
};

// The explicit list of evaluators (evaluators.cpp).
const std::vector<const Evaluator*>& evaluators();
const Evaluator* findEvaluator(std::string_view name);

}  // namespace bulkhead::compliance
