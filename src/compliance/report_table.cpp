#include <fmt/format.h>

#include <map>

#include "compliance/report.h"

namespace bulkhead::compliance {
namespace {

const char* statusLabel(Status s) {
  switch (s) {
    case Status::kPass: return "PASS";
    case Status::kFail: return "FAIL";
    case Status::kManual: return "MANUAL";
    case Status::kNotApplicable: return "N/A";
    case Status::kError: return "ERROR";
  }
  return "?";
}

std::string wrap(const std::string& text, size_t indent, size_t width = 100) {
  std::string out;
  std::string line;
  size_t i = 0;
  const std::string pad(indent, ' ');
  while (i < text.size()) {
    size_t j = text.find_first_of(" \n", i);
    if (j == std::string::npos) j = text.size();
    const std::string word = text.substr(i, j - i);
    if (!line.empty() && pad.size() + line.size() + 1 + word.size() > width) {
      out += pad + line + "\n";
      line.clear();
    }
    if (!word.empty()) line += (line.empty() ? "" : " ") + word;
    if (j < text.size() && text[j] == '\n' && !line.empty()) {
      out += pad + line + "\n";
      line.clear();
    }
    i = j + 1;
  }
  if (!line.empty()) out += pad + line + "\n";
  return out;
}

std::string scoreText(const Totals& t) {
  auto score = t.score();
  return score ? fmt::format("{:.0f}%", *score) : "-";
}

// Control characters from hostile input must not reach a terminal as escape sequences.
std::string printable(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string describeEvidence(const Evidence& e) {
  std::string where;
  if (!e.file.empty()) where = e.file + (e.line > 0 ? fmt::format(":{}", e.line) : "");
  if (!e.path.empty()) where += (where.empty() ? "" : " ") + e.path;
  if (!e.label.empty() && e.label != e.file) where = "[" + e.label + "] " + where;
  std::string out = fmt::format("{} = {}", where, e.observed);
  std::string want = e.expected;
  if (!e.note.empty()) want += (want.empty() ? "" : "; ") + e.note;
  if (!want.empty()) out += fmt::format(" (want {})", want);
  return printable(out);
}

Status aggregateStatus(const Report& report, const Check* check) {
  bool fail = false, error = false, pass = false, manual = false;
  for (const auto& r : report.results) {
    if (r.check != check) continue;
    fail = fail || r.status == Status::kFail;
    error = error || r.status == Status::kError;
    pass = pass || r.status == Status::kPass;
    manual = manual || r.status == Status::kManual;
  }
  if (fail) return Status::kFail;
  if (error) return Status::kError;
  if (pass) return Status::kPass;
  if (manual) return Status::kManual;
  return Status::kNotApplicable;
}

std::string renderTable(const Report& report, const TableOptions& options) {
  std::string out = fmt::format("bulkhead bench {}: {}\n", targetName(report.target), report.description);
  const bool many = report.subjects.size() != 1;
  if (many) out += fmt::format("{} subject(s)\n", report.subjects.size());
  std::multimap<const Check*, const CheckResult*> byCheck;
  for (const auto& r : report.results) byCheck.emplace(r.check, &r);
  std::string currentSection;
  for (const Check* check : report.checks) {
    const Status status = aggregateStatus(report, check);
    if (options.onlyFailures && status != Status::kFail && status != Status::kError) continue;
    const std::string sectionKey = check->benchmark + "|" + check->section;
    if (sectionKey != currentSection) {
      currentSection = sectionKey;
      out += fmt::format("\n[{}] {}{}\n", check->section, check->sectionTitle,
                         check->benchmark.empty() ? "" : " (" + check->benchmark + ")");
    }
    size_t failing = 0, total = 0;
    for (auto [it, end] = byCheck.equal_range(check); it != end; ++it) {
      ++total;
      if (it->second->status == Status::kFail) ++failing;
    }
    std::string counts = many && status == Status::kFail ? fmt::format(" ({} of {})", failing, total) : "";
    out += fmt::format("  {:<6} {:<13} {:<9} {}{} [{}{}]\n", statusLabel(status), check->id,
                       check->reference.empty() ? "-" : check->reference, check->title, counts,
                       severityName(check->severity), check->automated ? "" : ", manual");
    for (auto [it, end] = byCheck.equal_range(check); it != end; ++it) {
      const CheckResult& r = *it->second;
      const bool show = r.status == Status::kFail || r.status == Status::kError || r.status == Status::kManual ||
                        options.verbose;
      if (!show) continue;
      const std::string indent = "         ";
      if (many) out += fmt::format("{}{}: {}\n", indent, statusLabel(r.status), printable(r.subject));
      const std::string deeper = many ? indent + "  " : indent;
      if (r.status == Status::kError || r.status == Status::kNotApplicable || r.evidence.empty()) {
        if (!r.message.empty()) out += deeper + printable(r.message) + "\n";
      }
      for (const auto& e : r.evidence) {
        if (r.status == Status::kFail && e.holds) continue;  // show what failed
        out += deeper + describeEvidence(e) + "\n";
      }
      if (r.omittedEvidence > 0) out += fmt::format("{}... and {} more\n", deeper, r.omittedEvidence);
    }
    if (status == Status::kFail || (status == Status::kManual && options.verbose)) {
      out += wrap("fix: " + check->remediation, 9);
    }
  }
  out += "\nSection scores (passed / passed + failed):\n";
  for (const auto& s : report.sections) {
    out += fmt::format("  {:<6} {:<48} {:>4} pass {:>4} fail {:>4} manual {:>4} n/a {:>3} error  {:>5}\n", s.key,
                       s.title.size() > 48 ? s.title.substr(0, 45) + "..." : s.title, s.totals.pass, s.totals.fail,
                       s.totals.manual, s.totals.notApplicable, s.totals.error, scoreText(s.totals));
  }
  const Totals& t = report.totals;
  out += fmt::format("\nTotal: {} passed, {} failed, {} manual, {} not applicable, {} errors; score {}\n", t.pass,
                     t.fail, t.manual, t.notApplicable, t.error, scoreText(t));
  for (const auto& w : report.warnings) out += "warning: " + w + "\n";
  return sanitizeUtf8(out);
}

}  // namespace bulkhead::compliance
