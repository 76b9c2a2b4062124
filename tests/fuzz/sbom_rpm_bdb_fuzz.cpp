// BerkeleyDB hash files (rpm's var/lib/rpm/Packages) from arbitrary bytes; every value
// found goes on to the header parser. Each page may be read once, so what comes out can
// never be more than what went in.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sbom/rpm_db.h"
#include "sbom/rpm_header.h"

using namespace bulkhead::sbom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view file(reinterpret_cast<const char*>(data), size);
  RpmDbLimits limits;
  limits.maxRecords = 1000;
  limits.maxValueBytes = 1u << 20;
  size_t records = 0;
  size_t bytes = 0;
  auto read = readRpmBerkeleyDb(
      file, "/var/lib/rpm/Packages",
      [&](uint64_t key, std::string_view blob) {
        if (key == 0) std::abort();  // rpm's counter record is not a package
        ++records;
        bytes += blob.size();
        RpmHeaderLimits headerLimits;
        headerLimits.maxFiles = 2000;
        headerLimits.maxFileBytes = 256 * 1024;
        (void)parseRpmHeader(blob, "/var/lib/rpm/Packages: package", headerLimits);
      },
      limits);
  if (records > limits.maxRecords || bytes > size) std::abort();
  if (read && *read != records) std::abort();
  if (!read && read.error().message.rfind("/var/lib/rpm/Packages: ", 0) != 0) std::abort();
  (void)rpmDbFormat(file);
  return 0;
}
