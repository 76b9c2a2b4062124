#include "image/verify.h"

namespace bulkhead::image {

VerifyingStream::VerifyingStream(ByteStream& inner, Digest expected, int64_t expectedSize,
                                 std::string what)
    : inner_(inner), expected_(std::move(expected)), expectedSize_(expectedSize),
      what_(std::move(what)) {}

Result<size_t> VerifyingStream::read(void* buffer, size_t size) {
  auto got = inner_.read(buffer, size);
  if (!got) return got;
  if (*got == 0) {
    if (verified_) return got;
    if (expectedSize_ >= 0 && count_ != static_cast<uint64_t>(expectedSize_)) {
      return makeError("{}: truncated: {} bytes, but its descriptor says {}", what_, count_,
                       expectedSize_);
    }
    if (!expected_.empty()) {
      if (expected_.algorithm != "sha256") {
        return makeError("{}: cannot verify {} digests", what_, expected_.algorithm);
      }
      const std::string actual = hasher_.finishHex();
      if (actual != expected_.hex) {
        return makeError("{}: digest mismatch: expected {}, content hashes to sha256:{}", what_,
                         expected_.str(), actual);
      }
    }
    verified_ = true;
    return got;
  }
  count_ += *got;
  if (expectedSize_ >= 0 && count_ > static_cast<uint64_t>(expectedSize_)) {
    return makeError("{}: larger than the {} bytes its descriptor says", what_, expectedSize_);
  }
  hasher_.update(buffer, *got);
  return got;
}

Result<std::string> readVerified(ByteStream& stream, const Digest& digest, int64_t size,
                                 size_t maxBytes, std::string_view what) {
  if (size > static_cast<int64_t>(maxBytes)) {
    return makeError("{}: {} bytes exceeds the limit of {} bytes", what, size, maxBytes);
  }
  VerifyingStream verifying(stream, digest, size, std::string(what));
  return readAll(verifying, maxBytes, what);
}

}  // namespace bulkhead::image
