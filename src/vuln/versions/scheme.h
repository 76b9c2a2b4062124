#pragma once
// Version schemes of the vulnerability matcher: one class per ecosystem's ordering rules,
// each in its own file and listed in schemes.cpp. Versions come from hostile images and
// feeds: every scheme bounds lengths (kMaxVersionLength), never parses digit runs into
// fixed-width integers, and compares views in place without allocating.

#include <string_view>

#include "core/result.h"

namespace bulkhead::vuln {

// Longer versions are rejected with an error (npm's semver uses the same bound).
inline constexpr size_t kMaxVersionLength = 256;
// Range and specifier strings may hold several versions.
inline constexpr size_t kMaxRangeLength = 4096;

class VersionScheme {
 public:
  virtual ~VersionScheme() = default;
  // "deb", "rpm", "apk", "semver", "pep440", "go", "maven", "gem", "cargo".
  virtual std::string_view name() const = 0;
  // <0, 0 or >0 as a sorts before, equal to or after b; the error names the bad version.
  virtual Result<int> compare(std::string_view a, std::string_view b) const = 0;
  // OK, or a message saying what is wrong with v.
  virtual Status validate(std::string_view v) const = 0;
};

// By scheme name or by SBOM ecosystem name (sbom::eco: deb, rpm, apk, npm, pypi, golang,
// maven, gem, cargo, nuget, composer); nullptr when unknown.
const VersionScheme* findScheme(std::string_view nameOrEcosystem);

// node-semver's satisfies(version, range) with default options: `||`, `^`, `~`, x-ranges,
// hyphen ranges, comparators; a prerelease satisfies a comparator set only when one of its
// comparators has a prerelease on the same major.minor.patch. An invalid range or version is
// an error (node-semver's satisfies answers false for both).
Result<bool> satisfiesNpmRange(std::string_view range, std::string_view version);

// packaging.specifiers.SpecifierSet(specifierSet).contains(version) with default options
// (python3-packaging 23): ==, !=, <=, >=, <, >, ~=, ===, `==1.2.*`; prereleases match only
// when a specifier names one. An invalid specifier set or version is an error.
Result<bool> satisfiesPep440(std::string_view specifierSet, std::string_view version);

}  // namespace bulkhead::vuln
