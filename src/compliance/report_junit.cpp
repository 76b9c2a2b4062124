#include <fmt/format.h>

#include "compliance/report.h"

namespace bulkhead::compliance {
namespace {

// XML 1.0 text: escaped, valid UTF-8, and without the control characters XML forbids.
std::string xml(std::string_view text) {
  const std::string clean = sanitizeUtf8(text);
  std::string out;
  out.reserve(clean.size());
  for (const char c : clean) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace

std::string renderJunit(const Report& report) {
  const Totals& t = report.totals;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
                     xml(fmt::format("bulkhead bench {}: {}", targetName(report.target), report.description)),
                     report.results.size(), t.fail, t.error, t.manual + t.notApplicable);
  for (const auto& section : report.sections) {
    std::string cases;
    for (const auto& r : report.results) {
      const Check& c = *r.check;
      if (c.section != section.key || c.benchmark != section.benchmark) continue;
      const std::string name = report.subjects.size() == 1 ? fmt::format("{} {}", c.id, c.title)
                                                           : fmt::format("{} {} [{}]", c.id, c.title, r.subject);
      cases += fmt::format("    <testcase classname=\"{}\" name=\"{}\"", xml(fmt::format("bulkhead.{}.{}", targetName(report.target), section.key)), xml(name));
      std::string details;
      for (const auto& e : r.evidence) details += describeEvidence(e) + "\n";
      if (r.omittedEvidence > 0) details += fmt::format("... and {} more\n", r.omittedEvidence);
      switch (r.status) {
        case Status::kPass:
          cases += "/>\n";
          break;
        case Status::kFail:
          cases += fmt::format(">\n      <failure message=\"{}\" type=\"{}\">{}fix: {}</failure>\n    </testcase>\n",
                               xml(r.message), severityName(c.severity), xml(details), xml(c.remediation));
          break;
        case Status::kError:
          cases += fmt::format(">\n      <error message=\"{}\">{}</error>\n    </testcase>\n", xml(r.message), xml(details));
          break;
        case Status::kManual:
          cases += fmt::format(">\n      <skipped message=\"{}\"/>\n      <system-out>{}review: {}</system-out>\n    </testcase>\n",
                               xml("manual: " + r.message), xml(details), xml(c.remediation));
          break;
        case Status::kNotApplicable:
          cases += fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n", xml("not applicable: " + r.message));
          break;
      }
    }
    const Totals& s = section.totals;
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n{}  </testsuite>\n",
                       xml(fmt::format("{} {}", section.key, section.title)),
                       s.pass + s.fail + s.error + s.manual + s.notApplicable, s.fail, s.error,
                       s.manual + s.notApplicable, cases);
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace bulkhead::compliance
