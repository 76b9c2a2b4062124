#pragma once
// SemVer 2.0.0 versions as views into the text (internal to src/vuln/versions/; used by
// the semver and cargo schemes and by the npm range evaluator).

#include <string_view>

#include "core/result.h"

namespace bulkhead::vuln::versions {

struct SemVer {
  std::string_view major, minor, patch;
  std::string_view prerelease;  // without the '-'; empty: none
  std::string_view build;       // without the '+'; ignored by the order
};

struct SemVerRules {
  std::string_view scheme;   // for error messages
  bool allowV = false;       // node-semver accepts one leading 'v'
  bool npmLimits = false;    // node-semver rejects numbers above 2^53-1
};

Result<SemVer> parseSemVer(std::string_view v, const SemVerRules& rules);
// Precedence (SemVer 2 section 11): build metadata ignored.
int compareSemVer(const SemVer& a, const SemVer& b);
// Identifier lists "a.1.b" in SemVer prerelease order (both non-empty).
int comparePrerelease(std::string_view a, std::string_view b);
// Whether a prerelease identifier list / build metadata text is well formed.
bool validPrerelease(std::string_view s);
bool validBuild(std::string_view s);
// A main version number: "0" or digits without a leading zero.
bool validNumber(std::string_view s, bool npmLimits);

}  // namespace bulkhead::vuln::versions
