// `sysctl` (host): a kernel parameter, read from /proc/sys, compared with an operator. Not
// applicable when the kernel has no such parameter. The evidence also says whether a
// sysctl configuration file sets it, so the value survives a reboot.
//   params: {key: kernel.kptr_restrict, op: gte, value: 1}

#include <fmt/format.h>

#include "compliance/evaluators/evaluators.h"
#include "compliance/evaluators/file_candidates.h"
#include "compliance/fact_path.h"
#include "compliance/operators.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

class SysctlParams final : public EvaluatorParams {
 public:
  std::string key;
  std::optional<Operand> operand;
};

class SysctlEvaluator final : public Evaluator {
 public:
  const char* name() const override { return "sysctl"; }
  const char* summary() const override {
    return "a kernel parameter from /proc/sys compared with an operator (n/a when missing)";
  }
  bool supports(Target target) const override { return target == Target::kHost; }

  Result<std::shared_ptr<const EvaluatorParams>> compile(const json& params) const override {
    BH_TRY_STATUS(onlyParams(params, {"key", "op", "value"}));
    auto out = std::make_shared<SysctlParams>();
    if (!params.contains("key") || !params["key"].is_string()) return makeError("params.key: a sysctl name is needed");
    out->key = params["key"].get<std::string>();
    for (const char c : out->key) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-';
      if (!ok) return makeError("params.key: '{}' is not a sysctl name", out->key);
    }
    if (out->key.empty() || out->key.find("..") != std::string::npos || out->key[0] == '.') {
      return makeError("params.key: '{}' is not a sysctl name", out->key);
    }
    if (!params.contains("op") || !params["op"].is_string()) return makeError("params.op: an operator is needed");
    auto op = parseOp(params["op"].get<std::string>());
    if (!op) return withContext("params.op", std::move(op).error());
    const bool hasValue = params.contains("value");
    auto operand = Operand::compile(*op, hasValue ? params["value"] : json(), hasValue);
    if (!operand) return withContext("params", std::move(operand).error());
    out->operand = std::move(*operand);
    return std::shared_ptr<const EvaluatorParams>(out);
  }
  void require(const EvaluatorParams& params, Requirements& out) const override {
    out.sysctls.insert(static_cast<const SysctlParams&>(params).key);
  }
  void paths(const EvaluatorParams& params, std::vector<std::string>& out) const override {
    out.push_back(appendKey("sysctl", static_cast<const SysctlParams&>(params).key));
  }

  Outcome evaluate(const EvaluatorParams& params, const Subject& subject) const override {
    const auto& p = static_cast<const SysctlParams&>(params);
    Outcome out;
    const json* entry = nullptr;
    if (auto s = subject.facts.find("sysctl"); s != subject.facts.end() && s->is_object()) {
      if (auto it = s->find(p.key); it != s->end()) entry = &*it;
    }
    if (entry == nullptr || !entry->is_object() || !entry->value("exists", false)) {
      out.status = Status::kNotApplicable;
      out.message = fmt::format("this kernel has no parameter {}", p.key);
      return out;
    }
    if (entry->contains("error")) {
      out.status = Status::kError;
      out.message = entry->value("error", std::string());
      return out;
    }
    const json value = entry->value("value", json());
    Observation obs;
    obs.path = appendKey("sysctl", p.key) + ".value";
    obs.observed = renderValue(&value);
    obs.expected = p.operand->describe();
    obs.holds = p.operand->test(&value, &obs.detail);
    if (const json* configured = entry->contains("configured") ? &(*entry)["configured"] : nullptr) {
      obs.detail = fmt::format("{}set to {} in {}:{}", obs.detail.empty() ? "" : obs.detail + "; ",
                               renderValue(&(*configured)["value"]), configured->value("file", std::string()),
                               configured->value("line", 0));
    } else {
      obs.detail = (obs.detail.empty() ? "" : obs.detail + "; ") +
                   std::string("no sysctl.conf or sysctl.d file sets it");
    }
    out.status = obs.holds ? Status::kPass : Status::kFail;
    out.observations.push_back(std::move(obs));
    return out;
  }
};

}  // namespace

const Evaluator& sysctlEvaluator() {
  static const SysctlEvaluator instance;
  return instance;
}

}  // namespace bulkhead::compliance
