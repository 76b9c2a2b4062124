#pragma once
// Matching an SBOM's packages against advisories: by ecosystem and name (the source
// package for distro packages), with each ecosystem's version rules, a distro package
// judged by its own release's data only. One finding per package per flaw, every id of
// the flaw merged (CVE, GHSA, PYSEC, GO, DSA/DLA, NSWG).

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "sbom/sbom.h"
#include "vuln/db/advisory.h"
#include "vuln/severity.h"

namespace bulkhead::vuln {

// Where advisories come from: the store, or a list in memory (tests).
class AdvisoryLookup {
 public:
  virtual ~AdvisoryLookup() = default;
  // Every advisory with an affected entry for this (normalised) package name in this
  // ecosystem; entries for other packages or releases may be left in, the matcher skips
  // them. `release` ("debian:12") lets a store leave other releases' rows out.
  virtual Result<std::vector<Vulnerability>> lookup(std::string_view ecosystem, std::string_view name,
                                                    std::string_view release) const = 0;
};

class MemoryAdvisories : public AdvisoryLookup {
 public:
  explicit MemoryAdvisories(std::vector<Vulnerability> all) : all_(std::move(all)) {}
  Result<std::vector<Vulnerability>> lookup(std::string_view ecosystem, std::string_view name,
                                            std::string_view release) const override;

 private:
  std::vector<Vulnerability> all_;
};

struct Finding {
  size_t package = 0;              // index into the SBOM's packages
  std::string id;                  // the id shown: the CVE when there is one
  std::vector<std::string> ids;    // every id of the flaw, sorted, `id` included
  std::vector<std::string> sources;  // feed records that matched ("DSA-5417-1", "GO-2023-1840")
  std::string summary;
  Severity severity = Severity::kUnknown;
  double score = -1;               // CVSS base score when known
  std::string cvssVector;
  std::vector<std::string> fixedVersions;  // versions that fix it, when the feeds name them
  std::string status;              // "fixed" (a fix exists), "unfixed", "end-of-life"
  std::vector<std::string> references;
  // A language package whose files an OS package owns: matched against upstream data,
  // which the distribution may have patched; reported apart, outside the gate by default.
  bool upstreamOfOsPackage = false;
  std::string ownedBy;
};

struct MatchOptions {
  // Match language packages owned by OS packages against upstream advisories at all.
  bool matchOsOwned = true;
};

struct MatchResult {
  std::vector<Finding> findings;  // sorted: package, then severity (highest first), then id
  std::vector<std::string> warnings;
  size_t packagesMatched = 0;     // packages looked up
  size_t packagesSkipped = 0;     // no known ecosystem or no version
  size_t pairsCompared = 0;       // package x affected-entry evaluations
};

// The ecosystem and name advisories key a package by (deb: the source package), and the
// distro release its data must come from ("debian:12"); empty ecosystem: not matched.
struct MatchKey {
  std::string ecosystem;
  std::string name;
  std::string version;
  std::string release;
};
MatchKey matchKey(const sbom::Package& package, const image::OsInfo& os);

Result<MatchResult> matchSbom(const sbom::Sbom& sbom, const AdvisoryLookup& advisories,
                              const MatchOptions& options = {});

}  // namespace bulkhead::vuln
