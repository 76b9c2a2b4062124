// Python core metadata (METADATA / PKG-INFO) on arbitrary bytes.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sbom/catalogers/python.h"

using namespace bulkhead::sbom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = python::parseMetadata(text, "/site-packages/x.dist-info/METADATA");
  if (parsed) {
    if (parsed->packages.size() != 1) std::abort();
    const auto& p = parsed->packages.front();
    if (p.name.empty() || p.version.empty() || p.name.size() > size || p.version.size() > size)
      std::abort();
  }
  auto back = lang::decodeParsed(lang::encodeParsed(parsed), "fuzz");
  if (back.ok() != parsed.ok()) std::abort();
  (void)python::isMetadataPath(text);
  return 0;
}
