// HPACK header blocks (the HTTP/2 detector's decoder) on arbitrary bytes: the input is split
// at its first byte's value into two blocks decoded in turn on one decoder, so that the
// second sees the dynamic table the first left.
#include <cstdint>
#include <cstdlib>

#include "net/protocol/hpack.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bulkhead::net;
  if (size < 1 || size > 65536) return 0;
  const size_t split = std::min<size_t>(data[0], size - 1);
  HpackDecoder decoder;
  for (const auto block : {std::span<const uint8_t>(data + 1, split),
                           std::span<const uint8_t>(data + 1 + split, size - 1 - split)}) {
    auto headers = decoder.decode(block);
    if (!headers) continue;
    size_t total = 0;
    for (const auto& [name, value] : *headers) total += name.size() + value.size();
    if (total > HpackDecoder::kMaxHeaderBytes) std::abort();
  }
  return 0;
}
