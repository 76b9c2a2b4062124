#pragma once
// Reads an SBOM back as scan input: CycloneDX JSON (bomFormat), SPDX 2.x JSON
// (spdxVersion) or Bulkhead's own JSON (schema "bulkhead.sbom/v1"), from Bulkhead or from
// other tools (Syft, Trivy, cdxgen). Packages are rebuilt from their purls (type,
// namespace, name, version; the arch, distro and upstream qualifiers) and from the
// Bulkhead facts our writers add (sbom_json.h). Documents are untrusted: size, nesting and
// package count are bounded, and a malformed entry is a warning, never a crash.

#include <map>
#include <string>
#include <string_view>

#include "core/result.h"
#include "sbom/sbom.h"

namespace bulkhead::sbom {

enum class SbomFormat { kCycloneDx, kSpdx, kBulkhead };
const char* sbomFormatName(SbomFormat format);

struct SbomReadLimits {
  size_t maxBytes = 256u << 20;
  int maxDepth = 64;
  size_t maxPackages = 1'000'000;
  size_t maxPurlBytes = 8192;
};

// A parsed package URL (https://github.com/package-url/purl-spec), percent-decoded.
struct Purl {
  std::string type;       // lower-cased
  std::string nameSpace;  // segments joined by '/'
  std::string name;
  std::string version;
  std::map<std::string, std::string> qualifiers;  // keys lower-cased
  std::string subpath;
};

Result<Purl> parsePurl(std::string_view text);

// A package as its purl describes it: ecosystem, namespace, name, version, and the
// qualifiers arch (architecture) and upstream (source name[@version]).
Package packageFromPurl(const Purl& purl, std::string purlText);

struct ReadSbom {
  SbomFormat format = SbomFormat::kBulkhead;
  Sbom sbom;  // sbom.warnings: entries that were skipped, and why
};

Result<ReadSbom> readSbom(std::string_view text, std::string_view what,
                          const SbomReadLimits& limits = {});
Result<ReadSbom> readSbomFile(const std::string& path, const SbomReadLimits& limits = {});

}  // namespace bulkhead::sbom
