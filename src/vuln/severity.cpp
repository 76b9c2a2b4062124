#include "vuln/severity.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace bulkhead::vuln {

const char* severityName(Severity severity) {
  switch (severity) {
    case Severity::kNone: return "none";
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
    case Severity::kUnknown: break;
  }
  return "unknown";
}

std::optional<Severity> parseSeverity(std::string_view text) {
  std::string lower(text.substr(0, 32));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::array<std::pair<std::string_view, Severity>, 11> kNames{{
      {"unknown", Severity::kUnknown}, {"none", Severity::kNone}, {"negligible", Severity::kNone},
      {"low", Severity::kLow}, {"medium", Severity::kMedium}, {"moderate", Severity::kMedium},
      {"high", Severity::kHigh}, {"important", Severity::kHigh}, {"critical", Severity::kCritical},
      {"info", Severity::kNone}, {"informational", Severity::kNone},
  }};
  for (const auto& [name, severity] : kNames) {
    if (lower == name) return severity;
  }
  return std::nullopt;
}

Severity severityFromScore(double score) {
  if (score < 0) return Severity::kUnknown;
  if (score == 0) return Severity::kNone;
  if (score < 4.0) return Severity::kLow;
  if (score < 7.0) return Severity::kMedium;
  if (score < 9.0) return Severity::kHigh;
  return Severity::kCritical;
}

}  // namespace bulkhead::vuln
