#include "vuln/scan.h"

#include <fmt/format.h>

#include <algorithm>

namespace bulkhead::vuln {

Result<ScanReport> scanSbom(sbom::Sbom sbom, const AdvisoryDb& db, const Suppressions& suppressions,
                            const ScanOptions& options) {
  ScanReport report;
  auto info = db.info();
  if (!info) return info.error();
  report.db = std::move(*info);
  if (report.db.ageSeconds > options.staleAfterSeconds) {
    report.dbStale = true;
    report.warnings.push_back(fmt::format(
        "the advisory database {} was built {} days ago ({}); run `bulkhead db update`", report.db.path,
        report.db.ageSeconds / 86400, report.db.builtAt));
  }
  StoreAdvisories lookup(db);
  auto matched = matchSbom(sbom, lookup);
  if (!matched) return matched.error();
  report.packagesMatched = matched->packagesMatched;
  report.pairsCompared = matched->pairsCompared;
  for (auto& w : matched->warnings) report.warnings.push_back(std::move(w));
  const std::string today = options.today.empty() ? todayUtc() : options.today;
  for (auto& w : expiredRules(suppressions, today)) report.warnings.push_back(std::move(w));
  for (auto& f : matched->findings) {
    if (auto reason = suppressionFor(f, sbom.packages[f.package], suppressions, today)) {
      report.suppressed.push_back({std::move(f), std::move(*reason)});
    } else if (f.upstreamOfOsPackage && !options.gateUpstreamOfOsPackages) {
      report.upstream.push_back(std::move(f));
    } else {
      report.findings.push_back(std::move(f));
    }
  }
  report.sbom = std::move(sbom);
  return report;
}

size_t gateCount(const ScanReport& report, Severity threshold) {
  return static_cast<size_t>(std::count_if(report.findings.begin(), report.findings.end(),
                                           [&](const Finding& f) { return f.severity >= threshold; }));
}

}  // namespace bulkhead::vuln
