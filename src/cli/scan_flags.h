#pragma once
// `image scan` and `sbom scan`: the flags they share, and the scan of an SBOM with the
// gate's exit code (0 clean, 1 findings at or above --fail-on, 2 error).

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "cli/image_flags.h"
#include "sbom/sbom.h"

namespace bulkhead::cli {

struct ScanFlags {
  std::string db;  // default: vuln::defaultDatabasePath()
  std::string format = "table";
  std::string output;
  std::string failOn = "none";
  std::vector<std::string> ignoreFiles;
  std::vector<std::string> vexFiles;
  bool gateUpstream = false;
  std::string color = "auto";
};

void addScanFlags(CLI::App& cmd, ScanFlags& flags);

// The SBOM of the image the flags name, with the catalogers' files captured in the same
// single pass over each layer; warnings printed; nullopt after printing an error.
std::optional<sbom::Sbom> imageSbom(ImageFlags& flags);

// Matches, writes the report, and returns the exit code.
int runScan(sbom::Sbom sbom, const ScanFlags& flags);

}  // namespace bulkhead::cli
