#pragma once
// The advisory model every importer produces and the store keeps: one Vulnerability per
// feed record, with the packages it affects. Names and releases are normalised by the
// importers (db/names.h), so a lookup compares strings only.

#include <string>
#include <vector>

namespace bulkhead::vuln {

// Ecosystems beyond sbom's eco:: list that advisories name.
namespace advisory_eco {
inline constexpr const char* kNodeRuntime = "node";  // the node binary (Node.js core advisories)
}  // namespace advisory_eco

// How the versions of an Affected row are to be read.
namespace range_type {
inline constexpr const char* kEcosystem = "ECOSYSTEM";  // OSV: the ecosystem's own scheme
inline constexpr const char* kSemver = "SEMVER";        // OSV: SemVer 2.0 (Go: v-less)
inline constexpr const char* kVersions = "VERSIONS";    // only the explicit version list
inline constexpr const char* kNpmRange = "NPM";         // npm range strings (vulnerable/patched)
inline constexpr const char* kDistro = "DISTRO";        // distro fixed version per release
}  // namespace range_type

namespace affected_status {
inline constexpr const char* kFixed = "fixed";      // a fixed version exists
inline constexpr const char* kUnfixed = "unfixed";  // affected, no fix known
inline constexpr const char* kNotAffected = "not-affected";
inline constexpr const char* kEndOfLife = "end-of-life";  // affected, release unsupported
}  // namespace affected_status

// One OSV event: exactly one of the fields is set.
struct RangeEvent {
  std::string introduced{};
  std::string fixed{};
  std::string lastAffected{};
  std::string limit{};
  bool operator==(const RangeEvent&) const = default;
};

struct Affected {
  std::string ecosystem{};  // sbom eco:: names ("deb", "apk", "pypi", "golang", "npm") or node
  std::string name{};       // normalised; Debian: the SOURCE package
  std::string release{};    // "debian:12", "alpine:3.11"; empty where no distro data applies
  std::string rangeType{};  // range_type::
  std::vector<RangeEvent> events{};
  std::vector<std::string> versions{};  // explicit affected versions (OSV "versions")
  std::string vulnerableRange{};        // npm range strings (NPM rows)
  std::string patchedRange{};
  std::string status = affected_status::kFixed;
  bool operator==(const Affected&) const = default;
};

struct Vulnerability {
  std::string source{};                // the feed it came from ("golang-vulndb"); set by the store
  std::string id{};                    // the feed's own id: GO-.., PYSEC-.., NSWG-ECO-1, DSA-..
  std::vector<std::string> aliases{};  // other ids of the same flaw (CVE, GHSA, ...)
  std::string summary{};
  std::string details{};     // bounded (kMaxDetails)
  std::string severity{};    // the feed's own rating, lower-case ("high"), may be empty
  std::string cvssVector{};  // CVSS v3.x (or v2 when that is all there is)
  double cvssScore = -1;     // computed from cvssVector; -1: none / unscored
  double feedScore = -1;     // the score the feed published, -1 when none
  std::string published{};   // RFC 3339 or YYYY-MM-DD as the feed gives it
  std::string modified{};
  std::string withdrawn{};                // non-empty: the record is withdrawn
  std::vector<std::string> references{};  // URLs, bounded (kMaxReferences)
  std::vector<Affected> affected{};
};

inline constexpr size_t kMaxDetails = 8 * 1024;
inline constexpr size_t kMaxSummary = 1024;
inline constexpr size_t kMaxReferences = 32;

}  // namespace bulkhead::vuln
