// composer.lock and vendor/composer/installed.json on arbitrary bytes.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sbom/catalogers/php.h"

using namespace bulkhead::sbom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const auto& parsed :
       {php::parseComposerLock(text, "/app/composer.lock"),
        php::parseInstalledJson(text, "/app/vendor/composer/installed.json")}) {
    if (!parsed) continue;
    for (const auto& p : parsed->packages) {
      if (p.name.empty() || p.version.empty()) std::abort();
    }
  }
  return 0;
}
