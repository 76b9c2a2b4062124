// `bulkhead sbom REF`: every package in an image or root file system, as a table, as
// Bulkhead JSON, as CycloneDX 1.5 JSON or as SPDX 2.3 JSON.

#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "cli/image_flags.h"
#include "cli/scan_flags.h"
#include "sbom/cyclonedx.h"
#include "sbom/sbom.h"
#include "sbom/sbom_json.h"
#include "sbom/sbom_reader.h"
#include "sbom/spdx.h"

namespace bulkhead::cli {
namespace {

struct SbomFlags {
  ImageFlags image;
  std::string format = "table";
  std::string output;
};

struct SbomScanFlags {
  std::string file;
  ScanFlags scan;
};

int runSbomScan(const SbomScanFlags& f) {
  auto read = sbom::readSbomFile(f.file);
  if (!read) {
    fmt::print(stderr, "bulkhead: error: {}\n", read.error().message);
    return 2;
  }
  for (const auto& w : read->sbom.warnings) fmt::print(stderr, "bulkhead: warning: {}: {}\n", f.file, w);
  return runScan(std::move(read->sbom), f.scan);
}

int runSbom(SbomFlags& f) {
  auto bom = imageSbom(f.image);
  if (!bom) return 2;
  std::string text;
  if (f.format == "json") {
    text = sbom::writeBulkheadJson(*bom);
  } else if (f.format == "cyclonedx" || f.format == "cyclonedx-json") {
    text = sbom::writeCycloneDx(*bom);
  } else if (f.format == "spdx" || f.format == "spdx-json") {
    text = sbom::writeSpdx(*bom);
  } else {
    text = sbom::writeTable(*bom);
  }
  return writeOutput(text, f.output);
}

}  // namespace

void addSbomCommand(CLI::App& app, int& exitCode) {
  auto flags = std::make_shared<SbomFlags>();
  auto* cmd = app.add_subcommand(
      "sbom", "List every package in an image or root file system (CycloneDX, SPDX, JSON, table)");
  addImageFlags(*cmd, flags->image);
  cmd->add_option("--format,-f", flags->format,
                  "Output format: table, json (Bulkhead), cyclonedx (CycloneDX 1.5 JSON), spdx "
                  "(SPDX 2.3 JSON)")
      ->check(CLI::IsMember({"table", "json", "cyclonedx", "cyclonedx-json", "spdx", "spdx-json"}))
      ->capture_default_str();
  cmd->add_option("--output,-o", flags->output, "Write to this file instead of stdout");
  // `sbom scan FILE` takes an SBOM back in; `sbom REF` then needs no reference.
  cmd->get_option("reference")->required(false);
  auto scanFlags = std::make_shared<SbomScanFlags>();
  auto* scan = cmd->add_subcommand("scan", "Scan an SBOM (CycloneDX, SPDX or Bulkhead JSON) for known vulnerabilities");
  scan->add_option("file", scanFlags->file, "SBOM file")->required();
  addScanFlags(*scan, scanFlags->scan);
  scan->callback([scanFlags, &exitCode] { exitCode = runSbomScan(*scanFlags); });
  cmd->callback([cmd, flags, &exitCode] {
    if (cmd->got_subcommand("scan")) return;
    if (flags->image.reference.empty()) {
      fmt::print(stderr, "bulkhead: error: sbom needs an image reference (or `sbom scan FILE`)\n");
      exitCode = 2;
      return;
    }
    exitCode = runSbom(*flags);
  });
}

}  // namespace bulkhead::cli
