// The readers of netlink sockets in containers' namespaces (src/net/namespace_sockets.h)
// on a real network namespace: a child process the test puts in a namespace of its own.
// - The ruleset watch (ruleset_watch.h): a table, chain or rule made there is reported under
//   the watched key; set elements alone are not (the agent adds those itself); after
//   unwatch nothing is.
// - The refusal log (refusal_log.h): a SYN a rule there logs to the group is reported with
//   its source and port.

#include "net/refusal_log.h"
#include "net/ruleset_watch.h"

#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/link_policy.h"
#include "net/nft.h"

namespace bulkhead::net {
namespace {

using namespace std::chrono_literals;

class NamespaceSocketsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to make a network namespace";
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    child_ = ::fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      const char ok = ::unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
      if (::write(ready[1], &ok, 1) != 1) ::_exit(1);
      ::pause();
      ::_exit(0);
    }
    ::close(ready[1]);
    char ok = 0;
    ASSERT_EQ(::read(ready[0], &ok, 1), 1);
    ::close(ready[0]);
    ASSERT_EQ(ok, 'y') << "unshare(CLONE_NEWNET) failed in the child";
    auto started = RulesetWatch::start([this](const std::string& key) { report(key); });
    ASSERT_TRUE(started) << started.error().message;
    watch_ = std::move(*started);
  }

  void report(const std::string& key) {
    std::lock_guard lock(mutex_);
    keys_.push_back(key);
    changed_.notify_all();
  }
  void TearDown() override {
    watch_.reset();
    log_.reset();
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
  }

  // Runs nft commands inside the child's namespace.
  void nft(const std::string& commands) {
    Status s = inNetworkNamespace(child_, "test", [&]() -> Status {
      Nft n;
      auto out = n.run(commands, false);
      if (!out) return out.error();
      return {};
    });
    ASSERT_TRUE(s) << commands << ": " << s.error().message;
  }

  // The keys reported once `count` are there (or after a while).
  std::vector<std::string> waitFor(size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 10s, [&] { return keys_.size() >= count; });
    return keys_;
  }
  std::vector<std::string> reported() {
    std::lock_guard lock(mutex_);
    return keys_;
  }

  pid_t child_ = -1;
  std::unique_ptr<RulesetWatch> watch_;
  std::unique_ptr<RefusalLog> log_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> keys_;
};

TEST_F(NamespaceSocketsTest, RulesetWatchReportsRuleChangesButNotSetElements) {
  ASSERT_TRUE(watch_->watch("c1", child_));
  nft("add table inet t\nadd set inet t s { type ipv4_addr; }\nadd chain inet t c { type filter hook output priority 0; }\n");
  EXPECT_EQ(waitFor(1), std::vector<std::string>{"c1"});

  // Elements alone, added or deleted: no call (given the time a call takes to come). A rule
  // after them, and the table's deletion: one each.
  nft("add element inet t s { 192.0.2.1, 192.0.2.2 }\n");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(reported().size(), 1u) << "added set elements were reported";
  nft("add rule inet t c ip daddr @s accept\n");
  EXPECT_EQ(waitFor(2), (std::vector<std::string>{"c1", "c1"}));
  nft("delete element inet t s { 192.0.2.1 }\n");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(reported().size(), 2u) << "a deleted set element was reported";
  nft("delete table inet t\n");
  EXPECT_EQ(waitFor(3).size(), 3u);

  // Watched no more: nothing.
  watch_->unwatch("c1");
  nft("add table inet t2\n");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(reported().size(), 3u);
}

TEST_F(NamespaceSocketsTest, RefusalLogReportsLoggedSyns) {
  std::vector<TcpOpening> openings;
  auto started = RefusalLog::start([&](const std::string& key, const TcpOpening& o) {
    std::lock_guard lock(mutex_);
    openings.push_back(o);
    keys_.push_back(key);
    changed_.notify_all();
  });
  ASSERT_TRUE(started) << started.error().message;
  log_ = std::move(*started);
  ASSERT_TRUE(log_->watch("c1", child_));
  nft(fmt::format("add table inet t\nadd chain inet t input {{ type filter hook input priority 0; }}\n"
                  "add rule inet t input tcp flags & (syn | ack) == syn tcp dport 9 log group {} reject with tcp reset\n",
                  kRefusedLogGroup));
  // A connection to 127.0.0.1:9 from inside the namespace (loopback up first).
  Status tried = inNetworkNamespace(child_, "connect", []() -> Status {
    if (::system("ip link set lo up") != 0) return makeError("ip link set lo up failed");
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
    const int error = errno;
    ::close(fd);
    if (rc == 0 || error != ECONNREFUSED) return makeError("connect: {}", rc == 0 ? "connected" : std::strerror(error));
    return {};
  });
  ASSERT_TRUE(tried) << tried.error().message;
  ASSERT_EQ(waitFor(1), std::vector<std::string>{"c1"});
  std::lock_guard lock(mutex_);
  ASSERT_EQ(openings.size(), 1u);
  EXPECT_EQ(openings[0].source, "127.0.0.1");
  EXPECT_EQ(openings[0].port, 9);
}

}  // namespace
}  // namespace bulkhead::net
