#pragma once
// A vulnerability scan of an SBOM: match it against the advisory store, apply the user's
// ignore rules and VEX statements, and sort what is left into the findings the gate
// judges and those listed apart (language packages an OS package owns). The reports
// (report.h) and the CLI gate read the result.

#include <string>
#include <vector>

#include "core/result.h"
#include "sbom/sbom.h"
#include "vuln/db/store.h"
#include "vuln/matcher.h"
#include "vuln/suppress.h"

namespace bulkhead::vuln {

// The store as the matcher's lookup.
class StoreAdvisories : public AdvisoryLookup {
 public:
  explicit StoreAdvisories(const AdvisoryDb& db) : db_(db) {}
  Result<std::vector<Vulnerability>> lookup(std::string_view ecosystem, std::string_view name,
                                            std::string_view release) const override {
    return db_.advisoriesFor(ecosystem, name, release);
  }

 private:
  const AdvisoryDb& db_;
};

struct ScanOptions {
  // Put findings of OS-owned language packages into the gate (they are reported apart,
  // labelled, by default).
  bool gateUpstreamOfOsPackages = false;
  int64_t staleAfterSeconds = 7 * 24 * 3600;  // a store older than this earns a warning
  std::string today;                           // YYYY-MM-DD for ignore expiry; empty: today
};

struct SuppressedFinding {
  Finding finding;
  std::string reason;
};

struct ScanReport {
  sbom::Sbom sbom;
  std::vector<Finding> findings;  // judged by the gate
  std::vector<Finding> upstream;  // OS-owned language packages: upstream advisories, apart
  std::vector<SuppressedFinding> suppressed;
  std::vector<std::string> warnings;
  DbInfo db;
  bool dbStale = false;
  size_t packagesMatched = 0;
  size_t pairsCompared = 0;
};

Result<ScanReport> scanSbom(sbom::Sbom sbom, const AdvisoryDb& db, const Suppressions& suppressions,
                            const ScanOptions& options = {});

// Findings at or above `threshold` in the gate (report.findings only).
size_t gateCount(const ScanReport& report, Severity threshold);

}  // namespace bulkhead::vuln
