#pragma once
// The scan report in every output format: a table grouped by package for terminals
// (severity colours unless NO_COLOR), Bulkhead's JSON (docs/formats/scan-json.md),
// SARIF 2.1.0, and CycloneDX 1.5 with a vulnerabilities section.

#include <nlohmann/json.hpp>

#include <string>

#include "sbom/sbom_json.h"
#include "vuln/scan.h"

namespace bulkhead::vuln {

std::string scanTable(const ScanReport& report, bool color);
nlohmann::json scanJson(const ScanReport& report);
nlohmann::json scanSarif(const ScanReport& report);
nlohmann::json scanCycloneDx(const ScanReport& report, const sbom::DocumentOptions& options = {});

// Shared by the writers: the name a package is shown by ("@scope/x", "golang.org/x/net").
std::string displayName(const sbom::Package& package);

}  // namespace bulkhead::vuln
