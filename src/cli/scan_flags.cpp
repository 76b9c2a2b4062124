#include "cli/scan_flags.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "cli/image_flags.h"
#include "vuln/db/build.h"
#include "vuln/report.h"
#include "vuln/scan.h"

namespace bulkhead::cli {
namespace {

bool useColor(const ScanFlags& f) {
  if (f.color == "always") return true;
  if (f.color == "never") return false;
  const char* noColor = std::getenv("NO_COLOR");
  if (noColor != nullptr && noColor[0] != '\0') return false;
  return (f.output.empty() || f.output == "-") && ::isatty(STDOUT_FILENO) == 1;
}

}  // namespace

std::optional<sbom::Sbom> imageSbom(ImageFlags& f) {
  auto options = readOptions(f);
  if (!options) {
    fmt::print(stderr, "bulkhead: error: {}\n", options.error().message);
    return std::nullopt;
  }
  options->capture = sbom::sbomCapture();
  auto img = image::openImage(f.reference, *options);
  if (!img) {
    fmt::print(stderr, "bulkhead: error: {}\n", img.error().message);
    return std::nullopt;
  }
  auto bom = sbom::buildSbom(*img);
  if (!bom) {
    fmt::print(stderr, "bulkhead: error: {}: {}\n", f.reference, bom.error().message);
    return std::nullopt;
  }
  for (const auto& w : img->warnings) fmt::print(stderr, "bulkhead: warning: {}\n", w);
  for (const auto& w : bom->warnings) fmt::print(stderr, "bulkhead: warning: {}\n", w);
  return std::move(*bom);
}

void addScanFlags(CLI::App& cmd, ScanFlags& flags) {
  cmd.add_option("--db", flags.db, "Advisory database (default ~/.cache/bulkhead/db/advisories.db; `bulkhead db build`)");
  cmd.add_option("--format,-f", flags.format,
                 "Output format: table, json (Bulkhead, docs/formats/scan-json.md), sarif (SARIF 2.1.0), "
                 "cyclonedx (CycloneDX 1.5 with vulnerabilities)")
      ->check(CLI::IsMember({"table", "json", "sarif", "cyclonedx", "cyclonedx-json"}))
      ->capture_default_str();
  cmd.add_option("--output,-o", flags.output, "Write to this file instead of stdout");
  cmd.add_option("--fail-on", flags.failOn,
                 "Exit 1 when a finding is at or above this severity (unknown, low, medium, high, critical, none)")
      ->check(CLI::IsMember({"none", "unknown", "low", "medium", "high", "critical"}))
      ->capture_default_str();
  cmd.add_option("--ignore-file", flags.ignoreFiles,
                 "Ignore rules (YAML: id, package, expires, reason; or one id per line); default "
                 ".bulkhead-ignore.yaml when present");
  cmd.add_option("--vex", flags.vexFiles, "OpenVEX document(s): not_affected and fixed statements suppress findings");
  cmd.add_flag("--include-os-owned", flags.gateUpstream,
               "Judge language packages that OS packages own by upstream advisories in the gate too");
  cmd.add_option("--color", flags.color, "Colours in the table: auto (a terminal, unless NO_COLOR), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
}

int runScan(sbom::Sbom sbom, const ScanFlags& f) {
  const std::string dbPath = f.db.empty() ? vuln::defaultDatabasePath() : f.db;
  if (f.db.empty() && !std::filesystem::exists(dbPath)) {
    fmt::print(stderr, "bulkhead: error: no advisory database at {}; run `bulkhead db build` or `bulkhead db update`\n",
               dbPath);
    return 2;
  }
  auto db = vuln::AdvisoryDb::open(dbPath);
  if (!db) {
    fmt::print(stderr, "bulkhead: error: {}\n", db.error().message);
    return 2;
  }
  vuln::Suppressions suppressions;
  std::vector<std::string> ignoreFiles = f.ignoreFiles;
  if (ignoreFiles.empty() && std::filesystem::exists(".bulkhead-ignore.yaml")) {
    ignoreFiles.push_back(".bulkhead-ignore.yaml");
  }
  for (const auto& path : ignoreFiles) {
    if (auto loaded = vuln::loadIgnoreFile(path, suppressions); !loaded) {
      fmt::print(stderr, "bulkhead: error: {}\n", loaded.error().message);
      return 2;
    }
  }
  for (const auto& path : f.vexFiles) {
    if (auto loaded = vuln::loadOpenVex(path, suppressions); !loaded) {
      fmt::print(stderr, "bulkhead: error: {}\n", loaded.error().message);
      return 2;
    }
  }
  vuln::ScanOptions options;
  options.gateUpstreamOfOsPackages = f.gateUpstream;
  auto report = vuln::scanSbom(std::move(sbom), *db, suppressions, options);
  if (!report) {
    fmt::print(stderr, "bulkhead: error: {}\n", report.error().message);
    return 2;
  }
  for (const auto& w : report->warnings) fmt::print(stderr, "bulkhead: warning: {}\n", w);
  std::string text;
  if (f.format == "json") {
    text = vuln::scanJson(*report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else if (f.format == "sarif") {
    text = vuln::scanSarif(*report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else if (f.format == "cyclonedx" || f.format == "cyclonedx-json") {
    text = vuln::scanCycloneDx(*report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else {
    text = vuln::scanTable(*report, useColor(f));
  }
  if (const int rc = writeOutput(text, f.output); rc != 0) return rc;
  if (f.failOn == "none") return 0;
  const auto threshold = vuln::parseSeverity(f.failOn).value_or(vuln::Severity::kCritical);
  const size_t failing = vuln::gateCount(*report, threshold);
  if (failing > 0) {
    fmt::print(stderr, "bulkhead: {} finding(s) at or above {}\n", failing, f.failOn);
    return 1;
  }
  return 0;
}

}  // namespace bulkhead::cli
