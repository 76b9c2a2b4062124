// Paths resolve inside a container's root the way the kernel resolves them there: links
// never escape to the host, ".." stops at the root.

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/root_path.h"

namespace bulkhead::runtime {
namespace {

namespace fs = std::filesystem;

class RootPath : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("bh-rootpath-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "usr/bin");
    fs::create_directories(root_ / "usr/lib");
    fs::create_directories(root_ / "etc");
    std::ofstream(root_ / "usr/bin/dash") << "binary";
    fs::create_directory_symlink("usr/bin", root_ / "bin");
    fs::create_symlink("dash", root_ / "usr/bin/sh");
    fs::create_symlink("/etc/passwd", root_ / "usr/bin/escape");   // absolute: inside the root
    fs::create_symlink("../../../../../../etc", root_ / "usr/lib/up");  // ".." clamps at the root
    fs::create_symlink("loop2", root_ / "loop1");
    fs::create_symlink("loop1", root_ / "loop2");
    std::ofstream(root_ / "usr/bin/script.sh") << "#!/bin/sh -e\necho hi\n";
    fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override {
    ::close(fd_);
    fs::remove_all(root_);
  }
  fs::path root_;
  int fd_ = -1;
};

TEST_F(RootPath, FollowsLinksInsideTheRoot) {
  auto sh = resolveInRoot(fd_, "/bin/sh");
  ASSERT_TRUE(sh.ok()) << sh.error().message;
  EXPECT_EQ(*sh, "/usr/bin/dash");
  EXPECT_EQ(*resolveInRoot(fd_, "/usr/bin/escape"), "/etc/passwd");  // not the host's
  EXPECT_EQ(*resolveInRoot(fd_, "/usr/lib/up/x"), "/etc/x");
  EXPECT_EQ(*resolveInRoot(fd_, "/../../usr/./bin//dash"), "/usr/bin/dash");
  EXPECT_EQ(*resolveInRoot(fd_, "/usr/bin/missing"), "/usr/bin/missing");
}

// A path change's name: its directory resolved, the name itself kept even when it is a link.
TEST_F(RootPath, ResolvesTheParentButNotTheName) {
  EXPECT_EQ(*resolveParentInRoot(fd_, "/bin/sh"), "/usr/bin/sh");
  EXPECT_EQ(*resolveParentInRoot(fd_, "/bin/new"), "/usr/bin/new");
  EXPECT_EQ(*resolveParentInRoot(fd_, "/usr/lib/up/shadow"), "/etc/shadow");
  EXPECT_EQ(*resolveParentInRoot(fd_, "/bin"), "/bin");
  EXPECT_EQ(*resolveParentInRoot(fd_, "/bin/"), "/bin");
  EXPECT_EQ(*resolveParentInRoot(fd_, "/usr/lib/up/.."), "/");
  EXPECT_EQ(*resolveParentInRoot(fd_, "/nodir/x"), "/nodir/x");  // a missing directory kept as named
  EXPECT_FALSE(resolveParentInRoot(fd_, "/nodir/deeper/x").ok());
  EXPECT_FALSE(resolveParentInRoot(fd_, "x").ok());
}

TEST_F(RootPath, FailsClearlyOnLoopsAndBadPaths) {
  auto loop = resolveInRoot(fd_, "/loop1");
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().message.find("symbolic links"), std::string::npos) << loop.error().message;
  EXPECT_FALSE(resolveInRoot(fd_, "relative/path").ok());
  EXPECT_FALSE(resolveInRoot(fd_, "/nodir/x").ok());
  EXPECT_FALSE(resolveInRoot(fd_, "/usr/bin/dash/x").ok());
}

TEST_F(RootPath, FindsInterpreters) {
  EXPECT_EQ(*interpreterOf(fd_, "/usr/bin/script.sh"), "/bin/sh");
  EXPECT_EQ(*interpreterOf(fd_, "/usr/bin/dash"), "");
  // The host's own /bin/true, seen through a root that is the host's root.
  const int hostRoot = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  auto interp = interpreterOf(hostRoot, "/bin/true");
  ::close(hostRoot);
  ASSERT_TRUE(interp.ok()) << interp.error().message;
  EXPECT_NE(interp->find("ld-linux"), std::string::npos) << *interp;
}

}  // namespace
}  // namespace bulkhead::runtime
