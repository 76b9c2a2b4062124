#include <cmath>
#include <nlohmann/json.hpp>

#include "compliance/report.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

json totalsJson(const Totals& t) {
  json out = {{"pass", t.pass}, {"fail", t.fail}, {"manual", t.manual}, {"notApplicable", t.notApplicable},
              {"error", t.error}};
  auto score = t.score();
  out["score"] = score ? json(std::round(*score * 10) / 10) : json();
  return out;
}

}  // namespace

std::string sanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (valid && length == 2 && c < 0xC2) valid = false;  // overlong
    if (valid && length == 3) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) valid = false;  // overlong, surrogates
    }
    if (valid && length == 4) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      if ((c == 0xF0 && c1 < 0x90) || c > 0xF4 || (c == 0xF4 && c1 >= 0x90)) valid = false;
    }
    if (valid) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

json evidenceJson(const Evidence& e) {
  json out = {{"path", e.path}, {"observed", e.observed}, {"expected", e.expected}, {"holds", e.holds}};
  if (!e.file.empty()) out["file"] = e.file;
  if (e.line > 0) out["line"] = e.line;
  if (!e.label.empty()) out["label"] = e.label;
  if (!e.note.empty()) out["note"] = e.note;
  return out;
}

std::string renderJson(const Report& report) {
  json out;
  out["tool"] = {{"name", "bulkhead"}, {"version", BULKHEAD_VERSION}};
  out["target"] = targetName(report.target);
  out["description"] = report.description;
  out["inputs"] = report.inputs;
  out["subjects"] = report.subjects;
  out["summary"] = totalsJson(report.totals);
  json sections = json::array();
  for (const auto& s : report.sections) {
    json entry = {{"benchmark", s.benchmark}, {"section", s.key}, {"title", s.title}};
    entry.update(totalsJson(s.totals));
    sections.push_back(std::move(entry));
  }
  out["sections"] = std::move(sections);
  json results = json::array();
  for (const auto& r : report.results) {
    const Check& c = *r.check;
    json entry = {{"id", c.id},
                  {"title", c.title},
                  {"benchmark", c.benchmark},
                  {"reference", c.reference},
                  {"controls", c.controls},
                  {"section", c.section},
                  {"severity", severityName(c.severity)},
                  {"automated", c.automated},
                  {"subject", r.subject},
                  {"status", statusName(r.status)},
                  {"message", r.message}};
    json evidence = json::array();
    for (const auto& e : r.evidence) evidence.push_back(evidenceJson(e));
    entry["evidence"] = std::move(evidence);
    if (r.omittedEvidence > 0) entry["omittedEvidence"] = r.omittedEvidence;
    entry["remediation"] = c.remediation;
    entry["rationale"] = c.rationale;
    results.push_back(std::move(entry));
  }
  out["results"] = std::move(results);
  out["warnings"] = report.warnings;
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace bulkhead::compliance
