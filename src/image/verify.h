#pragma once
// Streams that check what passes through them against a digest and a size.

#include <memory>
#include <string>

#include "core/sha256.h"
#include "core/stream.h"
#include "image/digest.h"

namespace bulkhead::image {

// Passes bytes through while hashing them. At the end of the stream the digest and the
// size (if known, >= 0) must match, else the read fails naming `what`. Reading past the
// declared size fails at once, so a lying descriptor cannot make us read forever.
class VerifyingStream final : public ByteStream {
 public:
  VerifyingStream(ByteStream& inner, Digest expected, int64_t expectedSize, std::string what);
  Result<size_t> read(void* buffer, size_t size) override;
  uint64_t bytesRead() const { return count_; }
  bool verified() const { return verified_; }

 private:
  ByteStream& inner_;
  Digest expected_;
  int64_t expectedSize_;
  std::string what_;
  Sha256 hasher_;
  uint64_t count_ = 0;
  bool verified_ = false;
};

// Reads a whole blob into memory, verifying it; more than `maxBytes` is an error.
Result<std::string> readVerified(ByteStream& stream, const Digest& digest, int64_t size,
                                 size_t maxBytes, std::string_view what);

}  // namespace bulkhead::image
