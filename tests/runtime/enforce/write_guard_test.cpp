// Protect's write guard on a real kernel: a child process the test puts in a mount
// namespace of its own whose root is a tmpfs (pivot_root, as a runtime does). In force,
// a write to an allowed location works and one anywhere else fails with EROFS; a location
// reached through a symbolic link (one to / here) is not bound, nor is one with no parent
// but the root; applying again changes nothing; releasing makes the root writable again.
// The agent's own namespace is refused.

#include "runtime/enforce/write_guard.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace bulkhead::runtime {
namespace {

namespace fs = std::filesystem;

class WriteGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (mount namespaces, mounts)";
    root_ = fs::temp_directory_path() / ("bh-writes-" + std::to_string(::getpid()));
    fs::create_directories(root_);
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    child_ = ::fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      // A root of its own: a tmpfs holding /w, /etc and /link -> /.
      const bool ok = ::unshare(CLONE_NEWNS) == 0 && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
                      ::mount("tmpfs", root_.c_str(), "tmpfs", 0, "size=8m") == 0 && ::chdir(root_.c_str()) == 0 &&
                      ::mkdir("w", 0755) == 0 && ::mkdir("etc", 0755) == 0 && ::symlink("/", "link") == 0 &&
                      ::syscall(SYS_pivot_root, ".", ".") == 0 && ::umount2(".", MNT_DETACH) == 0 && ::chdir("/") == 0;
      const char c = ok ? 'y' : 'n';
      if (::write(ready[1], &c, 1) != 1) ::_exit(1);
      ::pause();
      ::_exit(0);
    }
    ::close(ready[1]);
    char c = 0;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    ::close(ready[0]);
    ASSERT_EQ(c, 'y') << "the child could not make its root";
  }
  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    if (!root_.empty()) fs::remove_all(root_);
  }

  // Creates `path` inside the child's namespace: 0, or the errno.
  int create(const std::string& path) const {
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int ns = ::open(("/proc/" + std::to_string(child_) + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || ::setns(ns, CLONE_NEWNS) != 0) ::_exit(255);
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      ::_exit(fd >= 0 ? 0 : errno);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  fs::path root_;
  pid_t child_ = -1;
};

TEST_F(WriteGuardTest, OnlyTheLocationsStayWritable) {
  ASSERT_EQ(create("/etc/before"), 0) << "the root is writable before";
  auto r = protectWrites(child_, {"/w/", "/link/etc/", "/missing/x/", "/w/deeper/"}, false);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->enforced);
  EXPECT_EQ(r->writable, std::vector<std::string>{"/w"}) << "one bind: /w/deeper is under /w";
  ASSERT_EQ(r->skipped.size(), 2u);
  EXPECT_NE(r->skipped[0].find("symbolic link"), std::string::npos) << r->skipped[0];
  EXPECT_NE(r->skipped[1].find("no parent but the root"), std::string::npos) << r->skipped[1];
  EXPECT_EQ(create("/w/ok"), 0);
  EXPECT_EQ(create("/etc/refused"), EROFS);
  EXPECT_EQ(create("/link/etc/refused"), EROFS) << "the link to / became a writable view of it";
  EXPECT_EQ(create("/new"), EROFS);

  // In force as asked: nothing changes; and what is in force is recognized.
  auto again = protectWrites(child_, {"/w/"}, true);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->writable, std::vector<std::string>{"/w"});
  auto intact = writesGuardedAsApplied(child_, {"/w"});
  ASSERT_TRUE(intact);
  EXPECT_TRUE(*intact);
  auto other = writesGuardedAsApplied(child_, {"/etc"});
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);

  // New locations replace the old ones.
  auto moved = protectWrites(child_, {"/etc/"}, true);
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(create("/etc/now"), 0);
  EXPECT_EQ(create("/w/no-longer"), EROFS);

  auto left = writeGuardLeft(child_);  // as an agent that starts anew sees it
  ASSERT_TRUE(left);
  EXPECT_TRUE(*left);
  ASSERT_TRUE(releaseWrites(child_));
  left = writeGuardLeft(child_);
  ASSERT_TRUE(left);
  EXPECT_FALSE(*left);
  EXPECT_EQ(create("/new"), 0);
  EXPECT_EQ(create("/w/again"), 0);
}

TEST_F(WriteGuardTest, EverywhereAllowedMeansNoGuard) {
  auto r = protectWrites(child_, {"/"}, false);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->enforced);
  EXPECT_EQ(create("/anywhere"), 0);
}

TEST_F(WriteGuardTest, RefusesTheAgentsOwnNamespace) {
  auto r = protectWrites(::getpid(), {"/tmp/"}, false);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("shares the agent's mount namespace"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace bulkhead::runtime
