// Bulkhead's scan JSON (docs/formats/scan-json.md).

#include "vuln/report.h"

namespace bulkhead::vuln {
namespace {

using nlohmann::json;

json packageJson(const sbom::Package& p) {
  json out = {{"name", displayName(p)}, {"version", p.version}, {"ecosystem", p.ecosystem}, {"purl", p.purl}};
  if (!p.sourceName.empty()) out["sourceName"] = p.sourceName;
  if (!p.sourceVersion.empty()) out["sourceVersion"] = p.sourceVersion;
  if (p.layer >= 0) out["layer"] = p.layer;
  if (!p.layerDiffId.empty()) out["layerDiffId"] = p.layerDiffId;
  if (!p.ownedBy.empty()) out["ownedBy"] = p.ownedBy;
  out["locations"] = p.locations;
  return out;
}

json findingJson(const ScanReport& report, const Finding& f) {
  json out = {{"id", f.id},
              {"ids", f.ids},
              {"sources", f.sources},
              {"severity", severityName(f.severity)},
              {"status", f.status},
              {"fixedVersions", f.fixedVersions},
              {"summary", f.summary},
              {"references", f.references},
              {"package", packageJson(report.sbom.packages[f.package])}};
  if (f.score >= 0) out["cvss"] = {{"score", f.score}, {"vector", f.cvssVector}};
  if (f.upstreamOfOsPackage) out["upstreamOfOsPackage"] = true;
  return out;
}

}  // namespace

json scanJson(const ScanReport& report) {
  json findings = json::array();
  for (const auto& f : report.findings) findings.push_back(findingJson(report, f));
  json upstream = json::array();
  for (const auto& f : report.upstream) upstream.push_back(findingJson(report, f));
  json suppressed = json::array();
  for (const auto& s : report.suppressed) {
    json entry = findingJson(report, s.finding);
    entry["suppressedBy"] = s.reason;
    suppressed.push_back(std::move(entry));
  }
  json bySeverity = json::object();
  for (const auto s : {Severity::kCritical, Severity::kHigh, Severity::kMedium, Severity::kLow, Severity::kNone,
                       Severity::kUnknown}) {
    bySeverity[severityName(s)] = 0;
  }
  for (const auto& f : report.findings) bySeverity[severityName(f.severity)] = bySeverity[severityName(f.severity)].get<int>() + 1;
  json sources = json::array();
  for (const auto& s : report.db.sources) {
    sources.push_back({{"name", s.name}, {"records", s.records}, {"modified", s.modified}, {"fetched", s.fetched}});
  }
  const auto& os = report.sbom.os;
  return {{"schema", "bulkhead.scan/v1"},
          {"subject", report.sbom.subject},
          {"manifestDigest", report.sbom.manifestDigest},
          {"os", {{"id", os.id}, {"versionId", os.versionId}, {"codename", os.codename}, {"prettyName", os.prettyName}}},
          {"database",
           {{"path", report.db.path},
            {"builtAt", report.db.builtAt},
            {"ageSeconds", report.db.ageSeconds},
            {"stale", report.dbStale},
            {"sources", sources}}},
          {"summary",
           {{"packages", report.sbom.packages.size()},
            {"packagesMatched", report.packagesMatched},
            {"findings", report.findings.size()},
            {"bySeverity", bySeverity},
            {"upstreamOfOsPackages", report.upstream.size()},
            {"suppressed", report.suppressed.size()}}},
          {"findings", findings},
          {"upstreamOfOsPackages", upstream},
          {"suppressed", suppressed},
          {"warnings", report.warnings}};
}

}  // namespace bulkhead::vuln
