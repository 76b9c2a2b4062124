// .NET *.deps.json on arbitrary bytes.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sbom/catalogers/dotnet.h"

using namespace bulkhead::sbom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = dotnet::parseDepsJson(text, "/app/app.deps.json");
  if (parsed) {
    for (const auto& p : parsed->packages) {
      if (p.name.empty() || p.version.empty() || p.version.find('/') != std::string::npos)
        std::abort();
    }
  }
  return 0;
}
