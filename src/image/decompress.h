#pragma once
// Layer decompression, sniffed from the first bytes: gzip (ISA-L's inflater), zstd, or none.
// Output is bounded in size and in ratio to the input, so a decompression bomb fails fast.

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "core/stream.h"

namespace bulkhead::image {

struct DecompressLimits {
  uint64_t maxBytes = 32ull << 30;        // uncompressed bytes per layer
  uint64_t maxRatio = 200;                // uncompressed / compressed; 0 turns the check off
  uint64_t ratioGraceBytes = 128ull << 20;  // small layers may compress better than that
};

enum class Compression { kNone, kGzip, kZstd };
const char* compressionName(Compression compression);

class DecompressStream : public ByteStream {
 public:
  virtual Compression compression() const = 0;
  virtual uint64_t bytesIn() const = 0;
  virtual uint64_t bytesOut() const = 0;
};

// `raw` must outlive the result. `what` names the layer in errors.
Result<std::unique_ptr<DecompressStream>> openDecompressed(ByteStream& raw,
                                                           const DecompressLimits& limits,
                                                           std::string what);

}  // namespace bulkhead::image
