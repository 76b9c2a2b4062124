#include "image/decompress.h"

#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <cstring>
#include <vector>

namespace bulkhead::image {
namespace {

constexpr size_t kInputChunk = 256 * 1024;

const char* isalError(int code) {
  switch (code) {
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "invalid back-reference distance";
    case ISAL_INVALID_WRAPPER: return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "unsupported gzip compression method";
    case ISAL_INCORRECT_CHECKSUM: return "gzip checksum mismatch";
    case ISAL_NEED_DICT: return "stream needs a preset dictionary";
    default: return "corrupt gzip data";
  }
}

// Shared input buffering, accounting and limits for the decoders.
class Decoder : public DecompressStream {
 public:
  Decoder(ByteStream& raw, const DecompressLimits& limits, std::string what,
          std::vector<uint8_t> pending)
      : raw_(raw), limits_(limits), what_(std::move(what)), input_(std::move(pending)) {
    bytesIn_ = input_.size();
    if (input_.size() < kInputChunk) input_.resize(kInputChunk);
    inputLength_ = bytesIn_;
  }
  uint64_t bytesIn() const override { return bytesIn_; }
  uint64_t bytesOut() const override { return bytesOut_; }

 protected:
  // Refills the input buffer when empty. Returns false at the end of the raw stream.
  Result<bool> refill() {
    if (inputPos_ < inputLength_) return true;
    if (rawEnded_) return false;
    auto got = raw_.read(input_.data(), input_.size());
    if (!got) return std::move(got).error();
    inputPos_ = 0;
    inputLength_ = *got;
    bytesIn_ += *got;
    if (*got == 0) rawEnded_ = true;
    return *got != 0;
  }

  Status account(size_t produced) {
    bytesOut_ += produced;
    if (bytesOut_ > limits_.maxBytes) {
      return makeError("{}: decompressed size exceeds the limit of {} bytes", what_,
                       limits_.maxBytes);
    }
    if (limits_.maxRatio != 0 && bytesOut_ > limits_.ratioGraceBytes &&
        bytesOut_ / std::max<uint64_t>(bytesIn_, 1) > limits_.maxRatio) {
      return makeError(
          "{}: decompression ratio above {}:1 ({} bytes from {}); a decompression bomb?", what_,
          limits_.maxRatio, bytesOut_, bytesIn_);
    }
    return {};
  }

  ByteStream& raw_;
  DecompressLimits limits_;
  std::string what_;
  std::vector<uint8_t> input_;
  size_t inputPos_ = 0;
  size_t inputLength_ = 0;
  bool rawEnded_ = false;
  uint64_t bytesIn_ = 0;
  uint64_t bytesOut_ = 0;
};

class PlainDecoder final : public Decoder {
 public:
  using Decoder::Decoder;
  Compression compression() const override { return Compression::kNone; }
  Result<size_t> read(void* buffer, size_t size) override {
    auto more = refill();
    if (!more) return std::move(more).error();
    if (!*more) return size_t{0};
    const size_t n = std::min(size, inputLength_ - inputPos_);
    std::memcpy(buffer, input_.data() + inputPos_, n);
    inputPos_ += n;
    auto status = account(n);
    if (!status) return status.error();
    return n;
  }
};

class GzipDecoder final : public Decoder {
 public:
  GzipDecoder(ByteStream& raw, const DecompressLimits& limits, std::string what,
              std::vector<uint8_t> pending)
      : Decoder(raw, limits, std::move(what), std::move(pending)) {
    startMember();
  }
  Compression compression() const override { return Compression::kGzip; }

  Result<size_t> read(void* buffer, size_t size) override {
    if (size == 0) return size_t{0};
    for (;;) {
      if (state_.block_state == ISAL_BLOCK_FINISH) {
        // A member ended: more input means another member (gzip allows concatenation).
        auto more = refill();
        if (!more) return std::move(more).error();
        if (!*more) return size_t{0};
        startMember();
      }
      auto more = refill();
      if (!more) return std::move(more).error();
      if (!*more) return makeError("{}: truncated gzip stream", what_);
      state_.next_in = input_.data() + inputPos_;
      state_.avail_in = static_cast<uint32_t>(inputLength_ - inputPos_);
      state_.next_out = static_cast<uint8_t*>(buffer);
      state_.avail_out = static_cast<uint32_t>(std::min<size_t>(size, UINT32_MAX));
      const int rc = isal_inflate(&state_);
      const size_t consumed = static_cast<size_t>(state_.next_in - input_.data()) - inputPos_;
      inputPos_ += consumed;
      if (rc != ISAL_DECOMP_OK) return makeError("{}: {}", what_, isalError(rc));
      const size_t produced = static_cast<size_t>(state_.next_out - static_cast<uint8_t*>(buffer));
      if (produced == 0 && consumed == 0 && state_.block_state != ISAL_BLOCK_FINISH) {
        return makeError("{}: gzip decoder made no progress", what_);
      }
      if (produced > 0) {
        auto status = account(produced);
        if (!status) return status.error();
        return produced;
      }
    }
  }

 private:
  void startMember() {
    isal_inflate_init(&state_);
    state_.crc_flag = ISAL_GZIP;
  }
  inflate_state state_{};
};

class ZstdDecoder final : public Decoder {
 public:
  ZstdDecoder(ByteStream& raw, const DecompressLimits& limits, std::string what,
              std::vector<uint8_t> pending)
      : Decoder(raw, limits, std::move(what), std::move(pending)), stream_(ZSTD_createDStream()) {
    // Bounds the window (and so the memory) a hostile frame can ask for: 128 MiB.
    ZSTD_DCtx_setParameter(stream_, ZSTD_d_windowLogMax, 27);
  }
  ~ZstdDecoder() override { ZSTD_freeDStream(stream_); }
  Compression compression() const override { return Compression::kZstd; }

  Result<size_t> read(void* buffer, size_t size) override {
    if (size == 0) return size_t{0};
    for (;;) {
      auto more = refill();
      if (!more) return std::move(more).error();
      if (!*more) {
        if (lastResult_ != 0) return makeError("{}: truncated zstd stream", what_);
        return size_t{0};
      }
      ZSTD_inBuffer in{input_.data(), inputLength_, inputPos_};
      ZSTD_outBuffer out{buffer, size, 0};
      lastResult_ = ZSTD_decompressStream(stream_, &out, &in);
      inputPos_ = in.pos;
      if (ZSTD_isError(lastResult_)) {
        return makeError("{}: corrupt zstd data: {}", what_, ZSTD_getErrorName(lastResult_));
      }
      if (out.pos > 0) {
        auto status = account(out.pos);
        if (!status) return status.error();
        return out.pos;
      }
    }
  }

 private:
  ZSTD_DStream* stream_;
  size_t lastResult_ = 0;
};

}  // namespace

const char* compressionName(Compression compression) {
  switch (compression) {
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
    case Compression::kNone: break;
  }
  return "none";
}

Result<std::unique_ptr<DecompressStream>> openDecompressed(ByteStream& raw,
                                                           const DecompressLimits& limits,
                                                           std::string what) {
  std::vector<uint8_t> head(kInputChunk);
  size_t have = 0;
  while (have < 6) {
    auto got = raw.read(head.data() + have, head.size() - have);
    if (!got) return std::move(got).error();
    if (*got == 0) break;
    have += *got;
  }
  head.resize(have);
  auto starts = [&](std::initializer_list<uint8_t> magic) {
    if (have < magic.size()) return false;
    return std::equal(magic.begin(), magic.end(), head.begin());
  };
  if (starts({0x1f, 0x8b})) {
    return std::unique_ptr<DecompressStream>(new GzipDecoder(raw, limits, std::move(what), std::move(head)));
  }
  if (starts({0x28, 0xb5, 0x2f, 0xfd})) {
    return std::unique_ptr<DecompressStream>(new ZstdDecoder(raw, limits, std::move(what), std::move(head)));
  }
  if (starts({0xfd, '7', 'z', 'X', 'Z', 0x00})) {
    return makeError("{}: xz-compressed layers are not supported by the OCI spec", what);
  }
  if (starts({'B', 'Z', 'h'})) {
    return makeError("{}: bzip2-compressed layers are not supported by the OCI spec", what);
  }
  return std::unique_ptr<DecompressStream>(new PlainDecoder(raw, limits, std::move(what), std::move(head)));
}

}  // namespace bulkhead::image
