// CycloneDX 1.5 with vulnerabilities: the SBOM document (sbom/cyclonedx.h) plus one
// vulnerability per flaw, affecting the packages' bom-refs; suppressed findings carry an
// analysis (not_affected or resolved) with the reason.

#include <fmt/format.h>

#include <map>

#include "sbom/cyclonedx.h"
#include "vuln/report.h"

namespace bulkhead::vuln {
namespace {

using nlohmann::json;

std::string sourceName(std::string_view id) {
  if (id.starts_with("CVE-")) return "NVD";
  if (id.starts_with("GHSA-")) return "GitHub";
  if (id.starts_with("GO-")) return "Go Vulnerability Database";
  if (id.starts_with("PYSEC-")) return "PyPA Advisory Database";
  if (id.starts_with("DSA-") || id.starts_with("DLA-")) return "Debian Security Tracker";
  if (id.starts_with("NSWG-")) return "Node.js Security WG";
  return "Bulkhead";
}

std::string ratingMethod(std::string_view vector) {
  if (vector.starts_with("CVSS:3.1/")) return "CVSSv31";
  if (vector.starts_with("CVSS:3.0/")) return "CVSSv3";
  if (vector.starts_with("CVSS:4")) return "CVSSv4";
  return "CVSSv2";
}

std::string cdxSeverity(Severity s) {
  return s == Severity::kNone ? "none" : severityName(s);
}

}  // namespace

json scanCycloneDx(const ScanReport& report, const sbom::DocumentOptions& options) {
  json doc = sbom::cycloneDxJson(report.sbom, options);
  const auto refs = sbom::cycloneDxRefs(report.sbom);
  // One entry per flaw id; findings of several packages share it.
  std::map<std::string, json> byId;
  auto add = [&](const Finding& f, const std::string* suppressedBy) {
    json& v = byId[f.id];
    if (v.is_null()) {
      v = {{"bom-ref", "vuln:" + f.id}, {"id", f.id}, {"source", {{"name", sourceName(f.id)}}}, {"affects", json::array()}};
      json ratings = json::array();
      if (f.score >= 0) {
        ratings.push_back({{"score", f.score}, {"severity", cdxSeverity(f.severity)},
                           {"method", ratingMethod(f.cvssVector)}, {"vector", f.cvssVector}});
      } else {
        ratings.push_back({{"severity", cdxSeverity(f.severity)}});
      }
      v["ratings"] = ratings;
      json references = json::array();
      for (const auto& id : f.ids) {
        if (id != f.id) references.push_back({{"id", id}, {"source", {{"name", sourceName(id)}}}});
      }
      if (!references.empty()) v["references"] = references;
      if (!f.summary.empty()) v["description"] = f.summary;
      if (!f.fixedVersions.empty()) {
        v["recommendation"] = fmt::format("Upgrade to {}.", fmt::join(f.fixedVersions, " or "));
      }
      json advisories = json::array();
      for (const auto& url : f.references) {
        if (url.starts_with("https://") || url.starts_with("http://")) advisories.push_back({{"url", url}});
      }
      if (!advisories.empty()) v["advisories"] = advisories;
      if (suppressedBy != nullptr) {
        const bool fixed = suppressedBy->find(": fixed") != std::string::npos;
        v["analysis"] = {{"state", fixed ? "resolved" : "not_affected"}, {"detail", *suppressedBy}};
      }
    }
    const auto& p = report.sbom.packages[f.package];
    v["affects"].push_back({{"ref", refs[f.package]},
                            {"versions", json::array({{{"version", p.version}, {"status", "affected"}}})}});
  };
  for (const auto& f : report.findings) add(f, nullptr);
  for (const auto& f : report.upstream) add(f, nullptr);
  for (const auto& s : report.suppressed) add(s.finding, &s.reason);
  json vulnerabilities = json::array();
  for (auto& [id, v] : byId) vulnerabilities.push_back(std::move(v));
  doc["vulnerabilities"] = std::move(vulnerabilities);
  return doc;
}

}  // namespace bulkhead::vuln
