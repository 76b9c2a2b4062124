// RPM header blobs (as rpmdb.sqlite and Packages hold them) from arbitrary bytes, and the
// source rpm file names they carry.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sbom/rpm_header.h"

using namespace bulkhead::sbom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view blob(reinterpret_cast<const char*>(data), size);
  RpmHeaderLimits limits;
  limits.maxFiles = 2000;
  limits.maxFileBytes = 256 * 1024;
  auto header = parseRpmHeader(blob, "/var/lib/rpm/rpmdb.sqlite: package 1", limits);
  if (!header) {
    if (header.error().message.rfind("/var/lib/rpm/rpmdb.sqlite: package 1: ", 0) != 0)
      std::abort();
    (void)parseSourceRpmName(blob);
    return 0;
  }
  if (header->name.empty()) std::abort();
  if (!header->fileError.empty() && !header->files.empty()) std::abort();
  size_t bytes = 0;
  for (const auto& f : header->files) bytes += f.size();
  if (header->files.size() > limits.maxFiles || bytes > limits.maxFileBytes) std::abort();
  if (rpmEvr(*header).empty()) std::abort();
  if (auto source = parseSourceRpmName(header->sourceRpm)) {
    if (source->name.empty() || source->version.empty() || source->release.empty()) std::abort();
  }
  return 0;
}
