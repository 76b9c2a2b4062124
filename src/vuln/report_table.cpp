#include <fmt/format.h>

#include <array>
#include <map>

#include "vuln/report.h"

namespace bulkhead::vuln {
namespace {

const char* colourOf(Severity s) {
  switch (s) {
    case Severity::kCritical: return "\033[1;31m";
    case Severity::kHigh: return "\033[31m";
    case Severity::kMedium: return "\033[33m";
    case Severity::kLow: return "\033[34m";
    default: return "\033[2m";
  }
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string clip(std::string_view text, size_t width) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= width) break;
    out += (c == '\n' || c == '\r' || c == '\t' || static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  }
  if (text.size() > width && width > 3) out.replace(width - 3, 3, "...");
  return out;
}

std::string joined(const std::vector<std::string>& items, size_t most) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < most; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > most) out += fmt::format(" (+{})", items.size() - most);
  return out;
}

void packageLine(std::string& out, const sbom::Package& p) {
  out += fmt::format("{} {} ({}", displayName(p), p.version, p.ecosystem);
  if (!p.sourceName.empty() && p.sourceName != p.name) out += ", source " + p.sourceName;
  if (!p.ownedBy.empty()) out += ", owned by " + p.ownedBy;
  if (!p.locations.empty()) out += ", " + p.locations.front();
  out += ")\n";
}

void findingLines(std::string& out, const Finding& f, bool color, std::string_view note = {}) {
  const std::string severity = fmt::format("{:<9}", upper(severityName(f.severity)));
  out += "  ";
  out += color ? fmt::format("{}{}\033[0m", colourOf(f.severity), severity) : severity;
  out += fmt::format(" {:<20} ", f.id);
  if (f.status == "fixed" && !f.fixedVersions.empty()) {
    out += fmt::format("fixed in {}", joined(f.fixedVersions, 2));
  } else {
    out += f.status == "end-of-life" ? "no fix: release out of support" : "no fix yet";
  }
  out += "\n";
  std::vector<std::string> others;
  for (const auto& id : f.ids) {
    if (id != f.id) others.push_back(id);
  }
  if (!f.summary.empty()) out += fmt::format("            {}\n", clip(f.summary, 100));
  if (!others.empty()) out += fmt::format("            also {}\n", joined(others, 6));
  if (!note.empty()) out += fmt::format("            suppressed: {}\n", clip(note, 120));
}

// Findings grouped by package, in the report's order.
void section(std::string& out, const ScanReport& report, const std::vector<Finding>& findings, bool color) {
  size_t current = SIZE_MAX;
  for (const auto& f : findings) {
    if (f.package != current) {
      current = f.package;
      packageLine(out, report.sbom.packages[f.package]);
    }
    findingLines(out, f, color);
  }
}

}  // namespace

std::string displayName(const sbom::Package& p) {
  if (p.nameSpace.empty() || p.ecosystem == sbom::eco::kDeb || p.ecosystem == sbom::eco::kApk ||
      p.ecosystem == sbom::eco::kRpm) {
    return p.name;
  }
  return p.nameSpace + (p.ecosystem == sbom::eco::kMaven ? ":" : "/") + p.name;
}

std::string scanTable(const ScanReport& report, bool color) {
  std::string out;
  const auto& os = report.sbom.os;
  out += fmt::format("{}: {}, {} packages; advisory database built {}{}\n\n", report.sbom.subject,
                     os.prettyName.empty() ? "unknown OS" : os.prettyName, report.sbom.packages.size(),
                     report.db.builtAt, report.dbStale ? " (STALE)" : "");
  if (report.findings.empty()) {
    out += "No known vulnerabilities.\n";
  } else {
    section(out, report, report.findings, color);
  }
  if (!report.upstream.empty()) {
    out += "\nUpstream advisories for language packages an OS package owns (the distribution may have\n"
           "patched them; judged by the distribution's data above, not in the gate):\n";
    section(out, report, report.upstream, color);
  }
  if (!report.suppressed.empty()) {
    out += "\nSuppressed (ignore file, VEX):\n";
    size_t current = SIZE_MAX;
    for (const auto& s : report.suppressed) {
      if (s.finding.package != current) {
        current = s.finding.package;
        packageLine(out, report.sbom.packages[current]);
      }
      findingLines(out, s.finding, color, s.reason);
    }
  }
  std::array<size_t, 6> counts{};
  for (const auto& f : report.findings) ++counts[static_cast<size_t>(f.severity)];
  out += fmt::format("\nTotal: {} (critical {}, high {}, medium {}, low {}, unknown {})", report.findings.size(),
                     counts[5], counts[4], counts[3], counts[2], counts[0] + counts[1]);
  out += fmt::format("; {} upstream of OS packages; {} suppressed\n", report.upstream.size(),
                     report.suppressed.size());
  return out;
}

}  // namespace bulkhead::vuln
