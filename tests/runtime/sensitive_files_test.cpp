// The sensitive files under a root are found by the prefixes' directories and last names,
// one level deep, each by the file its name reaches in the root: a link inside the root
// is followed there, never to the host's file of the same name.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/sensitive_files.h"

namespace bulkhead::runtime {
namespace {

namespace fs = std::filesystem;

TEST(SensitiveFiles, FoundByPrefixInTheRootAndByTheFileTheirNameReaches) {
  const fs::path root = fs::temp_directory_path() / ("bh-sensitive-" + std::to_string(::getpid()));
  fs::remove_all(root);
  for (const char* d : {"etc/ssh", "root/.ssh/sub", "run/secrets/sa/..2026_12_06", "tmp"}) fs::create_directories(root / d);
  for (const char* f : {"etc/shadow", "etc/shadow-", "etc/passwd", "etc/ssh/ssh_host_ed25519_key", "etc/ssh/sshd_config",
                        "root/.ssh/id_ed25519", "root/.ssh/sub/deeper", "run/secrets/sa/..2026_12_06/token", "tmp/x"}) {
    std::ofstream(root / f) << "x";
  }
  fs::create_symlink("..2026_12_06", root / "run/secrets/sa/..data");
  fs::create_symlink("..data/token", root / "run/secrets/sa/token");
  fs::create_symlink("/etc/hostname", root / "etc/gshadow");  // the root has none: not the host's
  fs::create_directory(root / "etc/sudoers");                   // not a regular file
  const int rootFd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(rootFd, 0);
  const auto found = findSensitiveFiles(rootFd, {"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh/ssh_host_",
                                                 "/root/.ssh/", "/run/secrets/sa/token", "/no/such/dir/x", "relative"});
  std::vector<std::string> paths;
  for (const SensitiveFile& f : found) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"/etc/shadow", "/etc/shadow-", "/etc/ssh/ssh_host_ed25519_key",
                                             "/root/.ssh/id_ed25519", "/run/secrets/sa/token"}));
  struct stat token {};
  ASSERT_EQ(::stat((root / "run/secrets/sa/..2026_12_06/token").c_str(), &token), 0);
  ASSERT_EQ(found.size(), 5u);
  EXPECT_EQ(found[4].ino, token.st_ino);  // the file behind the links
  EXPECT_EQ(found[4].dev, token.st_dev);

  // Bounded: a directory with more entries than the limit is read no further.
  for (int i = 0; i < 40; ++i) std::ofstream(root / "tmp" / ("k" + std::to_string(i))) << "x";
  EXPECT_LE(findSensitiveFiles(rootFd, {"/tmp/"}, 16).size(), 16u);
  EXPECT_EQ(findSensitiveFiles(rootFd, {"/tmp/"}).size(), 41u);
  ::close(rootFd);
  fs::remove_all(root);
}

}  // namespace
}  // namespace bulkhead::runtime
