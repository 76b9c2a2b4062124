// SARIF 2.1.0: one rule per flaw, one result per finding (package x flaw), located at the
// file that records the package (the dpkg status file, the package.json, the binary).

#include <fmt/format.h>

#include <cctype>
#include <map>

#include "vuln/report.h"

namespace bulkhead::vuln {
namespace {

using nlohmann::json;

const char* levelOf(Severity s) {
  switch (s) {
    case Severity::kCritical:
    case Severity::kHigh: return "error";
    case Severity::kMedium: return "warning";
    default: return "note";
  }
}

std::string relativeUri(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string out;
  for (const unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~' || c == '@' || c == '+') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out.empty() ? "." : out;
}

}  // namespace

json scanSarif(const ScanReport& report) {
  json rules = json::array();
  json results = json::array();
  std::map<std::string, size_t> ruleIndex;
  for (const auto& f : report.findings) {
    const auto& p = report.sbom.packages[f.package];
    auto [it, added] = ruleIndex.emplace(f.id, rules.size());
    if (added) {
      json rule = {{"id", f.id},
                   {"name", "KnownVulnerability"},
                   {"shortDescription", {{"text", f.summary.empty() ? f.id : f.summary}}},
                   {"fullDescription", {{"text", fmt::format("{} ({})", f.summary.empty() ? f.id : f.summary,
                                                             fmt::join(f.ids, ", "))}}},
                   {"defaultConfiguration", {{"level", levelOf(f.severity)}}},
                   {"properties", {{"tags", json::array({"security", "vulnerability"})}}}};
      if (f.score >= 0) rule["properties"]["security-severity"] = fmt::format("{:.1f}", f.score);
      if (!f.references.empty()) rule["helpUri"] = f.references.front();
      rule["help"] = {{"text", f.fixedVersions.empty() ? "No fixed version is known."
                                                       : fmt::format("Upgrade to {}.", fmt::join(f.fixedVersions, " or "))}};
      rules.push_back(std::move(rule));
    }
    json result = {
        {"ruleId", f.id},
        {"ruleIndex", it->second},
        {"level", levelOf(f.severity)},
        {"message",
         {{"text", fmt::format("{} {} ({}) is affected by {} [{}]{}", displayName(p), p.version, p.ecosystem, f.id,
                               severityName(f.severity),
                               f.fixedVersions.empty() ? "" : fmt::format("; fixed in {}", fmt::join(f.fixedVersions, ", ")))}}},
        {"locations",
         json::array({{{"physicalLocation",
                        {{"artifactLocation", {{"uri", relativeUri(p.locations.empty() ? "" : p.locations.front())}}}}},
                       {"logicalLocations", json::array({{{"name", p.purl}, {"kind", "package"}}})}}})},
        {"partialFingerprints", {{"packageVulnerability/v1", p.purl + "|" + f.id}}}};
    results.push_back(std::move(result));
  }
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs", json::array({{{"tool",
                                  {{"driver",
                                    {{"name", "bulkhead"},
                                     {"version", BULKHEAD_VERSION},
                                     {"rules", rules}}}}},
                                 {"results", results}}})}};
}

}  // namespace bulkhead::vuln
