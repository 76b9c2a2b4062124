// `audit_watch` (host): an audit rule must watch the file or directory, as CIS Docker 1.1.x
// asks. Reads the rule files auditd loads at boot (audit.rules, rules.d/*.rules), parsed
// by the host collector: `-w PATH`, and `-a ... -F path=PATH` or `-F dir=DIR` rules count;
// a watch on a directory covers what is below it. Not applicable when none of the named
// files exists on the host.
//   params: {path|paths|glob|from: ...}

#include <fmt/format.h>

#include "compliance/evaluators/evaluators.h"
#include "compliance/evaluators/file_candidates.h"
#include "compliance/operators.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

class AuditParams final : public EvaluatorParams {
 public:
  FileCandidates files;
};

bool covers(const std::string& watched, const std::string& path, bool recursive) {
  const std::string w = cleanPath(watched);
  const std::string p = cleanPath(path);
  if (w == p) return true;
  return recursive && (w == "/" || (p.size() > w.size() && p.starts_with(w) && p[w.size()] == '/'));
}

class AuditWatchEvaluator final : public Evaluator {
 public:
  const char* name() const override { return "audit_watch"; }
  const char* summary() const override {
    return "an audit rule (audit.rules, rules.d) watches the file (n/a when absent)";
  }
  bool supports(Target target) const override { return target == Target::kHost; }

  Result<std::shared_ptr<const EvaluatorParams>> compile(const json& params) const override {
    BH_TRY_STATUS(onlyParams(params, {"path", "paths", "glob", "from"}));
    auto out = std::make_shared<AuditParams>();
    std::vector<std::string> used;
    auto files = FileCandidates::parse(params, used);
    if (!files) return std::move(files).error();
    out->files = std::move(*files);
    return std::shared_ptr<const EvaluatorParams>(out);
  }
  void require(const EvaluatorParams& params, Requirements& out) const override {
    static_cast<const AuditParams&>(params).files.require(out);
  }
  void paths(const EvaluatorParams& params, std::vector<std::string>& out) const override {
    static_cast<const AuditParams&>(params).files.factPaths(out);
    out.push_back("audit");
  }

  Outcome evaluate(const EvaluatorParams& params, const Subject& subject) const override {
    const auto& p = static_cast<const AuditParams&>(params);
    Outcome out;
    const json& facts = subject.facts;
    const json audit = facts.value("audit", json::object());
    const json rules = audit.value("rules", json::array());
    bool any = false;
    bool failed = false;
    for (const auto& path : p.files.resolve(facts)) {
      if (!fileExists(fileFacts(facts, path))) continue;
      any = true;
      Observation obs;
      obs.path = "audit.rules";
      obs.label = path;
      obs.expected = "a rule watching " + path;
      for (size_t i = 0; i < rules.size() && !obs.holds; ++i) {
        const json& rule = rules[i];
        bool hit = false;
        if (rule.contains("watch") && rule["watch"].is_string()) {
          hit = covers(rule["watch"].get<std::string>(), path, true);
        }
        for (const char* key : {"paths", "dirs"}) {
          for (const auto& v : rule.value(key, json::array())) {
            if (v.is_string() && covers(v.get<std::string>(), path, std::string(key) == "dirs")) hit = true;
          }
        }
        if (hit) {
          obs.holds = true;
          obs.path = appendIndex("audit.rules", i);
          obs.observed = fmt::format("{} ({}:{})", rule.value("text", std::string()),
                                     rule.value("file", std::string()), rule.value("line", 0));
        }
      }
      if (!obs.holds) {
        const json files = audit.value("files", json::array());
        obs.observed = files.empty() ? "no audit rule files found"
                                     : fmt::format("no rule in {} of {} rule file(s) watches it",
                                                   rules.size() == 1 ? "the 1 rule" : std::to_string(rules.size()) + " rules",
                                                   files.size());
        failed = true;
      }
      out.observations.push_back(std::move(obs));
    }
    if (!any) {
      out.status = Status::kNotApplicable;
      out.message = fmt::format("not on this host: {}", p.files.describe());
      return out;
    }
    out.status = failed ? Status::kFail : Status::kPass;
    return out;
  }
};

}  // namespace

const Evaluator& auditWatchEvaluator() {
  static const AuditWatchEvaluator instance;
  return instance;
}

}  // namespace bulkhead::compliance
