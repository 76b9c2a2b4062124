#include "compliance/check.h"

namespace bulkhead::compliance {

const char* targetName(Target target) {
  switch (target) {
    case Target::kHost: return "host";
    case Target::kImage: return "image";
    case Target::kContainer: return "container";
    case Target::kK8s: return "k8s";
  }
  return "?";
}

Result<Target> parseTarget(std::string_view text) {
  for (Target t : {Target::kHost, Target::kImage, Target::kContainer, Target::kK8s}) {
    if (text == targetName(t)) return t;
  }
  return makeError("unknown target '{}' (expected host, image, container or k8s)", text);
}

const char* severityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo: return "info";
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "?";
}

Result<Severity> parseSeverity(std::string_view text) {
  for (Severity s : {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    if (text == severityName(s)) return s;
  }
  return makeError("unknown severity '{}' (expected info, low, medium, high or critical)", text);
}

const char* statusName(Status status) {
  switch (status) {
    case Status::kPass: return "pass";
    case Status::kFail: return "fail";
    case Status::kManual: return "manual";
    case Status::kNotApplicable: return "not_applicable";
    case Status::kError: return "error";
  }
  return "?";
}

}  // namespace bulkhead::compliance
