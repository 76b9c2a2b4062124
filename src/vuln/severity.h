#pragma once
// Severity of a finding: the CVSS v3.x score computed from a feed's vector when there is
// one, else the feed's own rating. Ordered, so a CI gate can say "high and above".

#include <optional>
#include <string>
#include <string_view>

namespace bulkhead::vuln {

enum class Severity { kUnknown = 0, kNone, kLow, kMedium, kHigh, kCritical };

// "unknown", "none", "low", "medium", "high", "critical".
const char* severityName(Severity severity);
// The names above in any case, plus the feeds' spellings ("moderate", "important");
// nullopt for anything else.
std::optional<Severity> parseSeverity(std::string_view text);
// From a CVSS score (v3 qualitative scale); kUnknown below 0.
Severity severityFromScore(double score);

}  // namespace bulkhead::vuln
