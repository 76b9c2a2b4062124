// openDecompressed over arbitrary bytes, drained with read sizes chosen by the input.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/stream.h"
#include "image/decompress.h"

using namespace bulkhead;
using namespace bulkhead::image;

namespace {

// Hands out the input in pieces of varying size, as a socket or a pipe would.
class ChoppyStream final : public ByteStream {
 public:
  ChoppyStream(std::string data, uint8_t seed) : data_(std::move(data)), seed_(seed | 1u) {}
  Result<size_t> read(void* buffer, size_t size) override {
    seed_ = static_cast<uint8_t>(seed_ * 37u + 11u);
    const size_t n = std::min({size, data_.size() - position_, static_cast<size_t>(seed_) * 97 + 1});
    std::memcpy(buffer, data_.data() + position_, n);
    position_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t position_ = 0;
  uint8_t seed_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  DecompressLimits limits;
  limits.maxBytes = 4u << 20;  // small limits: bombs fail fast, and the limits get fuzzed too
  limits.maxRatio = 100;
  limits.ratioGraceBytes = 512u << 10;

  ChoppyStream raw(bytes, control);
  auto stream = openDecompressed(raw, limits, "fuzz layer");
  if (!stream) return 0;
  const size_t chunk = (control & 0x80) ? 1 + (control & 0x7f) : 64u * 1024;
  std::vector<char> buffer(chunk);
  uint64_t total = 0;
  for (;;) {
    auto got = (*stream)->read(buffer.data(), buffer.size());
    if (!got) break;
    if (*got > buffer.size()) std::abort();
    if (*got == 0) break;
    total += *got;
  }
  if (total > limits.maxBytes) std::abort();
  if ((*stream)->bytesOut() != total) std::abort();
  if ((*stream)->bytesIn() > bytes.size()) std::abort();
  return 0;
}
