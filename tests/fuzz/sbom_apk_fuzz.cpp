// Alpine's lib/apk/db/installed from arbitrary bytes, with small limits so that the
// amplification checks (one long F: line, many R: lines) are reached.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sbom/apk_db.h"

using namespace bulkhead::sbom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ApkLimits limits;
  limits.maxPackages = 50;
  limits.maxFiles = 500;
  limits.maxPathBytes = 64 * 1024;
  limits.maxPathLength = 256;
  limits.maxWarnings = 8;
  auto db = parseApkInstalled(text, "/lib/apk/db/installed", limits);
  if (!db) {
    if (db.error().message.rfind("/lib/apk/db/installed: ", 0) != 0) std::abort();
    return 0;
  }
  if (db->packages.size() > limits.maxPackages || db->warnings.size() > limits.maxWarnings + 1) {
    std::abort();
  }
  size_t files = 0;
  size_t bytes = 0;
  for (const auto& p : db->packages) {
    if (p.name.empty() || p.version.empty() || p.line == 0) std::abort();
    files += p.files.size();
    for (const auto& f : p.files) {
      if (f.empty() || f[0] != '/') std::abort();
      bytes += f.size();
    }
  }
  if (files > limits.maxFiles || bytes > limits.maxPathBytes) std::abort();
  return 0;
}
