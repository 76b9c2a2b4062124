// Discovery of real runc and crun containers (overlay over the test bed's root file
// system): reported at create with the right PID, cgroup and cgroup ID, metadata carried,
// dropped when they stop, nothing left behind. Prints the create -> onStart latency.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "runtime/discovery/discovery.h"
#include "support/layout_builder.h"
#include "support/runc_container.h"

namespace bulkhead::runtime {
namespace {

using Clock = std::chrono::system_clock;
using testing::ContainerSpec;
using testing::RuncContainer;

constexpr auto kGenerous = std::chrono::seconds(2);

int64_t nowNs() { return Clock::now().time_since_epoch() / std::chrono::nanoseconds(1); }

// Records callbacks from the watcher thread; tests wait on it.
class Recorder {
 public:
  void started(const Container& c) {
    std::lock_guard lock(mutex_);
    starts_.push_back({c, nowNs()});
    changed_.notify_all();
  }
  void stopped(const Container& c) {
    std::lock_guard lock(mutex_);
    stops_.push_back({c, nowNs()});
    changed_.notify_all();
  }
  // The first start (or stop) of id, waiting up to kGenerous; nullopt on timeout.
  std::optional<std::pair<Container, int64_t>> waitStart(const std::string& id) { return wait(starts_, id); }
  std::optional<std::pair<Container, int64_t>> waitStop(const std::string& id) { return wait(stops_, id); }
  size_t starts() {
    std::lock_guard lock(mutex_);
    return starts_.size();
  }
  size_t stops() {
    std::lock_guard lock(mutex_);
    return stops_.size();
  }

 private:
  using Entries = std::vector<std::pair<Container, int64_t>>;
  std::optional<std::pair<Container, int64_t>> wait(const Entries& entries, const std::string& id) {
    std::unique_lock lock(mutex_);
    std::optional<std::pair<Container, int64_t>> found;
    changed_.wait_for(lock, kGenerous, [&] {
      for (const auto& e : entries) {
        if (e.first.id == id) found = e;
      }
      return found.has_value();
    });
    return found;
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  Entries starts_, stops_;
};

class LiveDiscovery : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    BULKHEAD_REQUIRE_TESTBED();
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run containers";
    if (testing::findRuntimeBinary(GetParam()).empty()) GTEST_SKIP() << GetParam() << " is not installed";
    lowerdir_ = testing::testbedValue("TESTBED_RUNTIME_ROOTFS");
    if (lowerdir_.empty()) lowerdir_ = testing::testbedValue("TESTBED_ROOTFS");
    ASSERT_FALSE(lowerdir_.empty()) << "test bed has no root file system";
    stateRoot_ = testing::makeTempDir("state-root");
    DiscoveryOptions options;
    options.runcRoots = {GetParam() == "runc" ? stateRoot_ : stateRoot_ + "/none"};
    options.crunRoots = {GetParam() == "crun" ? stateRoot_ : stateRoot_ + "/none"};
    options.containerdTaskRoots = {};
    options.containersRunRoots = {};
    options.containersIndexes = {};
    discovery_ = std::make_unique<Discovery>(options);
    discovery_->onStart([this](const Container& c) { recorder_.started(c); });
    discovery_->onStop([this](const Container& c) { recorder_.stopped(c); });
    auto started = discovery_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }
  void TearDown() override {
    if (discovery_) discovery_->stop();
  }

  ContainerSpec spec(std::vector<std::string> args = {"sleep", "infinity"}) {
    ContainerSpec s;
    s.runtime = GetParam();
    s.lowerdir = lowerdir_;
    s.args = std::move(args);
    s.stateRoot = stateRoot_;
    return s;
  }
  std::unique_ptr<RuncContainer> prepare(ContainerSpec s) {
    auto c = RuncContainer::prepare(std::move(s));
    if (!c) ADD_FAILURE() << c.error().message;
    return c ? std::move(*c) : nullptr;
  }
  // ms from the runtime's state file being written to onStart.
  double latencyMs(const RuncContainer& c, int64_t startedNs) {
    const std::string file =
        stateRoot_ + "/" + c.id() + (GetParam() == "crun" ? "/status" : "/state.json");
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return -1;
    const int64_t written = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    return static_cast<double>(startedNs - written) / 1e6;
  }

  std::string lowerdir_, stateRoot_;
  Recorder recorder_;
  std::unique_ptr<Discovery> discovery_;
};

TEST_P(LiveDiscovery, ReportedAtCreateWithCgroupAndMetadata) {
  ContainerSpec s = spec();
  s.annotations = {{"io.kubernetes.cri.sandbox-name", "web-0"},
                   {"io.kubernetes.cri.sandbox-namespace", "shop"},
                   {"io.kubernetes.cri.sandbox-uid", "8b1e2f3a-4c5d-6e7f-8091-a2b3c4d5e6f7"},
                   {"io.kubernetes.cri.container-name", "nginx"},
                   {"io.kubernetes.cri.image-name", "docker.io/library/nginx:1.25"},
                   {"team", "payments"}};
  auto c = prepare(s);
  ASSERT_TRUE(c);
  const int64_t before = nowNs();
  ASSERT_TRUE(c->create().ok());
  auto started = recorder_.waitStart(c->id());
  ASSERT_TRUE(started) << "no onStart within 2 s";
  const Container& seen = started->first;
  std::printf("[ latency ] %s create -> onStart: %.2f ms after the state file, %.2f ms after `%s create` began\n",
              GetParam().c_str(), latencyMs(*c, started->second), (started->second - before) / 1e6,
              GetParam().c_str());
  EXPECT_EQ(c->status(), "created");  // reported before the user process runs
  const int pid = c->pid();
  EXPECT_EQ(seen.pid, pid);
  EXPECT_EQ(seen.runtime, GetParam());
  auto path = cgroupPathOfPid(pid);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(seen.cgroupPath, *path);
  EXPECT_NE(*path, "/");  // the runtime gave the container a cgroup2 directory of its own
  struct stat st {};
  ASSERT_EQ(::stat((discovery_->cgroup2Mount() + *path).c_str(), &st), 0);
  EXPECT_EQ(seen.cgroupId, st.st_ino);
  EXPECT_EQ(seen.name, "nginx");
  EXPECT_EQ(seen.image, "docker.io/library/nginx:1.25");
  EXPECT_EQ(seen.podName, "web-0");
  EXPECT_EQ(seen.podNamespace, "shop");
  EXPECT_EQ(seen.podUid, "8b1e2f3a-4c5d-6e7f-8091-a2b3c4d5e6f7");
  EXPECT_EQ(seen.labels.at("team"), "payments");
  EXPECT_EQ(seen.bundle, c->bundle());
  // Lookups by cgroup ID, by ID and by PID (processes of the container, once it runs).
  ASSERT_TRUE(c->start().ok());
  auto byCgroup = discovery_->byCgroupId(st.st_ino);
  ASSERT_TRUE(byCgroup);
  EXPECT_EQ(byCgroup->id, c->id());
  EXPECT_TRUE(discovery_->byId(c->id()));
  auto resolved = discovery_->resolvePid(pid);
  ASSERT_TRUE(resolved.ok());
  ASSERT_TRUE(resolved->has_value());
  EXPECT_EQ((*resolved)->id, c->id());
  EXPECT_EQ(recorder_.starts(), 1u);  // start is no second onStart

  ASSERT_TRUE(c->kill().ok());
  ASSERT_TRUE(c->remove().ok());
  auto stopped = recorder_.waitStop(c->id());
  ASSERT_TRUE(stopped) << "no onStop within 2 s";
  EXPECT_EQ(stopped->first.pid, pid);
  EXPECT_FALSE(discovery_->byId(c->id()));
  EXPECT_FALSE(discovery_->byCgroupId(st.st_ino));
}

TEST_P(LiveDiscovery, ContainerThatExitsAtOnce) {
  auto c = prepare(spec({"/bin/true"}));
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->create().ok());
  ASSERT_TRUE(recorder_.waitStart(c->id())) << "no onStart within 2 s";
  ASSERT_TRUE(c->start().ok());
  // Its state stays until delete, but its init is gone: stopped, not left behind.
  ASSERT_TRUE(recorder_.waitStop(c->id())) << "no onStop within 2 s";
  EXPECT_FALSE(discovery_->byId(c->id()));
  EXPECT_TRUE(std::filesystem::exists(stateRoot_ + "/" + c->id()));
  discovery_->rescan();
  EXPECT_FALSE(discovery_->byId(c->id()));
  EXPECT_EQ(recorder_.starts(), 1u);
  EXPECT_EQ(recorder_.stops(), 1u);
}

TEST_P(LiveDiscovery, ManyContainersLeaveNothingStale) {
  constexpr int kRounds = 12;
  std::vector<double> latencies;
  for (int i = 0; i < kRounds; ++i) {
    // Alternate: create + start, and run -d; some exit at once, some are killed.
    auto c = prepare(spec(i % 3 == 2 ? std::vector<std::string>{"/bin/true"}
                                     : std::vector<std::string>{"sleep", "infinity"}));
    ASSERT_TRUE(c);
    if (i % 2 == 0) {
      ASSERT_TRUE(c->create().ok());
      auto started = recorder_.waitStart(c->id());
      ASSERT_TRUE(started) << "round " << i;
      latencies.push_back(latencyMs(*c, started->second));
      ASSERT_TRUE(c->start().ok());
    } else {
      ASSERT_TRUE(c->runDetached().ok());
    }
    if (i % 3 != 2) {
      ASSERT_TRUE(c->kill().ok());
    }
    ASSERT_TRUE(c->remove().ok());
    // A `run -d` of /bin/true may come and go between two looks: then neither is reported.
    if (i % 2 == 0 || recorder_.waitStart(c->id())) {
      ASSERT_TRUE(recorder_.waitStop(c->id())) << "round " << i;
    }
  }
  discovery_->rescan();
  EXPECT_TRUE(discovery_->containers().empty());
  EXPECT_EQ(recorder_.starts(), recorder_.stops());
  EXPECT_TRUE(discovery_->errors().empty());
  std::sort(latencies.begin(), latencies.end());
  std::printf("[ latency ] %s create -> onStart over %zu creates: median %.2f ms, max %.2f ms\n",
              GetParam().c_str(), latencies.size(), latencies[latencies.size() / 2], latencies.back());
}

INSTANTIATE_TEST_SUITE_P(Runtimes, LiveDiscovery, ::testing::Values("runc", "crun"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace bulkhead::runtime
