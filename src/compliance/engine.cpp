#include "compliance/engine.h"

#include <fmt/format.h>

#include "compliance/condition.h"
#include "compliance/evaluator.h"

namespace bulkhead::compliance {
namespace {

constexpr size_t kMaxEvidence = 50;

Evidence toEvidence(const Subject& subject, const Observation& obs) {
  Evidence e;
  const Location loc = subject.locate(obs.path);
  e.file = loc.file;
  e.line = loc.line;
  e.path = loc.path;
  e.label = obs.label;
  e.observed = obs.observed;
  e.expected = obs.expected;
  e.note = obs.detail;
  if (!loc.note.empty()) e.note = e.note.empty() ? loc.note : e.note + "; " + loc.note;
  e.holds = obs.holds;
  return e;
}

// A collection error under any fact the check reads, or nullptr.
const std::string* collectionError(const Check& check, const Subject& subject) {
  if (subject.errors.empty()) return nullptr;
  std::vector<std::string> paths;
  if (check.when) check.when->paths(paths);
  check.evaluator->paths(*check.params, paths);
  for (std::string path : paths) {
    if (path.starts_with("$.")) path = path.substr(2);
    if (const std::string* error = subject.errorFor(path)) return error;
  }
  return nullptr;
}

std::string summarize(const CheckResult& r) {
  if (!r.message.empty()) return r.message;
  for (const auto& e : r.evidence) {
    if (r.status == Status::kFail && e.holds) continue;
    std::string where = e.path;
    if (!e.label.empty()) where = e.label + ": " + where;
    return fmt::format("{} is {} (want {})", where, e.observed, e.expected);
  }
  return {};
}

}  // namespace

void Totals::add(Status status) {
  switch (status) {
    case Status::kPass: ++pass; break;
    case Status::kFail: ++fail; break;
    case Status::kManual: ++manual; break;
    case Status::kNotApplicable: ++notApplicable; break;
    case Status::kError: ++error; break;
  }
}

std::optional<double> Totals::score() const {
  if (pass + fail == 0) return std::nullopt;
  return 100.0 * static_cast<double>(pass) / static_cast<double>(pass + fail);
}

Report runChecks(const std::vector<const Check*>& checks, const std::vector<Subject>& subjects,
                 Target target, std::string description) {
  Report report;
  report.target = target;
  report.description = std::move(description);
  for (const auto& s : subjects) report.subjects.push_back(s.name);
  for (const Check* check : checks) {
    if (check->target != target) continue;
    report.checks.push_back(check);
    SectionScore* section = nullptr;
    for (auto& s : report.sections) {
      if (s.key == check->section && s.benchmark == check->benchmark) section = &s;
    }
    if (section == nullptr) {
      report.sections.push_back(SectionScore{check->section, check->sectionTitle, check->benchmark, {}});
      section = &report.sections.back();
    }
    for (const Subject& subject : subjects) {
      CheckResult result;
      result.check = check;
      result.subject = subject.name;
      result.subjectFile = subject.file;
      std::vector<Observation> observations;
      size_t omitted = 0;
      if (const std::string* error = collectionError(*check, subject)) {
        result.status = Status::kError;
        result.message = *error;
      } else if (ConditionResult when = check->when ? evaluateCondition(*check->when, subject.facts)
                                                    : ConditionResult{};
                 !when.holds) {
        result.status = Status::kNotApplicable;
        result.message = check->whenReason.empty() ? "does not apply" : check->whenReason;
        observations = std::move(when.observations);
      } else {
        Outcome outcome = check->evaluator->evaluate(*check->params, subject);
        result.status = outcome.status;
        result.message = std::move(outcome.message);
        observations = std::move(outcome.observations);
        omitted = outcome.omitted;
      }
      for (const auto& obs : observations) {
        if (result.evidence.size() >= kMaxEvidence) {
          ++omitted;
          continue;
        }
        result.evidence.push_back(toEvidence(subject, obs));
      }
      result.omittedEvidence = omitted;
      result.message = summarize(result);
      section->totals.add(result.status);
      report.totals.add(result.status);
      report.results.push_back(std::move(result));
    }
  }
  return report;
}

bool failsGate(const Report& report, Severity threshold) {
  for (const auto& r : report.results) {
    if (r.status == Status::kFail && r.check->severity >= threshold) return true;
  }
  return false;
}

bool hasErrors(const Report& report) { return report.totals.error > 0; }

}  // namespace bulkhead::compliance
