#include "core/stream.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "core/prefetch_stream.h"
#include "core/sha256.h"

#include <cstring>

namespace bulkhead {
namespace {

TEST(ReadAll, StopsAtTheLimitWithANamedError) {
  MemoryStream stream(std::string(100, 'x'));
  auto all = readAll(stream, 50, "the-input");
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().message, "the-input: larger than the limit of 50 bytes");
}

TEST(FileStream, ReadsAWindowOfAFile) {
  const std::string path = ::testing::TempDir() + "/window.bin";
  std::ofstream(path) << "0123456789";
  auto stream = FileStream::openWindow(path, 3, 4);
  ASSERT_TRUE(stream.ok());
  auto all = readAll(**stream, 100, path);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, "3456");
}

TEST(ReadFileBounded, RefusesSymlinksAndDirectories) {
  const std::string dir = ::testing::TempDir();
  const std::string target = dir + "/target.txt";
  const std::string link = dir + "/link.txt";
  std::ofstream(target) << "secret";
  ::unlink(link.c_str());
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_FALSE(readFileBounded(link, 100).ok());
  EXPECT_FALSE(readFileBounded(dir, 100).ok());
  EXPECT_EQ(*readFileBounded(target, 100), "secret");
}

TEST(Sha256, MatchesKnownVectors) {
  EXPECT_EQ(Sha256::hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace bulkhead

namespace bulkhead {
namespace {

// Fails after `good` bytes, like a truncated download.
class FailingStream final : public ByteStream {
 public:
  explicit FailingStream(size_t good) : good_(good) {}
  Result<size_t> read(void* buffer, size_t size) override {
    if (sent_ >= good_) return makeError("inner: connection reset");
    const size_t n = std::min(size, good_ - sent_);
    std::memset(buffer, 'x', n);
    sent_ += n;
    return n;
  }

 private:
  size_t good_;
  size_t sent_ = 0;
};

TEST(PrefetchStream, DeliversEveryByteInOrder) {
  std::string data(3'000'000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 % 251);
  MemoryStream inner(data);
  PrefetchStream prefetch(inner, 64 * 1024, 3);
  auto all = readAll(prefetch, data.size(), "prefetch");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(*all == data);
}

TEST(PrefetchStream, PassesTheInnerErrorOnAfterTheGoodBytes) {
  FailingStream inner(100'000);
  PrefetchStream prefetch(inner, 16 * 1024, 2);
  auto all = readAll(prefetch, 1u << 20, "prefetch");
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().message, "inner: connection reset");
}

TEST(PrefetchStream, StopsItsThreadWhenTheConsumerGivesUpEarly) {
  std::string data(10'000'000, 'a');
  MemoryStream inner(data);
  {
    PrefetchStream prefetch(inner, 4096, 2);
    char buffer[10];
    ASSERT_TRUE(prefetch.read(buffer, sizeof buffer).ok());
  }  // must not hang or crash
  SUCCEED();
}

}  // namespace
}  // namespace bulkhead
