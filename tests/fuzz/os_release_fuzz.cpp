// os-release parsing and OS detection on arbitrary text.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "image/os_release.h"

using namespace bulkhead::image;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto fields = parseOsRelease(text);
  for (const auto& [key, value] : fields) {
    if (key.empty()) std::abort();
    if (value.size() > text.size()) std::abort();
  }
  // Every release file holds the input; the first byte decides which exist.
  const uint8_t mask = size > 0 ? data[0] : 0;
  const OsInfo os = detectOs([&](std::string_view path) -> std::optional<std::string> {
    const size_t bit = std::hash<std::string_view>{}(path) % 8;
    if ((mask >> bit) & 1u) return text;
    return std::nullopt;
  });
  if (os.known() && os.source.empty()) std::abort();
  return 0;
}
