// `manual`: a person has to judge (CIS "Manual" recommendations). The result is `manual`
// and lists the facts named in `show`, so the reviewer sees what was found.
//   params: {show: [fact paths]}   (optional)

#include "compliance/evaluators/evaluators.h"
#include "compliance/fact_path.h"
#include "compliance/operators.h"

namespace bulkhead::compliance {
namespace {

class ManualParams final : public EvaluatorParams {
 public:
  std::vector<FactPath> show;
};

class ManualEvaluator final : public Evaluator {
 public:
  const char* name() const override { return "manual"; }
  const char* summary() const override {
    return "needs a person's judgement; shows the facts named in `show`";
  }
  bool supports(Target) const override { return true; }
  Result<std::shared_ptr<const EvaluatorParams>> compile(const nlohmann::json& params) const override {
    auto out = std::make_shared<ManualParams>();
    if (params.is_null()) return std::shared_ptr<const EvaluatorParams>(out);
    if (!params.is_object()) return makeError("params: must be a mapping");
    for (auto it = params.begin(); it != params.end(); ++it) {
      if (it.key() != "show") return makeError("params: unknown key '{}' (expected show)", it.key());
    }
    if (params.contains("show")) {
      const auto& show = params["show"];
      if (!show.is_array()) return makeError("params.show: must be a list of fact paths");
      for (const auto& p : show) {
        if (!p.is_string()) return makeError("params.show: must be a list of fact paths");
        auto path = parseFactPath(p.get<std::string>());
        if (!path) return withContext("params.show", std::move(path).error());
        out->show.push_back(std::move(*path));
      }
    }
    return std::shared_ptr<const EvaluatorParams>(out);
  }
  void paths(const EvaluatorParams& params, std::vector<std::string>& out) const override {
    for (const auto& p : static_cast<const ManualParams&>(params).show) out.push_back(p.text);
  }
  Outcome evaluate(const EvaluatorParams& params, const Subject& subject) const override {
    Outcome out;
    out.status = Status::kManual;
    out.message = "needs review: see the evidence and the remediation";
    for (const auto& path : static_cast<const ManualParams&>(params).show) {
      for (const auto& match : resolveFactPath(path, subject.facts, subject.facts, "")) {
        Observation obs;
        obs.path = match.path;
        obs.observed = renderValue(match.value, 400);
        obs.expected = "review";
        obs.holds = true;
        out.observations.push_back(std::move(obs));
      }
    }
    return out;
  }
};

}  // namespace

const Evaluator& manualEvaluator() {
  static const ManualEvaluator instance;
  return instance;
}

}  // namespace bulkhead::compliance
