#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "compliance/report.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

const char* level(Severity s) {
  switch (s) {
    case Severity::kCritical:
    case Severity::kHigh: return "error";
    case Severity::kMedium: return "warning";
    case Severity::kLow:
    case Severity::kInfo: return "note";
  }
  return "warning";
}

// GitHub reads "security-severity" as a CVSS-like score: 9+ critical, 7+ high, 4+ medium.
const char* securitySeverity(Severity s) {
  switch (s) {
    case Severity::kCritical: return "9.5";
    case Severity::kHigh: return "8.0";
    case Severity::kMedium: return "5.5";
    case Severity::kLow: return "3.0";
    case Severity::kInfo: return "0.0";
  }
  return "5.5";
}

const char* kind(Status s) {
  switch (s) {
    case Status::kPass: return "pass";
    case Status::kFail: return "fail";
    case Status::kManual: return "review";
    case Status::kNotApplicable: return "notApplicable";
    case Status::kError: return "open";
  }
  return "open";
}

// A URI reference for a file path: absolute paths become file:// URIs, others stay relative.
std::string fileUri(const std::string& path) {
  std::string out = path[0] == '/' ? "file://" : "";
  for (const unsigned char c : path) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '.' || c == '_' || c == '~' || c == '/';
    out += plain ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace

std::string renderSarif(const Report& report) {
  json rules = json::array();
  std::map<const Check*, size_t> ruleIndex;
  for (const Check* c : report.checks) {
    ruleIndex[c] = rules.size();
    json tags = json::array({"security", "compliance", targetName(c->target)});
    if (!c->benchmark.empty() && !c->reference.empty()) tags.push_back(c->benchmark + " " + c->reference);
    for (const auto& control : c->controls) tags.push_back(control);
    rules.push_back({{"id", c->id},
                     {"name", c->id},
                     {"shortDescription", {{"text", c->title}}},
                     {"fullDescription", {{"text", c->rationale}}},
                     {"help", {{"text", c->remediation}}},
                     {"defaultConfiguration", {{"level", level(c->severity)}}},
                     {"properties",
                      {{"tags", std::move(tags)},
                       {"security-severity", securitySeverity(c->severity)},
                       {"severity", severityName(c->severity)},
                       {"automated", c->automated},
                       {"section", c->section + " " + c->sectionTitle},
                       {"benchmark", c->benchmark},
                       {"reference", c->reference}}}});
  }
  const bool physical = report.target != Target::kImage;
  json results = json::array();
  json notifications = json::array();
  for (const auto& r : report.results) {
    json result = {{"ruleId", r.check->id}, {"ruleIndex", ruleIndex[r.check]}, {"kind", kind(r.status)}};
    result["level"] = r.status == Status::kFail ? level(r.check->severity) : "none";
    std::string text = r.message.empty() ? r.check->title : r.message;
    result["message"] = {{"text", fmt::format("{}: {}", r.subject, text)}};
    json locations = json::array();
    for (const auto& e : r.evidence) {
      if (r.status == Status::kFail && e.holds) continue;
      json loc = json::object();
      if (physical && !e.file.empty() && e.file.find(' ') == std::string::npos) {
        loc["physicalLocation"] = {{"artifactLocation", {{"uri", fileUri(e.file)}}}};
        if (e.line > 0) loc["physicalLocation"]["region"] = {{"startLine", e.line}};
      }
      std::string name = e.path.empty() ? e.file : e.path;
      if (!e.label.empty()) name = e.label + ": " + name;
      if (!name.empty()) loc["logicalLocations"] = json::array({{{"fullyQualifiedName", name}, {"kind", "member"}}});
      if (!loc.empty()) locations.push_back(std::move(loc));
      if (locations.size() >= 10) break;
    }
    if (locations.empty() && physical && !r.subjectFile.empty() && r.subjectFile.find(' ') == std::string::npos) {
      locations.push_back({{"physicalLocation", {{"artifactLocation", {{"uri", fileUri(r.subjectFile)}}}}}});
    }
    if (!locations.empty()) result["locations"] = std::move(locations);
    json evidence = json::array();
    for (const auto& e : r.evidence) evidence.push_back(describeEvidence(e));
    result["properties"] = {{"subject", r.subject}, {"status", statusName(r.status)}, {"evidence", std::move(evidence)}};
    if (r.status == Status::kError) {
      notifications.push_back({{"level", "error"},
                               {"message", {{"text", fmt::format("{} on {}: {}", r.check->id, r.subject, r.message)}}},
                               {"associatedRule", {{"id", r.check->id}, {"index", ruleIndex[r.check]}}}});
    }
    results.push_back(std::move(result));
  }
  json run = {{"tool",
               {{"driver",
                 {{"name", "bulkhead"},
                  {"version", BULKHEAD_VERSION},
                  {"rules", std::move(rules)}}}}},
              {"results", std::move(results)},
              {"invocations", json::array({{{"executionSuccessful", report.totals.error == 0},
                                            {"toolExecutionNotifications", std::move(notifications)}}})},
              {"properties",
               {{"target", targetName(report.target)},
                {"description", report.description},
                {"score", report.totals.score() ? json(*report.totals.score()) : json()}}}};
  json out = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({std::move(run)})}};
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace bulkhead::compliance
