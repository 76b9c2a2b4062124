// Debian security tracker lists (data/DSA/list, data/DLA/list): per advisory a header
//   [29 Mar 2023] DSA-5380-1 xorg-server - security update
// then indented lines: {CVE ids}, per release "[bullseye] - <source> <fixed version>" or
// "<not-affected>" / "<unfixed>" / "<end-of-life>", and NOTE: lines. Packages are SOURCE
// packages, versions dpkg versions; each release is judged by its own line only.

#include <array>
#include <cctype>

#include "sbom/package.h"
#include "vuln/db/names.h"
#include "vuln/importers/importer.h"

namespace bulkhead::vuln {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string_view nextToken(std::string_view& text) {
  text = trim(text);
  const auto end = text.find_first_of(" \t");
  const std::string_view token = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view() : text.substr(end);
  return token;
}

bool safeToken(std::string_view token, size_t maxLength) {
  if (token.empty() || token.size() > maxLength) return false;
  for (char c : token) {
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 127) return false;
  }
  return true;
}

// "29 Mar 2023" -> "2023-03-29"; "" when it is not such a date.
std::string isoDate(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string_view rest = text;
  const std::string_view day = nextToken(rest);
  const std::string_view month = nextToken(rest);
  const std::string_view year = nextToken(rest);
  if (day.empty() || day.size() > 2 || year.size() != 4 || !trim(rest).empty()) return {};
  for (char c : day) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return {};
  }
  for (char c : year) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return {};
  }
  for (size_t m = 0; m < kMonths.size(); ++m) {
    if (kMonths[m] == month) {
      return fmt::format("{}-{:02}-{:0>2}", year, m + 1, day);
    }
  }
  return {};
}

bool plausibleAdvisoryId(std::string_view id) {
  if (!safeToken(id, 64)) return false;
  return id.rfind("DSA-", 0) == 0 || id.rfind("DLA-", 0) == 0 || id.rfind("DTSA-", 0) == 0;
}

class DebianListImporter final : public Importer {
 public:
  std::string_view format() const override { return "debian-list"; }

  bool wants(std::string_view path) const override {
    return path == "list" || endsWith(path, "/list");
  }

  Status parse(const ImportFile& file, ImportSink& sink) const override {
    const ImportLimits& limits = sink.limits();
    std::string_view text = file.text;
    if (text.find('\0') != std::string_view::npos) return makeError("binary data (NUL byte)");
    Vulnerability current;
    bool open = false;
    bool skipping = false;  // inside an advisory whose header was bad
    size_t records = 0;
    size_t lineNumber = 0;
    size_t headers = 0;
    auto flush = [&] {
      if (open) {
        if (++records <= limits.maxRecordsPerFile) sink.add(std::move(current));
        current = Vulnerability();
      }
      open = false;
    };
    while (!text.empty()) {
      const auto newline = text.find('\n');
      std::string_view line = text.substr(0, newline);
      text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
      ++lineNumber;
      if (line.size() > limits.maxStringBytes) {
        sink.warn(fmt::format("{}:{}: line longer than {} bytes skipped", file.path, lineNumber,
                              limits.maxStringBytes));
        continue;
      }
      if (trim(line).empty()) continue;
      if (line.front() == '[') {
        flush();
        ++headers;
        const auto close = line.find(']');
        if (close == std::string_view::npos) {
          sink.warn(
              fmt::format("{}:{}: advisory header without a closing ']'", file.path, lineNumber));
          skipping = true;
          continue;
        }
        std::string_view rest = line.substr(close + 1);
        const std::string_view id = nextToken(rest);
        if (!plausibleAdvisoryId(id)) {
          sink.warn(
              fmt::format("{}:{}: advisory header without a DSA/DLA id", file.path, lineNumber));
          skipping = true;
          continue;
        }
        skipping = false;
        open = true;
        current.id = std::string(id);
        current.published = isoDate(line.substr(1, close - 1));
        current.summary = truncateUtf8(trim(rest), kMaxSummary);  // "xorg-server - security update"
        current.references.push_back(
            fmt::format("https://security-tracker.debian.org/tracker/{}", current.id));
        continue;
      }
      if (line.front() != ' ' && line.front() != '\t') {
        sink.warn(fmt::format("{}:{}: unexpected unindented line", file.path, lineNumber));
        continue;
      }
      if (!open || skipping) continue;
      const std::string_view body = trim(line);
      if (body.rfind("NOTE:", 0) == 0) continue;
      if (body.front() == '{') {
        const auto close = body.find('}');
        if (close == std::string_view::npos) {
          sink.warn(fmt::format("{}:{}: {}: id list without a closing '}}'", file.path, lineNumber,
                                current.id));
          continue;
        }
        std::string_view ids = body.substr(1, close - 1);
        while (!trim(ids).empty()) {
          const std::string_view alias = nextToken(ids);
          if (!safeToken(alias, 64)) continue;
          if (current.aliases.size() >= limits.maxListItems) break;
          current.aliases.emplace_back(alias);
        }
        continue;
      }
      if (body.front() == '[') {
        std::string problem;
        addRelease(body, current, problem);
        if (!problem.empty()) {
          sink.warn(fmt::format("{}:{}: {}: {}", file.path, lineNumber, current.id, problem));
        }
        if (current.affected.size() > limits.maxListItems) {
          sink.warn(
              fmt::format("{}:{}: {}: too many release lines", file.path, lineNumber, current.id));
          current.affected.pop_back();
        }
        continue;
      }
      sink.warn(fmt::format("{}:{}: {}: unrecognised line", file.path, lineNumber, current.id));
    }
    flush();
    if (headers == 0) return makeError("no advisories (not a Debian security tracker list)");
    if (records > limits.maxRecordsPerFile) {
      sink.warn(fmt::format("{}: more than {} advisories: the rest were dropped", file.path,
                            limits.maxRecordsPerFile));
    }
    return {};
  }

 private:
  // "[bullseye] - xorg-server 2:1.20.11-1+deb11u6" or "... <not-affected> (reason)".
  static void addRelease(std::string_view body, Vulnerability& v, std::string& problem) {
    const auto close = body.find(']');
    if (close == std::string_view::npos) {
      problem = "release without a closing ']'";
      return;
    }
    const std::string_view codename = body.substr(1, close - 1);
    if (!safeToken(codename, 32)) {
      problem = "release name is not a word";
      return;
    }
    std::string_view rest = body.substr(close + 1);
    if (nextToken(rest) != "-") {
      problem = "release line without ' - '";
      return;
    }
    const std::string_view package = nextToken(rest);
    const std::string_view version = nextToken(rest);
    if (!safeToken(package, 128) || !safeToken(version, 256)) {
      problem = "release line without a package and a version or state";
      return;
    }
    Affected row;
    row.ecosystem = sbom::eco::kDeb;
    row.name = normalisePackageName(sbom::eco::kDeb, package);
    row.release = normaliseRelease(sbom::eco::kDeb, codename);
    row.rangeType = range_type::kDistro;
    if (version.front() == '<') {
      if (version == "<not-affected>") {
        row.status = affected_status::kNotAffected;
      } else if (version == "<unfixed>") {
        row.status = affected_status::kUnfixed;
      } else if (version == "<end-of-life>") {
        row.status = affected_status::kEndOfLife;
      } else {
        problem = fmt::format("unknown state {:.40}", version);
        return;
      }
    } else {
      row.status = affected_status::kFixed;
      row.events.push_back(RangeEvent{"0", "", "", ""});
      row.events.push_back(RangeEvent{"", std::string(version), "", ""});
    }
    v.affected.push_back(std::move(row));
  }
};

}  // namespace

std::unique_ptr<Importer> makeDebianListImporter() {
  return std::make_unique<DebianListImporter>();
}

}  // namespace bulkhead::vuln
