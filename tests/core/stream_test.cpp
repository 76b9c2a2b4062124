#include "core/stream.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "core/sha256.h"

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
