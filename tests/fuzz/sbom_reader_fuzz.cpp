// SBOM documents read back as scan input (CycloneDX, SPDX, Bulkhead JSON) and package URLs,
// on arbitrary bytes: bounded, never a crash; a package read back has a name and an
// ecosystem, and a purl that parses once parses the same way again.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sbom/sbom_reader.h"

using namespace bulkhead::sbom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  SbomReadLimits limits;
  limits.maxPackages = 10'000;
  auto read = readSbom(text, "fuzz.json", limits);
  if (read) {
    if (read->sbom.packages.size() > limits.maxPackages) std::abort();
    for (const auto& p : read->sbom.packages) {
      if (p.name.empty() || p.ecosystem.empty()) std::abort();
    }
  }
  auto purl = parsePurl(text);
  if (purl) {
    if (purl->type.empty() || purl->name.empty()) std::abort();
    (void)packageFromPurl(*purl, text);
  }
  return 0;
}
