// openDecompressed on streams built in the test: sniffing, multi-member gzip, truncation at
// every cut point, corruption, and decompression bombs made on the fly (no big buffers).

#include "image/decompress.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <stdexcept>

#include "core/stream.h"
#include "support/tar_builder.h"

namespace bulkhead::image {
namespace {

namespace tb = bulkhead::testing;

const std::string kWhat = "layer 2 (sha256:feed)";

std::string compressible(size_t lines = 5000) {
  std::string text;
  for (size_t i = 0; i < lines; ++i) text += fmt::format("{} the quick brown fox {}\n", i, i * 7 % 13);
  return text;
}

// Drains a stream with reads of `chunk` bytes.
Result<std::string> drain(ByteStream& stream, size_t chunk = 64 * 1024) {
  std::string out;
  std::vector<char> buffer(chunk);
  for (;;) {
    auto got = stream.read(buffer.data(), buffer.size());
    if (!got) return std::move(got).error();
    if (*got == 0) return out;
    out.append(buffer.data(), *got);
  }
}

// Opens and drains `bytes`; the decompressed text or the error.
Result<std::string> decompress(const std::string& bytes, const DecompressLimits& limits = {},
                               Compression* seen = nullptr, size_t chunk = 64 * 1024) {
  MemoryStream raw(bytes);
  auto stream = openDecompressed(raw, limits, kWhat);
  if (!stream) return std::move(stream).error();
  if (seen != nullptr) *seen = (*stream)->compression();
  return drain(**stream, chunk);
}

std::string errorOf(const Result<std::string>& result) {
  if (result) {
    ADD_FAILURE() << "decompression succeeded but should have failed";
    return {};
  }
  return result.error().message;
}

bool isGzipError(const std::string& message) {
  for (const char* known : {"invalid deflate block", "invalid deflate symbol", "invalid back-reference distance",
                            "invalid gzip header", "gzip checksum mismatch", "corrupt gzip data",
                            "truncated gzip stream", "unsupported gzip compression method"}) {
    if (message.find(known) != std::string::npos) return true;
  }
  return false;
}

// gzip of `size` zeros produced while it is read: the bomb never exists in memory.
class ZeroGzipStream final : public ByteStream {
 public:
  explicit ZeroGzipStream(uint64_t size) : left_(size) {
    deflateInit2(&z_, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  }
  ~ZeroGzipStream() override { deflateEnd(&z_); }
  Result<size_t> read(void* buffer, size_t size) override {
    if (done_ || size == 0) return size_t{0};
    z_.next_out = static_cast<Bytef*>(buffer);
    z_.avail_out = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    while (z_.avail_out > 0 && !done_) {
      if (z_.avail_in == 0 && left_ > 0) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(left_, sizeof zeros_));
        z_.next_in = zeros_;
        z_.avail_in = static_cast<uInt>(n);
        left_ -= n;
      }
      const int rc = deflate(&z_, left_ == 0 && z_.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH);
      if (rc == Z_STREAM_END) done_ = true;
      if (rc == Z_STREAM_ERROR) return makeError("deflate failed");
    }
    produced_ += size - z_.avail_out;
    return size - z_.avail_out;
  }
  uint64_t produced() const { return produced_; }

 private:
  z_stream z_{};
  Bytef zeros_[1 << 16] = {};
  uint64_t left_;
  uint64_t produced_ = 0;
  bool done_ = false;
};

class FailingStream final : public ByteStream {
 public:
  explicit FailingStream(std::string head) : head_(std::move(head)) {}
  Result<size_t> read(void* buffer, size_t size) override {
    if (!head_.empty()) {
      const size_t n = std::min(size, head_.size());
      std::memcpy(buffer, head_.data(), n);
      head_.erase(0, n);
      return n;
    }
    return makeError("disk on fire");
  }

 private:
  std::string head_;
};

uint64_t peakRss() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;
}

std::string zstdWith(const std::string& data, int windowLog, bool checksum, bool pledgeSize) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, checksum ? 1 : 0);
  if (windowLog != 0) ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, windowLog);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, pledgeSize ? 1 : 0);
  std::string out(ZSTD_compressBound(data.size()) + 1024, '\0');
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  ZSTD_outBuffer o{out.data(), out.size(), 0};
  if (!pledgeSize) {
    // Feed the input before ending the frame, so that the encoder never learns the size
    // (and so keeps the window it was asked for).
    while (in.pos < in.size) {
      const size_t rc = ZSTD_compressStream2(cctx, &o, &in, ZSTD_e_continue);
      if (ZSTD_isError(rc)) throw std::runtime_error(ZSTD_getErrorName(rc));
    }
  }
  size_t rc = 0;
  do {
    rc = ZSTD_compressStream2(cctx, &o, &in, ZSTD_e_end);
    if (ZSTD_isError(rc)) throw std::runtime_error(ZSTD_getErrorName(rc));
  } while (rc != 0);
  ZSTD_freeCCtx(cctx);
  out.resize(o.pos);
  return out;
}

// ---- sniffing -----------------------------------------------------------------------------

TEST(Decompress, SniffsTheFormat) {
  const std::string text = compressible();
  struct Case {
    std::string bytes;
    Compression compression;
  };
  const Case cases[] = {{tb::gzipBytes(text), Compression::kGzip},
                        {tb::zstdBytes(text), Compression::kZstd},
                        {text, Compression::kNone}};
  for (const auto& c : cases) {
    SCOPED_TRACE(compressionName(c.compression));
    MemoryStream raw(c.bytes);
    auto stream = openDecompressed(raw, {}, kWhat);
    ASSERT_TRUE(stream) << stream.error().message;
    EXPECT_EQ((*stream)->compression(), c.compression);
    auto out = drain(**stream);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(*out, text);
    EXPECT_EQ((*stream)->bytesIn(), c.bytes.size());
    EXPECT_EQ((*stream)->bytesOut(), text.size());
  }
}

TEST(Decompress, ShortAndEmptyInputsArePlain) {
  for (const std::string& bytes : {std::string(), std::string("\x1f", 1), std::string("\x28\xb5", 2), std::string("abc")}) {
    Compression seen = Compression::kGzip;
    auto out = decompress(bytes, {}, &seen);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(seen, Compression::kNone);
    EXPECT_EQ(*out, bytes);
  }
}

TEST(Decompress, TinyReadsWork) {
  const std::string text = compressible(300);
  for (const std::string& bytes : {tb::gzipBytes(text), tb::zstdBytes(text), text}) {
    auto out = decompress(bytes, {}, nullptr, 1);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(*out, text);
  }
}

TEST(Decompress, XzAndBzip2AreNotSupported) {
  const std::string xz = std::string("\xfd" "7zXZ\0", 6) + "payload";
  EXPECT_EQ(errorOf(decompress(xz)), kWhat + ": xz-compressed layers are not supported by the OCI spec");
  EXPECT_EQ(errorOf(decompress("BZh91AY&SY payload")),
            kWhat + ": bzip2-compressed layers are not supported by the OCI spec");
}

TEST(Decompress, RawStreamErrorsPassThrough) {
  for (const std::string& head : {std::string(), tb::gzipBytes(compressible()).substr(0, 100),
                                  tb::zstdBytes(compressible()).substr(0, 100), std::string("plain text")}) {
    FailingStream raw(head);
    auto stream = openDecompressed(raw, {}, kWhat);
    if (stream) {
      auto out = drain(**stream);
      ASSERT_FALSE(out);
      EXPECT_EQ(out.error().message, "disk on fire");
    } else {
      EXPECT_EQ(stream.error().message, "disk on fire");
    }
  }
}

// ---- gzip ---------------------------------------------------------------------------------

TEST(DecompressGzip, ConcatenatedMembers) {
  const std::string a = compressible(100);
  const std::string b = "second member\n";
  auto out = decompress(tb::gzipBytes(a) + tb::gzipBytes("") + tb::gzipBytes(b) + tb::gzipBytes(a));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, a + b + a);
}

TEST(DecompressGzip, HeaderWithNameCommentAndExtraField) {
  const std::string text = compressible(200);
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  gz_header header{};
  char name[] = "layer.tar";
  char comment[] = "made by a test";
  Bytef extra[] = {'A', 'B', 2, 0, 'x', 'y'};
  header.name = reinterpret_cast<Bytef*>(name);
  header.comment = reinterpret_cast<Bytef*>(comment);
  header.extra = extra;
  header.extra_len = sizeof extra;
  header.hcrc = 1;
  deflateSetHeader(&z, &header);
  std::string gz(deflateBound(&z, text.size()) + 256, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(gz.data());
  z.avail_out = static_cast<uInt>(gz.size());
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  gz.resize(z.total_out);
  deflateEnd(&z);
  auto out = decompress(gz);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, text);
}

TEST(DecompressGzip, TruncatedAtEveryCutPoint) {
  const std::string gz = tb::gzipBytes(compressible(400));
  for (size_t cut = 2; cut < gz.size(); ++cut) {
    const std::string error = errorOf(decompress(gz.substr(0, cut)));
    ASSERT_EQ(error, kWhat + ": truncated gzip stream") << "cut at " << cut << " of " << gz.size();
  }
}

TEST(DecompressGzip, TruncatedSecondMember) {
  const std::string second = tb::gzipBytes("second");
  const std::string gz = tb::gzipBytes("first") + second.substr(0, second.size() - 3);
  EXPECT_EQ(errorOf(decompress(gz)), kWhat + ": truncated gzip stream");
}

TEST(DecompressGzip, CorruptBytesInTheMiddle) {
  const std::string text = compressible();
  const std::string gz = tb::gzipBytes(text);
  for (size_t at = 20; at + 8 < gz.size(); at += gz.size() / 37) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string bad = gz;
      bad[at] = static_cast<char>(bad[at] ^ mask);
      auto out = decompress(bad);
      ASSERT_FALSE(out) << "a flipped byte at " << at << " went unnoticed";
      EXPECT_TRUE(isGzipError(out.error().message)) << out.error().message;
      EXPECT_EQ(out.error().message.rfind(kWhat + ": ", 0), 0u) << out.error().message;
    }
  }
}

TEST(DecompressGzip, ChecksumAndLengthAreChecked) {
  const std::string gz = tb::gzipBytes(compressible());
  std::string badCrc = gz;
  badCrc[gz.size() - 8] = static_cast<char>(badCrc[gz.size() - 8] ^ 1);
  EXPECT_EQ(errorOf(decompress(badCrc)), kWhat + ": gzip checksum mismatch");
  std::string badLength = gz;
  badLength[gz.size() - 4] = static_cast<char>(badLength[gz.size() - 4] ^ 1);
  EXPECT_TRUE(isGzipError(errorOf(decompress(badLength))));
}

TEST(DecompressGzip, GarbageAfterTheLastMember) {
  EXPECT_EQ(errorOf(decompress(tb::gzipBytes("data") + std::string(64, 'g'))),
            kWhat + ": invalid gzip header");
  // Fewer bytes than a gzip header: the decoder waits for the rest of a header.
  const std::string shortGarbage = errorOf(decompress(tb::gzipBytes("data") + "garbage"));
  EXPECT_TRUE(shortGarbage == kWhat + ": invalid gzip header" ||
              shortGarbage == kWhat + ": truncated gzip stream")
      << shortGarbage;
  // Zero padding after the stream (some writers pad to a block size) is not gzip either.
  EXPECT_TRUE(isGzipError(errorOf(decompress(tb::gzipBytes("data") + std::string(512, '\0')))));
}

TEST(DecompressGzip, UnsupportedMethod) {
  std::string gz = tb::gzipBytes(compressible());
  gz[2] = 7;  // CM: only 8 (deflate) exists
  EXPECT_EQ(errorOf(decompress(gz)), kWhat + ": unsupported gzip compression method");
}

// ---- zstd ---------------------------------------------------------------------------------

TEST(DecompressZstd, ConcatenatedFrames) {
  const std::string a = compressible(100);
  auto out = decompress(tb::zstdBytes(a) + tb::zstdBytes("b") + tb::zstdBytes(a));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, a + "b" + a);
}

TEST(DecompressZstd, TruncatedAtEveryCutPoint) {
  const std::string zst = zstdWith(compressible(400), 0, true, true);
  for (size_t cut = 4; cut < zst.size(); ++cut) {
    const std::string error = errorOf(decompress(zst.substr(0, cut)));
    ASSERT_EQ(error, kWhat + ": truncated zstd stream") << "cut at " << cut << " of " << zst.size();
  }
}

TEST(DecompressZstd, CorruptBytes) {
  // With the frame checksum on, every damaged byte past the header is noticed.
  const std::string zst = zstdWith(compressible(), 0, true, true);
  for (size_t at = 6; at < zst.size(); at += zst.size() / 31) {
    std::string bad = zst;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    auto out = decompress(bad);
    ASSERT_FALSE(out) << "a flipped byte at " << at << " went unnoticed";
    EXPECT_EQ(out.error().message.rfind(kWhat + ": corrupt zstd data: ", 0), 0u) << out.error().message;
  }
}

TEST(DecompressZstd, GarbageAfterTheFrame) {
  EXPECT_EQ(errorOf(decompress(tb::zstdBytes("data") + "garbage!")).rfind(kWhat + ": corrupt zstd data", 0), 0u);
}

TEST(DecompressZstd, HugeWindowIsRefused) {
  // A frame that asks for a 1 GiB window (no pledged size, so the encoder cannot shrink it)
  // must fail instead of making the decoder allocate it.
  const std::string zst = zstdWith(compressible(100), 30, false, false);
  const std::string error = errorOf(decompress(zst));
  EXPECT_EQ(error.rfind(kWhat + ": corrupt zstd data: ", 0), 0u) << error;
  EXPECT_NE(error.find("memory"), std::string::npos) << error;
}

// ---- limits and bombs ---------------------------------------------------------------------

constexpr uint64_t kBomb = 300ull << 20;

TEST(DecompressionLimits, GzipBombHitsTheSizeLimit) {
  ZeroGzipStream raw(kBomb);
  DecompressLimits limits;
  limits.maxBytes = 64ull << 20;
  limits.maxRatio = 0;
  const uint64_t before = peakRss();
  auto stream = openDecompressed(raw, limits, kWhat);
  ASSERT_TRUE(stream) << stream.error().message;
  EXPECT_EQ(errorOf(drain(**stream)), kWhat + ": decompressed size exceeds the limit of 67108864 bytes");
  EXPECT_LE((*stream)->bytesOut(), (64ull << 20) + (1u << 20));
  EXPECT_LT(raw.produced(), 1u << 20) << "the bomb was read much further than needed";
  EXPECT_LT(peakRss() - before, 200ull << 20);
}

TEST(DecompressionLimits, GzipBombHitsTheRatioLimit) {
  ZeroGzipStream raw(kBomb);
  DecompressLimits limits;
  limits.maxRatio = 10;
  limits.ratioGraceBytes = 1u << 20;
  const uint64_t before = peakRss();
  auto stream = openDecompressed(raw, limits, kWhat);
  ASSERT_TRUE(stream) << stream.error().message;
  const std::string error = errorOf(drain(**stream));
  EXPECT_EQ(error.rfind(kWhat + ": decompression ratio above 10:1 (", 0), 0u) << error;
  EXPECT_NE(error.find("a decompression bomb?"), std::string::npos) << error;
  // The ratio is taken over the compressed bytes read so far, including the decoder's
  // read-ahead (256 KiB), so the bomb stops within grace + ratio * read-ahead.
  EXPECT_LE((*stream)->bytesOut(), (1u << 20) + 10 * (256u << 10) + (256u << 10));
  EXPECT_LT(peakRss() - before, 200ull << 20);
}

TEST(DecompressionLimits, DefaultLimitsStopTheBomb) {
  ZeroGzipStream raw(kBomb);
  auto stream = openDecompressed(raw, {}, kWhat);
  ASSERT_TRUE(stream) << stream.error().message;
  EXPECT_EQ(errorOf(drain(**stream)).rfind(kWhat + ": decompression ratio above 200:1", 0), 0u);
}

TEST(DecompressionLimits, SmallLayersUseTheGrace) {
  // 512 KiB of zeros compresses far better than 10:1 but stays under the grace.
  DecompressLimits limits;
  limits.maxRatio = 10;
  limits.ratioGraceBytes = 1u << 20;
  ZeroGzipStream raw(512u << 10);
  auto stream = openDecompressed(raw, limits, kWhat);
  ASSERT_TRUE(stream) << stream.error().message;
  auto out = drain(**stream);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->size(), 512u << 10);
}

TEST(DecompressionLimits, ExactlyAtTheLimitPasses) {
  DecompressLimits limits;
  limits.maxBytes = 1u << 20;
  limits.maxRatio = 0;
  ZeroGzipStream raw(1u << 20);
  auto stream = openDecompressed(raw, limits, kWhat);
  ASSERT_TRUE(stream) << stream.error().message;
  auto out = drain(**stream);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->size(), 1u << 20);
  ZeroGzipStream over((1u << 20) + 1);
  auto stream2 = openDecompressed(over, limits, kWhat);
  ASSERT_TRUE(stream2) << stream2.error().message;
  EXPECT_EQ(errorOf(drain(**stream2)), kWhat + ": decompressed size exceeds the limit of 1048576 bytes");
}

TEST(DecompressionLimits, ZstdBombHitsTheSizeLimit) {
  const std::string zst = tb::zstdBytes(std::string(32u << 20, '\0'));
  ASSERT_LT(zst.size(), 64u << 10);
  DecompressLimits limits;
  limits.maxBytes = 8u << 20;
  limits.maxRatio = 0;
  EXPECT_EQ(errorOf(decompress(zst, limits)), kWhat + ": decompressed size exceeds the limit of 8388608 bytes");
  DecompressLimits ratio;
  ratio.maxRatio = 10;
  ratio.ratioGraceBytes = 1u << 20;
  EXPECT_EQ(errorOf(decompress(zst, ratio)).rfind(kWhat + ": decompression ratio above 10:1", 0), 0u);
}

TEST(DecompressionLimits, PlainLayersAreBoundedToo) {
  DecompressLimits limits;
  limits.maxBytes = 1000;
  EXPECT_EQ(errorOf(decompress(std::string(1001, 'x'), limits)),
            kWhat + ": decompressed size exceeds the limit of 1000 bytes");
  auto ok = decompress(std::string(1000, 'x'), limits);
  ASSERT_TRUE(ok) << ok.error().message;
}

}  // namespace
}  // namespace bulkhead::image
