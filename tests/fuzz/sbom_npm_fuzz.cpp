// npm package.json, package-lock.json and yarn.lock parsing on arbitrary bytes, and the layer-cache
// form of the result (encodeParsed/decodeParsed) round-tripping.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sbom/catalogers/npm.h"

using namespace bulkhead::sbom;

namespace {

void roundTrip(const bulkhead::Result<lang::Parsed>& parsed) {
  auto back = lang::decodeParsed(lang::encodeParsed(parsed), "fuzz");
  if (back.ok() != parsed.ok()) std::abort();
  if (parsed && back->packages.size() != parsed->packages.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto manifest = npm::parsePackageJson(text, "/app/node_modules/x/package.json");
  if (manifest && manifest->packages.size() != 1) std::abort();
  roundTrip(manifest);
  auto lock = npm::parsePackageLock(text, "/app/package-lock.json");
  if (lock) {
    if (lock->packages.size() > npm::kMaxLockfilePackages) std::abort();
    for (const auto& p : lock->packages) {
      if (p.version.empty() || !p.metadata.contains("path")) std::abort();
    }
  }
  roundTrip(lock);
  auto yarn = npm::parseYarnLock(text, "/app/yarn.lock");
  if (yarn) {
    for (const auto& p : yarn->packages) {
      if (p.version.empty() || p.name.empty()) std::abort();
    }
  }
  roundTrip(yarn);
  (void)npm::isInstalledPackageJson(text);
  (void)npm::appRootOf(text);
  return 0;
}
