#pragma once
// SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/): the document DESCRIBES the
// scanned image (a package with purpose CONTAINER, or FILE for a root file system), which
// CONTAINS its OS (OPERATING-SYSTEM) and every package (LIBRARY). Licenses become a valid
// SPDX expression: known ids as they are, other names as LicenseRef-<sanitized> declared
// in hasExtractedLicensingInfos. SPDX 2.3 has no properties; the Bulkhead facts (layer,
// owner, cataloger, locations) travel as "bulkhead:name=value" lines in each package's
// comment, which the reader takes back.

#include <nlohmann/json.hpp>

#include <string>

#include "sbom/sbom.h"
#include "sbom/sbom_json.h"

namespace bulkhead::sbom {

inline constexpr std::string_view kSpdxImageId = "SPDXRef-Image";
inline constexpr std::string_view kSpdxOsId = "SPDXRef-OperatingSystem";

nlohmann::json spdxJson(const Sbom& sbom, const DocumentOptions& options = {});
// Serialised; never throws.
std::string writeSpdx(const Sbom& sbom, const DocumentOptions& options = {});

// Letters, digits, '.' and '-' kept; anything else becomes '-' (SPDX idstring).
std::string spdxIdString(std::string_view text);

}  // namespace bulkhead::sbom
