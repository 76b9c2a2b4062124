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
#include <fstream>
#include <string>
#include <vector>

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
    for (const pid_t holder : holders_) {
      ::kill(holder, SIGKILL);
      ::waitpid(holder, nullptr, 0);
    }
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

  // A process in the child's namespace that keeps `path` open for writing (as a running
  // container's log file is): "/proc/PID/fd/N" of that descriptor, or empty.
  std::string holdOpen(const std::string& path) {
    int ready[2];
    if (::pipe(ready) != 0) return {};
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int ns = ::open(("/proc/" + std::to_string(child_) + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC);
      const int fd = ns >= 0 && ::setns(ns, CLONE_NEWNS) == 0 ? ::open(path.c_str(), O_WRONLY | O_CREAT, 0644) : -1;
      if (::write(ready[1], &fd, sizeof fd) != sizeof fd) ::_exit(1);
      ::pause();
      ::_exit(0);
    }
    ::close(ready[1]);
    int fd = -1;
    const bool ok = ::read(ready[0], &fd, sizeof fd) == sizeof fd && fd >= 0;
    ::close(ready[0]);
    if (pid > 0) holders_.push_back(pid);
    return ok ? "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd) : std::string();
  }

  // The child's mounts, counted.
  size_t mounts() const {
    std::ifstream in("/proc/" + std::to_string(child_) + "/mountinfo");
    size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }

  fs::path root_;
  pid_t child_ = -1;
  std::vector<pid_t> holders_;
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
  WriteGuardResult applied;
  applied.writable = {"/w"};
  auto intact = writesGuardedAsApplied(child_, applied);
  ASSERT_TRUE(intact);
  EXPECT_TRUE(*intact);
  applied.writable = {"/etc"};
  auto other = writesGuardedAsApplied(child_, applied);
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

// A root with a file open for writing cannot be made read-only (EBUSY): its entries are bound
// read-only instead, but for the locations. The writer's descriptor keeps working; new
// opens for writing elsewhere fail. Applied again, the binds are replaced, not stacked; once
// the writer is gone, the retry makes the root itself read-only.
TEST_F(WriteGuardTest, ARootBusyWithWritersHasItsEntriesBoundReadOnly) {
  const std::string writer = holdOpen("/log");
  ASSERT_FALSE(writer.empty());
  const size_t before = mounts();
  auto r = protectWrites(child_, {"/w/"}, false);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->enforced);
  EXPECT_TRUE(r->rootBusy);
  EXPECT_EQ(r->writable, std::vector<std::string>{"/w"});
  EXPECT_EQ(r->readOnly, (std::vector<std::string>{"/etc", "/log"})) << "the link to / is left";
  EXPECT_EQ(r->unguarded, std::vector<std::string>{"/"});
  EXPECT_EQ(create("/w/ok"), 0);
  EXPECT_EQ(create("/etc/refused"), EROFS);
  EXPECT_EQ(create("/link/etc/refused"), EROFS);
  EXPECT_EQ(create("/log"), EROFS) << "a new open of the busy file";
  const int reopened = ::open(writer.c_str(), O_WRONLY | O_CLOEXEC);  // through the writer's descriptor's mount
  EXPECT_GE(reopened, 0) << "the writer's own file is no longer writable through its descriptor";
  if (reopened >= 0) ::close(reopened);
  auto intact = writesGuardedAsApplied(child_, *r);
  ASSERT_TRUE(intact);
  EXPECT_TRUE(*intact);

  auto again = protectWrites(child_, {"/w/"}, true);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->readOnly, r->readOnly);
  EXPECT_EQ(mounts(), before + 2) << "binds stacked on the earlier ones";
  EXPECT_EQ(create("/etc/refused"), EROFS);

  // While the writer holds its file, the root stays as it is; once it is gone, the root
  // itself goes read-only and the entries' binds are dropped.
  WriteGuardResult applied = *again;
  auto busy = retryReadOnlyRoot(child_, applied);
  ASSERT_TRUE(busy) << busy.error().message;
  EXPECT_FALSE(*busy);
  EXPECT_TRUE(applied.rootBusy);
  EXPECT_EQ(mounts(), before + 2);
  EXPECT_EQ(create("/w/ok2"), 0);
  for (const pid_t holder : holders_) {
    ::kill(holder, SIGKILL);
    ::waitpid(holder, nullptr, 0);
  }
  holders_.clear();
  auto upgraded = retryReadOnlyRoot(child_, applied);
  ASSERT_TRUE(upgraded) << upgraded.error().message;
  EXPECT_TRUE(*upgraded);
  EXPECT_FALSE(applied.rootBusy);
  EXPECT_TRUE(applied.readOnly.empty());
  EXPECT_EQ(mounts(), before + 1) << "the read-only binds were not replaced by one writable bind";
  EXPECT_EQ(create("/new"), EROFS);
  EXPECT_EQ(create("/etc/refused"), EROFS);
  EXPECT_EQ(create("/w/still"), 0);
  intact = writesGuardedAsApplied(child_, applied);
  ASSERT_TRUE(intact);
  EXPECT_TRUE(*intact);

  // Applied anew with the root free, it is the read-only root at once.
  auto fresh = protectWrites(child_, {"/w/"}, true);
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_FALSE(fresh->rootBusy);
  EXPECT_EQ(mounts(), before + 1);

  ASSERT_TRUE(releaseWrites(child_));
  EXPECT_EQ(mounts(), before);
  EXPECT_EQ(create("/etc/again"), 0);
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
