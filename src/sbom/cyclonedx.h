#pragma once
// CycloneDX 1.5 JSON (https://cyclonedx.org/docs/1.5/json/): the scanned image as the
// metadata component (type "container", or "file" for a root file system), its OS as an
// "operating-system" component, every package as a "library" with its purl, licenses and
// the Bulkhead facts as properties (sbom_json.h, prop::), and the image -> package
// dependencies. Validated against the official schema in tests/e2e/sbom_e2e_test.cpp.

#include <nlohmann/json.hpp>

#include <string>

#include "sbom/sbom.h"
#include "sbom/sbom_json.h"

namespace bulkhead::sbom {

inline constexpr std::string_view kCycloneDxImageRef = "bulkhead:subject";

nlohmann::json cycloneDxJson(const Sbom& sbom, const DocumentOptions& options = {});
// Serialised; never throws.
std::string writeCycloneDx(const Sbom& sbom, const DocumentOptions& options = {});

// The bom-ref of each package, in the order of sbom.packages: its purl, with "#2", "#3"...
// appended when packages share one (two copies of a library in different directories).
std::vector<std::string> cycloneDxRefs(const Sbom& sbom);

// A purl for the scanned image ("pkg:oci/name@sha256%3A...?arch=amd64&tag=1.2"), or ""
// when it has no manifest digest (root file systems, docker archives).
std::string imagePurl(const Sbom& sbom);

}  // namespace bulkhead::sbom
