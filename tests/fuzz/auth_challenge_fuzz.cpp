// The WWW-Authenticate parser on arbitrary header values.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/registry_store.h"

using namespace bulkhead::image;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto challenges = parseAuthChallenges(header);
  if (challenges.size() > 16) std::abort();
  for (const auto& c : challenges) {
    if (c.scheme.empty() || c.params.size() > 32) std::abort();
    for (const char ch : c.scheme) {
      if (ch >= 'A' && ch <= 'Z') std::abort();
    }
    for (const auto& [name, value] : c.params) {
      if (name.empty() || name.size() > header.size() || value.size() > header.size()) std::abort();
    }
  }
  return 0;
}
