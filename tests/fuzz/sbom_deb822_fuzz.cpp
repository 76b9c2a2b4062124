// dpkg control paragraphs (var/lib/dpkg/status, status.d/*) from arbitrary bytes.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sbom/deb822.h"

using namespace bulkhead::sbom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Deb822Limits limits;
  limits.maxParagraphs = 64;
  limits.maxFieldsPerParagraph = 32;
  auto parsed = parseDeb822(text, "/var/lib/dpkg/status", limits);
  if (!parsed) {
    if (parsed.error().message.rfind("/var/lib/dpkg/status: ", 0) != 0) std::abort();
    return 0;
  }
  if (parsed->size() > limits.maxParagraphs) std::abort();
  size_t bytes = 0;
  for (const auto& paragraph : *parsed) {
    if (paragraph.empty() || paragraph.size() > limits.maxFieldsPerParagraph) std::abort();
    for (const auto& [name, value] : paragraph) {
      if (name.empty()) std::abort();
      bytes += name.size() + value.size();
    }
  }
  if (bytes > size) std::abort();  // nothing is invented
  return 0;
}
