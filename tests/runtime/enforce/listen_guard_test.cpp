// Protect's listen guard on a real kernel: in a protected cgroup (and the cgroups below it),
// a bind of a stream socket to a port outside the policy fails with EPERM and is reported;
// listed ports, port 0 and datagram sockets bind; other cgroups are not touched; updating
// the ports and releasing take effect at once. Each bind runs in a child moved into the
// cgroup, in a network namespace of its own (no port of the host's is taken).

#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "runtime/discovery/cgroup_path.h"
#include "runtime/enforce/listen_guard.h"

namespace bulkhead::runtime {
namespace {

namespace fs = std::filesystem;

class ListenGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (cgroups, eBPF)";
    auto mount = findCgroup2Mount();
    if (!mount) GTEST_SKIP() << "no cgroup2 mount: " << mount.error().message;
    dir_ = fs::path(*mount) / ("bh-listen-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "inner");
    fs::create_directories(dir_.string() + "-other");
    auto guard = makeCgroupListenGuard([this](const BindDenial& d) {
      std::lock_guard lock(mutex_);
      denials_.push_back(d);
    });
    ASSERT_TRUE(guard) << guard.error().message;
    guard_ = std::move(*guard);
  }

  void TearDown() override {
    guard_.reset();
    if (dir_.empty()) return;
    ::rmdir((dir_ / "inner").c_str());
    ::rmdir(dir_.c_str());
    ::rmdir((dir_.string() + "-other").c_str());
  }

  static uint64_t cgroupId(const fs::path& dir) {
    struct stat st {};
    return ::stat(dir.c_str(), &st) == 0 ? st.st_ino : 0;
  }

  // Binds in a child that joined `cgroup`: 0 when it bound, else the errno.
  static int bindIn(const fs::path& cgroup, int family, uint16_t port, int type = SOCK_STREAM) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      std::ofstream(cgroup / "cgroup.procs") << "0" << std::flush;
      if (::unshare(CLONE_NEWNET) != 0) ::_exit(200);
      const int fd = ::socket(family, type, 0);
      if (fd < 0) ::_exit(201);
      int rc = 0;
      if (family == AF_INET6) {
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(port);
        a.sin6_addr = in6addr_any;
        rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
      } else {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
      }
      ::_exit(rc == 0 ? 0 : errno);
    }
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
  }

  std::vector<BindDenial> denials() {
    EXPECT_TRUE(guard_->poll(0));
    std::lock_guard lock(mutex_);
    return denials_;
  }

  fs::path dir_;
  std::unique_ptr<ListenGuard> guard_;
  std::mutex mutex_;
  std::vector<BindDenial> denials_;
};

TEST_F(ListenGuardTest, RefusesPortsOutsideThePolicyAndReportsThem) {
  ASSERT_TRUE(guard_->protect("c1", dir_.string(), cgroupId(dir_), {8080}));
  EXPECT_TRUE(guard_->protects("c1"));
  EXPECT_EQ(bindIn(dir_, AF_INET, 8080), 0);
  EXPECT_EQ(bindIn(dir_, AF_INET, 8081), EPERM);
  EXPECT_EQ(bindIn(dir_, AF_INET6, 8081), EPERM);
  EXPECT_EQ(bindIn(dir_, AF_INET, 0), 0) << "a port the kernel picks";
  EXPECT_EQ(bindIn(dir_, AF_INET, 8081, SOCK_DGRAM), 0) << "datagram sockets do not listen";
  EXPECT_EQ(bindIn(dir_ / "inner", AF_INET, 8082), EPERM) << "a cgroup below the container's";
  EXPECT_EQ(bindIn(dir_.string() + "-other", AF_INET, 8081), 0) << "another cgroup";

  const auto seen = denials();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].container, "c1");
  EXPECT_EQ(seen[0].port, 8081);
  EXPECT_EQ(seen[0].family, AF_INET);
  EXPECT_EQ(seen[0].address, "0.0.0.0");
  EXPECT_GT(seen[0].pid, 0);
  EXPECT_NE(seen[0].pid, ::getpid());
  EXPECT_GT(seen[0].timeNs, 0);
  EXPECT_EQ(seen[1].family, AF_INET6);
  EXPECT_EQ(seen[1].address, "::");
  EXPECT_EQ(seen[2].port, 8082);
  EXPECT_EQ(guard_->stats().denied, 3u);
  EXPECT_EQ(guard_->stats().unreported, 0u);
}

// More refusals between two reads than the ring buffer holds: each one is reported or
// counted as unreported, never lost silently, and every bind was refused all the same.
TEST_F(ListenGuardTest, AFloodOfRefusalsIsReportedOrCounted) {
  ASSERT_TRUE(guard_->protect("c1", dir_.string(), cgroupId(dir_), {8080}));
  constexpr int kBinds = 3000;  // the ring holds about 1000
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::ofstream(dir_ / "cgroup.procs") << "0" << std::flush;
    if (::unshare(CLONE_NEWNET) != 0) ::_exit(200);
    int refused = 0;
    for (int i = 0; i < kBinds; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(9000 + i % 100));
      if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno == EPERM) ++refused;
      ::close(fd);
    }
    ::_exit(refused == kBinds ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "a bind got through";
  const size_t reported = denials().size();
  const ListenGuardStats stats = guard_->stats();
  EXPECT_EQ(stats.denied, reported);
  EXPECT_GT(stats.unreported, 0u) << "the flood did not overrun the ring buffer";
  EXPECT_EQ(stats.denied + stats.unreported, static_cast<uint64_t>(kBinds));
}

TEST_F(ListenGuardTest, UpdatingAndReleasingTakeEffectAtOnce) {
  ASSERT_TRUE(guard_->protect("c1", dir_.string(), cgroupId(dir_), {8080}));
  EXPECT_EQ(bindIn(dir_, AF_INET, 9090), EPERM);
  ASSERT_TRUE(guard_->protect("c1", dir_.string(), cgroupId(dir_), {9090}));
  EXPECT_EQ(bindIn(dir_, AF_INET, 9090), 0);
  EXPECT_EQ(bindIn(dir_, AF_INET, 8080), EPERM) << "a port taken out of the policy";
  guard_->release("c1");
  EXPECT_FALSE(guard_->protects("c1"));
  EXPECT_EQ(bindIn(dir_, AF_INET, 8080), 0);
  EXPECT_EQ(denials().size(), 2u);
}

TEST_F(ListenGuardTest, ProfilesNameTheirPortsAsTcpEntries) {
  Profile p;
  p.listenPorts = {"tcp/80", "tcp/8080", "udp/53", "tcp/0", "tcp/70000", "tcp/8x", "tcp/", "tcp/0443", "tcp/-1"};
  EXPECT_EQ(listenPortsOf(p), (std::set<uint16_t>{80, 8080}));
}

TEST_F(ListenGuardTest, AMissingCgroupIsAClearError) {
  auto s = guard_->protect("c2", (dir_ / "missing").string(), 12345, {80});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("missing"), std::string::npos) << s.error().message;
  EXPECT_FALSE(guard_->protects("c2"));
}

}  // namespace
}  // namespace bulkhead::runtime
