// LayerCache::decode on arbitrary bytes; what decodes must encode and decode again to the
// same thing. Each input is also tried with its SHA-256 (hex) appended, so that the parser
// behind a record checksum stays reachable if the format gets one.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/sha256.h"
#include "image/layer_cache.h"

using namespace bulkhead;
using namespace bulkhead::image;

namespace {

void roundTrip(std::string_view bytes) {
  auto decoded = LayerCache::decode(bytes);
  if (!decoded) return;
  const std::string encoded = LayerCache::encode(*decoded);
  auto again = LayerCache::decode(encoded);
  if (!again) std::abort();
  if (LayerCache::encode(*again) != encoded) std::abort();
  if (decoded->entries.size() != again->entries.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  roundTrip(bytes);
  roundTrip(std::string(bytes) + Sha256::hex(bytes));
  return 0;
}
