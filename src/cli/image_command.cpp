#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "cli/image_flags.h"
#include "cli/inspect_output.h"
#include "cli/scan_flags.h"
#include "image/image_reader.h"

namespace bulkhead::cli {
namespace {

// `image inspect`'s own flags, beside the shared image flags.
struct InspectFlags {
  ImageFlags image;
  std::string format = "text";
  std::string output;
  bool files = false;
};

struct ImageScanFlags {
  ImageFlags image;
  ScanFlags scan;
};

int runImageScan(ImageScanFlags& f) {
  auto bom = imageSbom(f.image);
  if (!bom) return 2;
  return runScan(std::move(*bom), f.scan);
}

int runInspect(InspectFlags& f) {
  auto options = readOptions(f.image);
  if (!options) {
    fmt::print(stderr, "bulkhead: error: {}\n", options.error().message);
    return 2;
  }
  auto img = image::openImage(f.image.reference, *options);
  if (!img) {
    fmt::print(stderr, "bulkhead: error: {}\n", img.error().message);
    return 2;
  }
  if (f.format == "json") return writeOutput(inspectJson(*img, f.files).dump(2) + "\n", f.output);
  std::string text = inspectText(*img);
  if (f.files) {
    for (const auto& [path, node] : img->fs.nodes()) {
      text += fmt::format("{:<8} {:04o} {:>5}:{:<5} {:>10}  /{}{}\n", image::entryTypeName(node.type),
                          node.mode, node.uid, node.gid, node.size, path,
                          node.linkTarget.empty() ? "" : " -> " + node.linkTarget);
    }
  }
  return writeOutput(text, f.output);
}

}  // namespace

void addImageCommand(CLI::App& app, int& exitCode) {
  auto* image = app.add_subcommand("image", "Read container images");
  image->require_subcommand(1);
  auto flags = std::make_shared<InspectFlags>();
  auto* inspect = image->add_subcommand(
      "inspect", "Show an image's manifest, config, layers, OS and file system");
  addImageFlags(*inspect, flags->image);
  inspect->add_option("--format,-f", flags->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  inspect->add_option("--output,-o", flags->output, "Write to this file instead of stdout");
  inspect->add_flag("--files", flags->files, "List every file of the merged file system");
  inspect->callback([flags, &exitCode] { exitCode = runInspect(*flags); });
  auto scanFlags = std::make_shared<ImageScanFlags>();
  auto* scan = image->add_subcommand("scan", "Scan an image for known vulnerabilities (CI gate: --fail-on)");
  addImageFlags(*scan, scanFlags->image);
  addScanFlags(*scan, scanFlags->scan);
  scan->callback([scanFlags, &exitCode] { exitCode = runImageScan(*scanFlags); });
}

}  // namespace bulkhead::cli
