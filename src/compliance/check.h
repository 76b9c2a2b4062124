#pragma once
// The check model: what a declared check is (loaded from YAML, see catalog.h) and what
// evaluating it against one subject gives (a CheckResult with its evidence).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bulkhead::compliance {

// What a check looks at. Each target has one collector.
enum class Target { kHost, kImage, kContainer, kK8s };
const char* targetName(Target target);  // "host", "image", "container", "k8s"
Result<Target> parseTarget(std::string_view text);

enum class Severity { kInfo = 0, kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };
const char* severityName(Severity severity);
Result<Severity> parseSeverity(std::string_view text);

// pass: the subject complies; fail: it does not (with evidence); manual: a person has to
// judge (the evidence says what was seen); not_applicable: what the check is about is not
// there (Docker not installed, no such file); error: the evidence could not be read.
enum class Status { kPass, kFail, kManual, kNotApplicable, kError };
const char* statusName(Status status);  // "pass", "fail", "manual", "not_applicable", "error"

class Condition;
class Evaluator;
class EvaluatorParams;

struct Check {
  std::string id;            // stable: "BH-HOST-202"
  Target target = Target::kHost;
  std::string section;       // key into the file's sections: "2"
  std::string sectionTitle;  // "Docker daemon configuration"
  std::string benchmark;     // "CIS Docker Benchmark v1.6.0", "Kubernetes Pod Security Standards"
  std::string reference;     // the benchmark's own number or control: "2.2", "baseline/Privileged"
  std::vector<std::string> controls;  // other tools' IDs: "docker-bench check_2_2", "C-0057"
  std::string title;
  std::string rationale;
  std::string remediation;
  Severity severity = Severity::kMedium;
  bool automated = true;
  std::string source;  // where it was declared: "checks/host.yaml:120"

  // Applicability: when it does not hold, the result is not_applicable. May be null.
  std::shared_ptr<const Condition> when;
  std::string whenReason;  // said when `when` does not hold ("Docker is not installed")
  const Evaluator* evaluator = nullptr;
  std::shared_ptr<const EvaluatorParams> params;
};

// One thing looked at: where it is and what was seen there, against what was wanted.
struct Evidence {
  std::string file;      // "/etc/docker/daemon.json", "deploy.yaml", "" when not a file
  int line = 0;          // 1-based line in `file`, 0 when unknown
  std::string path;      // field path in that document: "spec.template.spec.hostNetwork"
  std::string label;     // which element of a list: container "nginx", file "/usr/bin/su"
  std::string observed;  // "true", "absent", "0644", "[\"CAP_SYS_ADMIN\"]"
  std::string expected;  // "== false", "mode at most 0644"
  std::string note;      // where a derived value came from, or why it matters
  bool holds = false;    // whether this observation satisfied the expectation
};

struct CheckResult {
  const Check* check = nullptr;
  std::string subject;  // "host", "image debian:12", "Deployment prod/web"
  std::string subjectFile;
  Status status = Status::kPass;
  std::string message;  // one line: why this status
  std::vector<Evidence> evidence;
  size_t omittedEvidence = 0;  // evidence beyond the cap, counted but not listed
};

}  // namespace bulkhead::compliance
