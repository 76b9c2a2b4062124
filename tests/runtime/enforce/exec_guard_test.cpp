// Protect's exec guard on a real kernel: an exec outside the policy fails with EPERM before
// it runs, every time, and is reported; allowed execs run; releasing lifts the block.
// The "container" is a tmpfs with its own superblock holding /usr/bin/true and /usr/bin/false
// with the loader and libc they need, made the root of a private mount namespace with
// pivot_root, as a runtime does.

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/enforce/exec_guard.h"

namespace bulkhead::runtime {
namespace {

namespace fs = std::filesystem;

class ExecGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (fanotify permission events, mounts)";
    root_ = fs::temp_directory_path() / ("bh-guard-" + std::to_string(::getpid()));
    fs::create_directories(root_);
    ASSERT_EQ(::mount("tmpfs", root_.c_str(), "tmpfs", 0, "size=64m"), 0) << std::strerror(errno);
    mounted_ = true;
    fs::copy_file("/usr/bin/true", root_ / "allowed");
    fs::copy_file("/usr/bin/false", root_ / "denied");
    for (const char* lib : {"/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"}) {
      fs::create_directories(root_ / fs::path(lib).relative_path().parent_path());
      fs::copy_file(fs::canonical(lib), root_ / fs::path(lib).relative_path());
    }
    auto guard = makeFanotifyExecGuard([this](const ExecDenial& d) {
      std::lock_guard lock(mutex_);
      denials_.push_back(d);
    });
    ASSERT_TRUE(guard.ok()) << guard.error().message;
    guard_ = std::move(*guard);
  }
  void TearDown() override {
    guard_.reset();
    if (mounted_) ::umount2(root_.c_str(), MNT_DETACH);
    if (!root_.empty()) fs::remove_all(root_);
  }

  // In a child: a mount namespace of its own whose root is the container's, as a runtime
  // makes it.
  bool enterContainer() const {
    return ::unshare(CLONE_NEWNS) == 0 && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
           ::mount(root_.c_str(), root_.c_str(), nullptr, MS_BIND, nullptr) == 0 && ::chdir(root_.c_str()) == 0 &&
           ::syscall(SYS_pivot_root, ".", ".") == 0 && ::umount2(".", MNT_DETACH) == 0 && ::chdir("/") == 0;
  }

  // Runs `argv` (its program a name inside the container) once; its exit status, or -1.
  int runInContainer(const std::vector<std::string>& argv) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (!enterContainer()) ::_exit(255);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(254);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Runs `file` (a name inside the container) `times` times in a child that sees the
  // container through its own mount; returns how many execs failed with EPERM, or -1.
  int execInContainer(const std::string& file, int times) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (!enterContainer()) ::_exit(255);
      const std::string path = "/" + file;
      int eperm = 0;
      for (int i = 0; i < times; ++i) {
        const pid_t c = ::fork();
        if (c == 0) {
          char* const argv[] = {const_cast<char*>(path.c_str()), nullptr};
          ::execv(path.c_str(), argv);
          ::_exit(errno == EPERM ? 200 : 201);
        }
        int status = 0;
        ::waitpid(c, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 200) ++eperm;
      }
      ::_exit(eperm == times ? 0 : (eperm == 0 ? 1 : 2));
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status)) return -1;
    return WEXITSTATUS(status) == 0 ? times : WEXITSTATUS(status) == 1 ? 0 : -1;
  }

  std::shared_ptr<const ExecPolicy> policy(std::initializer_list<const char*> paths) {
    Profile profile;
    profile.group = "test-group";
    for (const char* p : paths) profile.executables[p];
    auto built = execPolicyFor(profile, root_.string());
    EXPECT_TRUE(built.ok()) << built.error().message;
    return built.ok() ? *built : nullptr;
  }

  fs::path root_;
  bool mounted_ = false;
  std::unique_ptr<ExecGuard> guard_;
  std::mutex mutex_;
  std::vector<ExecDenial> denials_;
};

TEST_F(ExecGuardTest, DeniesExecsOutsideThePolicyBeforeTheyRun) {
  ASSERT_EQ(execInContainer("denied", 1), 0) << "without a guard the exec runs";
  ASSERT_TRUE(guard_->protect("c1", root_.string(), 0, policy({"/allowed"})).ok());
  EXPECT_TRUE(guard_->protects("c1"));
  EXPECT_EQ(execInContainer("allowed", 5), 0);
  EXPECT_EQ(execInContainer("denied", 1), 1);
  std::lock_guard lock(mutex_);
  ASSERT_EQ(denials_.size(), 1u);
  EXPECT_EQ(denials_[0].container, "c1");
  EXPECT_EQ(denials_[0].group, "test-group");
  EXPECT_EQ(denials_[0].path, "/denied");  // as the container sees it
  EXPECT_GT(denials_[0].pid, 0);
}

TEST_F(ExecGuardTest, TenThousandForbiddenExecsAllFail) {
  ASSERT_TRUE(guard_->protect("c1", root_.string(), 0, policy({"/allowed"})).ok());
  EXPECT_EQ(execInContainer("denied", 10000), 10000);
  EXPECT_EQ(guard_->stats().denied, 10000u);
}

TEST_F(ExecGuardTest, PolicyUpdatesAndReleaseTakeEffect) {
  ASSERT_TRUE(guard_->protect("c1", root_.string(), 0, policy({"/allowed"})).ok());
  EXPECT_EQ(execInContainer("denied", 1), 1);
  ASSERT_TRUE(guard_->protect("c1", root_.string(), 0, policy({"/allowed", "/denied"})).ok());
  EXPECT_EQ(execInContainer("denied", 1), 0);
  ASSERT_TRUE(guard_->protect("c1", root_.string(), 0, policy({"/allowed"})).ok());
  guard_->release("c1");
  EXPECT_FALSE(guard_->protects("c1"));
  EXPECT_EQ(execInContainer("denied", 1), 0);
}

// Held: the container's first exec waits until the caller's work is done (a file it makes,
// which the program, `test -e`, then finds), and is still judged; later execs are not held,
// and the policy's files pass in the kernel again.
TEST_F(ExecGuardTest, TheFirstExecWaitsForTheHoldersWork) {
  fs::copy_file("/usr/bin/test", root_ / "check");
  ASSERT_TRUE(guard_->protect("c1", root_.string(), 0, policy({"/allowed", "/check"})).ok());
  EXPECT_GT(guard_->stats().passMarks, 0u);
  std::atomic<int> calls{0};
  std::atomic<pid_t> held{0};
  guard_->holdFirstExec("c1", [&](pid_t pid) {
    ++calls;
    held = pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ofstream(root_ / "ready") << "made while the exec waited\n";
  });
  EXPECT_EQ(guard_->stats().passMarks, 0u) << "a pass mark would let the first exec through unasked";
  EXPECT_EQ(runInContainer({"/check", "-e", "/ready"}), 0) << "the exec ran before the holder's work was done";
  EXPECT_EQ(calls.load(), 1);
  EXPECT_GT(held.load(), 0);
  EXPECT_GT(guard_->stats().passMarks, 0u);
  fs::remove(root_ / "ready");
  EXPECT_EQ(runInContainer({"/check", "-e", "/ready"}), 1);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(execInContainer("denied", 1), 1) << "still judged";
}

// The policy's files run without asking the guard (the kernel passes them on an ignore
// mark); a copy of one is a new file, judged by its path; a written one is asked about
// again; a policy that drops a file takes its mark away.
TEST_F(ExecGuardTest, AllowedFilesRunWithoutAskingTheGuard) {
  ASSERT_TRUE(guard_->protect("c1", root_.string(), 0, policy({"/allowed"})).ok());
  EXPECT_EQ(guard_->stats().passMarks, 2u);  // the program and its loader
  EXPECT_EQ(execInContainer("allowed", 3), 0);
  EXPECT_EQ(guard_->stats().allowed, 0u) << "the guard was asked about a file the kernel should pass";

  fs::copy_file(root_ / "allowed", root_ / "copied");
  EXPECT_EQ(execInContainer("copied", 1), 1);

  {  // a write (of the same byte: the program still runs) clears the mark
    const int fd = ::open((root_ / "allowed").c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    char first = 0;
    ASSERT_EQ(::pread(fd, &first, 1, 0), 1);
    ASSERT_EQ(::pwrite(fd, &first, 1, 0), 1);
    ::close(fd);
  }
  EXPECT_EQ(execInContainer("allowed", 1), 0);  // its path is still allowed
  EXPECT_EQ(guard_->stats().allowed, 1u) << "the written file should have been judged by the guard";

  ASSERT_TRUE(guard_->protect("c1", root_.string(), 0, policy({"/denied"})).ok());
  EXPECT_EQ(guard_->stats().passMarks, 2u);  // /denied and the same loader
  EXPECT_EQ(execInContainer("allowed", 1), 1);
  EXPECT_EQ(execInContainer("denied", 1), 0);
  guard_->release("c1");
  EXPECT_EQ(guard_->stats().passMarks, 0u);
  std::lock_guard lock(mutex_);
  ASSERT_EQ(denials_.size(), 2u);
  EXPECT_EQ(denials_[0].path, "/copied");
  EXPECT_EQ(denials_[1].path, "/allowed");
}

TEST_F(ExecGuardTest, RefusesARootFileSystemSharedWithTheHost) {
  const fs::path onHost = fs::temp_directory_path() / ("bh-guard-host-" + std::to_string(::getpid()));
  fs::create_directories(onHost);
  auto s = guard_->protect("c2", onHost.string(), 0, policy({"/allowed"}));
  fs::remove_all(onHost);
  if (fs::temp_directory_path() == "/tmp" && s.ok()) GTEST_SKIP() << "/tmp is its own file system here";
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("host's root file system"), std::string::npos) << s.error().message;
  ASSERT_TRUE(guard_->protect("c1", root_.string(), 0, policy({"/allowed"})).ok());
  auto twice = guard_->protect("c3", root_.string(), 0, policy({"/allowed"}));
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("shared with container c1"), std::string::npos) << twice.error().message;
}

}  // namespace
}  // namespace bulkhead::runtime
