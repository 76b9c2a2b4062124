// Cargo.lock (the TOML subset reader) and cargo-auditable data on arbitrary bytes: the
// input as a lockfile, as a zlib stream, and zlib-compressed here so the JSON is reached.

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sbom/catalogers/rust.h"

using namespace bulkhead::sbom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto lock = rust::parseCargoLock(text, "/app/Cargo.lock");
  if (lock) {
    if (lock->packages.size() > rust::kMaxCrates) std::abort();
    for (const auto& p : lock->packages) {
      if (p.name.empty() || p.version.empty() || p.metadata.at("source").empty()) std::abort();
    }
  }
  (void)rust::parseCargoAuditable(text, "/bin/app (.dep-v0)");
  uLongf packedSize = compressBound(size);
  std::string packed(packedSize, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packedSize, data, size, 1) == Z_OK) {
    packed.resize(packedSize);
    auto inflated = rust::inflateZlib(packed, size, "fuzz");
    if (!inflated || *inflated != text) std::abort();  // exactly `size` bytes fit the bound
    if (size > 0 && rust::inflateZlib(packed, size - 1, "fuzz")) std::abort();
    (void)rust::parseCargoAuditable(packed, "/bin/app (.dep-v0)");
  }
  return 0;
}
