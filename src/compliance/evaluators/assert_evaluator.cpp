// `assert`: the check's params are a condition (condition.h) over the subject's facts; the
// subject complies when it holds. Most checks use this evaluator.

#include "compliance/evaluators/evaluators.h"

namespace bulkhead::compliance {
namespace {

class AssertParams final : public EvaluatorParams {
 public:
  explicit AssertParams(std::shared_ptr<const Condition> c) : condition(std::move(c)) {}
  std::shared_ptr<const Condition> condition;
};

class AssertEvaluator final : public Evaluator {
 public:
  const char* name() const override { return "assert"; }
  const char* summary() const override {
    return "a condition over the facts (leaf, all, any, not, each) must hold";
  }
  bool supports(Target) const override { return true; }
  Result<std::shared_ptr<const EvaluatorParams>> compile(const nlohmann::json& params) const override {
    auto condition = compileCondition(params);
    if (!condition) return std::move(condition).error();
    return std::shared_ptr<const EvaluatorParams>(std::make_shared<AssertParams>(std::move(*condition)));
  }
  void paths(const EvaluatorParams& params, std::vector<std::string>& out) const override {
    static_cast<const AssertParams&>(params).condition->paths(out);
  }
  Outcome evaluate(const EvaluatorParams& params, const Subject& subject) const override {
    const auto& p = static_cast<const AssertParams&>(params);
    ConditionResult r = evaluateCondition(*p.condition, subject.facts);
    Outcome out;
    out.status = r.holds ? Status::kPass : Status::kFail;
    out.observations = std::move(r.observations);
    out.omitted = r.omitted;
    return out;
  }
};

}  // namespace

const Evaluator& assertEvaluator() {
  static const AssertEvaluator instance;
  return instance;
}

}  // namespace bulkhead::compliance
