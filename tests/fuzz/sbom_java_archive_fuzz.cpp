// Java archives (sbom/java_archive.h) from arbitrary bytes, four ways: the bytes as a whole
// archive; as the pom.properties, MANIFEST.MF and a nested jar inside a well-formed zip
// written here (so that the parsers behind the zip reader are reached without a corpus);
// as properties/manifest text; and as the layer-cache summary. Whatever decodes must
// encode and decode to the same thing, and limits must hold.

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sbom/java_archive.h"

using bulkhead::Result;
using namespace bulkhead::sbom;

namespace {

void le(std::string& out, uint64_t value, int width) {
  for (int i = 0; i < width; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

// A stored (uncompressed) zip with correct CRCs.
std::string storedZip(const std::vector<std::pair<std::string, std::string_view>>& entries) {
  std::string out;
  std::string directory;
  for (const auto& [name, content] : entries) {
    const uint64_t crc = crc32(0, reinterpret_cast<const Bytef*>(content.data()),
                               static_cast<uInt>(content.size()));
    const size_t offset = out.size();
    out += "PK\x03\x04";
    le(out, 10, 2), le(out, 0, 2), le(out, 0, 2), le(out, 0, 4), le(out, crc, 4);
    le(out, content.size(), 4), le(out, content.size(), 4), le(out, name.size(), 2), le(out, 0, 2);
    out += name;
    out += content;
    directory += "PK\x01\x02";
    le(directory, 20, 2), le(directory, 10, 2), le(directory, 0, 2), le(directory, 0, 2);
    le(directory, 0, 4), le(directory, crc, 4), le(directory, content.size(), 4);
    le(directory, content.size(), 4), le(directory, name.size(), 2), le(directory, 0, 2);
    le(directory, 0, 2), le(directory, 0, 2), le(directory, 0, 2), le(directory, 0, 4);
    le(directory, offset, 4);
    directory += name;
  }
  const size_t directoryOffset = out.size();
  out += directory;
  out += "PK\x05\x06";
  le(out, 0, 2), le(out, 0, 2), le(out, entries.size(), 2), le(out, entries.size(), 2);
  le(out, directory.size(), 4), le(out, directoryOffset, 4), le(out, 0, 2);
  return out;
}

void check(const Result<JavaArchiveInfo>& info, const JavaArchiveLimits& limits) {
  if (!info) {
    if (info.error().message.empty()) std::abort();
    return;
  }
  if (info->packages.size() > limits.maxPackages) std::abort();
  const std::string encoded = encodeJavaArchiveInfo(*info);
  auto decoded = decodeJavaArchiveInfo(encoded, "/fuzz.jar");
  if (!decoded) std::abort();
  if (!(*decoded == *info)) std::abort();
  for (const auto& p : info->packages) {
    if (p.source == JavaCoordinates::Source::kPomProperties && (p.artifactId.empty() || p.version.empty())) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  JavaArchiveLimits limits;
  limits.maxEntries = 4096;
  limits.maxTotalBytes = 4u << 20;
  limits.maxNestedBytes = 1u << 20;
  limits.maxPackages = 256;

  check(scanJavaArchive(bytes, "fuzz-1.0.jar", limits), limits);

  // The input as the metadata and as a nested archive of a well-formed jar.
  const std::string jar = storedZip({{"META-INF/MANIFEST.MF", bytes},
                                     {"META-INF/maven/g/a/pom.properties", bytes},
                                     {"WEB-INF/lib/inner-2.0.jar", bytes}});
  check(scanJavaArchive(jar, "/srv/outer.war", limits), limits);

  (void)parseJavaProperties(bytes);
  (void)parseJavaManifest(bytes);
  const auto [name, version] = splitJavaArchiveName(bytes);
  if (name.size() + version.size() > size) std::abort();

  auto summary = decodeJavaArchiveInfo(bytes, "/fuzz.jar");
  if (summary) {
    auto again = decodeJavaArchiveInfo(encodeJavaArchiveInfo(*summary), "/fuzz.jar");
    if (!again || !(*again == *summary)) std::abort();
  } else if (summary.error().message.rfind("/fuzz.jar: ", 0) != 0) {
    std::abort();
  }
  return 0;
}
