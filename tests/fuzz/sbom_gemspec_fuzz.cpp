// Installed gemspecs (the limited Ruby RubyGems writes) on arbitrary bytes.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sbom/catalogers/ruby.h"

using namespace bulkhead::sbom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = ruby::parseGemspec(text, "/usr/local/bundle/specifications/x.gemspec");
  if (parsed) {
    if (parsed->packages.size() != 1) std::abort();
    const auto& p = parsed->packages.front();
    if (p.name.empty() || p.version.empty() || p.name.size() > size || p.licenses.size() > 64)
      std::abort();
  }
  (void)ruby::isInstalledGemspec(text);
  return 0;
}
