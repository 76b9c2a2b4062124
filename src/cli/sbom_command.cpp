// `bulkhead sbom REF`: every package in an image or root file system, as a table, as
// Bulkhead JSON, as CycloneDX 1.5 JSON or as SPDX 2.3 JSON.

#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "cli/image_flags.h"
#include "image/image_reader.h"
#include "sbom/cyclonedx.h"
#include "sbom/sbom.h"
#include "sbom/sbom_json.h"
#include "sbom/spdx.h"

namespace bulkhead::cli {
namespace {

struct SbomFlags {
  ImageFlags image;
  std::string format = "table";
  std::string output;
};

int runSbom(SbomFlags& f) {
  auto options = readOptions(f.image);
  if (!options) {
    fmt::print(stderr, "bulkhead: error: {}\n", options.error().message);
    return 2;
  }
  // The catalogers' files are captured in the same single pass over each layer.
  options->capture = sbom::sbomCapture();
  auto img = image::openImage(f.image.reference, *options);
  if (!img) {
    fmt::print(stderr, "bulkhead: error: {}\n", img.error().message);
    return 2;
  }
  auto bom = sbom::buildSbom(*img);
  if (!bom) {
    fmt::print(stderr, "bulkhead: error: {}: {}\n", f.image.reference, bom.error().message);
    return 2;
  }
  for (const auto& w : img->warnings) fmt::print(stderr, "bulkhead: warning: {}\n", w);
  for (const auto& w : bom->warnings) fmt::print(stderr, "bulkhead: warning: {}\n", w);
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
  cmd->callback([flags, &exitCode] { exitCode = runSbom(*flags); });
}

}  // namespace bulkhead::cli
