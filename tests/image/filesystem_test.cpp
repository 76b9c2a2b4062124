#include "image/filesystem.h"

#include <gtest/gtest.h>

namespace bulkhead::image {
namespace {

LayerEntry entry(std::string path, EntryType type = EntryType::kFile, std::string link = {}) {
  LayerEntry e;
  e.path = std::move(path);
  e.type = type;
  e.linkTarget = std::move(link);
  e.size = 1;
  return e;
}

TEST(FileSystemView, AppliesWhiteoutsOnlyToLowerLayers) {
  FileSystemView fs;
  std::vector<std::string> warnings;
  fs.applyLayer(0, {entry("etc", EntryType::kDirectory), entry("etc/a"), entry("etc/b"),
                    entry("opt", EntryType::kDirectory), entry("opt/x"), entry("opt/y/z")},
                warnings);
  fs.applyLayer(1, {entry("etc/a", EntryType::kWhiteout), entry("opt", EntryType::kOpaque),
                    entry("opt/new")},
                warnings);
  EXPECT_EQ(fs.find("etc/a"), nullptr);
  ASSERT_NE(fs.find("etc/b"), nullptr);
  EXPECT_EQ(fs.find("etc/b")->layer, 0);
  EXPECT_NE(fs.find("opt"), nullptr);  // the opaque directory itself stays
  EXPECT_EQ(fs.find("opt/x"), nullptr);
  EXPECT_EQ(fs.find("opt/y/z"), nullptr);
  ASSERT_NE(fs.find("opt/new"), nullptr);
  EXPECT_EQ(fs.find("opt/new")->layer, 1);
  EXPECT_TRUE(warnings.empty());
}

TEST(FileSystemView, WhiteoutOfADirectoryRemovesItsTree) {
  FileSystemView fs;
  std::vector<std::string> warnings;
  fs.applyLayer(0, {entry("a", EntryType::kDirectory), entry("a/b"), entry("a/c/d"), entry("ab")},
                warnings);
  fs.applyLayer(1, {entry("a", EntryType::kWhiteout)}, warnings);
  EXPECT_EQ(fs.find("a"), nullptr);
  EXPECT_EQ(fs.find("a/c/d"), nullptr);
  EXPECT_NE(fs.find("ab"), nullptr);  // a sibling sharing the prefix survives
}

TEST(FileSystemView, AFileReplacingADirectoryDropsItsChildren) {
  FileSystemView fs;
  std::vector<std::string> warnings;
  fs.applyLayer(0, {entry("d", EntryType::kDirectory), entry("d/x")}, warnings);
  fs.applyLayer(1, {entry("d")}, warnings);
  EXPECT_EQ(fs.find("d")->type, EntryType::kFile);
  EXPECT_EQ(fs.find("d/x"), nullptr);
}

TEST(FileSystemView, ResolvesSymlinksInsideTheRootLikeAChroot) {
  FileSystemView fs;
  std::vector<std::string> warnings;
  fs.applyLayer(0,
                {entry("usr/lib/os-release"), entry("etc/os-release", EntryType::kSymlink, "../usr/lib/os-release"),
                 entry("bin", EntryType::kSymlink, "usr/bin"), entry("usr/bin/sh"),
                 entry("etc/escape", EntryType::kSymlink, "../../../../usr/lib/os-release"),
                 entry("etc/abs", EntryType::kSymlink, "/usr/bin/sh"),
                 entry("loop1", EntryType::kSymlink, "loop2"), entry("loop2", EntryType::kSymlink, "loop1"),
                 entry("hard", EntryType::kHardlink, "usr/bin/sh")},
                warnings);
  EXPECT_EQ(*fs.resolve("etc/os-release"), "usr/lib/os-release");
  EXPECT_EQ(*fs.resolve("/bin/sh"), "usr/bin/sh");
  EXPECT_EQ(*fs.resolve("etc/escape"), "usr/lib/os-release");  // ".." stops at the root
  EXPECT_EQ(*fs.resolve("etc/abs"), "usr/bin/sh");
  EXPECT_EQ(*fs.resolve("hard"), "hard");  // a second name of the file, not a link to follow
  auto loop = fs.resolve("loop1");
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().message.find("too many levels of symbolic links"), std::string::npos);
}

TEST(FileSystemView, ReportsDuplicateEntriesAndKeepsTheLast) {
  FileSystemView fs;
  std::vector<std::string> warnings;
  auto second = entry("f");
  second.size = 99;
  fs.applyLayer(0, {entry("f"), second}, warnings);
  EXPECT_EQ(fs.find("f")->size, 99u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("duplicate entry 'f'"), std::string::npos);
}

TEST(JoinClean, NormalisesLexically) {
  EXPECT_EQ(joinClean("a/b", "../c"), "a/c");
  EXPECT_EQ(joinClean("a/b", "/x/./y"), "x/y");
  EXPECT_EQ(joinClean("a", "../../../z"), "z");
}

}  // namespace
}  // namespace bulkhead::image
