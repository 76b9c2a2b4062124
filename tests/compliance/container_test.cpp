// Container checks on bundles made with `runc spec` and varied, and on real containers run
// with runc (state.json, live namespaces and processes).

#include <gtest/gtest.h>

#include "compliance/container_collector.h"
#include "fixtures.h"
#include "support/testbed.h"

namespace bulkhead::compliance {
namespace {

using testing::findResult;

bool requireRunc() {
  if (!testing::runcBinary().empty()) return true;
  const char* must = std::getenv("BULKHEAD_REQUIRE_TESTBED");
  if (must && std::string(must) == "1") ADD_FAILURE() << "runc is required (scripts/setup.sh installs it)";
  return false;
}

TEST(ContainerChecks, RuncSpecBundlesMatchTheirExpectations) {
  if (!requireRunc()) GTEST_SKIP() << "runc is not installed";
  size_t bundles = 0;
  for (const auto& run : testing::containerFixtures()) {
    if (run.name.find("live") != std::string::npos) continue;
    ++bundles;
    ASSERT_EQ(run.skipReason, "") << run.name;
    EXPECT_EQ(testing::mismatches(run), "") << run.name;
    if (run.name == "container/runc-spec-bad") {
      const CheckResult* caps = findResult(run.report, "BH-CTR-004");
      ASSERT_NE(caps, nullptr);
      EXPECT_NE(caps->evidence[0].note.find("not allowed: CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE"),
                std::string::npos)
          << caps->evidence[0].note;
      EXPECT_EQ(caps->evidence[0].path, "process.capabilities.bounding");
      EXPECT_TRUE(caps->evidence[0].file.ends_with("/config.json"));
      const CheckResult* sock = findResult(run.report, "BH-CTR-025");
      EXPECT_EQ(sock->evidence[0].label, "/var/run/docker.sock");
      const CheckResult* net = findResult(run.report, "BH-CTR-009");
      EXPECT_NE(net->evidence[0].note.find("missing from linux.namespaces"), std::string::npos);
    }
  }
  EXPECT_EQ(bundles, 3u);
}

TEST(ContainerChecks, RealContainersRunByRunc) {
  if (!requireRunc()) GTEST_SKIP() << "runc is not installed";
  BULKHEAD_REQUIRE_TESTBED();
  size_t live = 0;
  for (const auto& run : testing::containerFixtures()) {
    if (run.name.find("live") == std::string::npos) continue;
    ASSERT_EQ(run.skipReason, "") << run.name;
    ++live;
    EXPECT_EQ(testing::mismatches(run), "") << run.name;
    const CheckResult* ssh = findResult(run.report, "BH-CTR-031");
    ASSERT_NE(ssh, nullptr);
    if (run.name == "container/live-bad") {
      EXPECT_EQ(ssh->evidence[0].label, "sshd");
      EXPECT_TRUE(ssh->evidence[0].file.ends_with("/state.json"));
    }
  }
  EXPECT_EQ(live, 2u);
}

TEST(ContainerChecks, UnknownTargetsAreErrorsNamingWhereItLooked) {
  ContainerOptions options;
  options.runcRoot = "/nonexistent-runc-root";
  auto r = collectContainer("no-such-container", options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent-runc-root/no-such-container/state.json"), std::string::npos)
      << r.error().message;
  EXPECT_FALSE(collectContainer("../etc", options).ok());
}

}  // namespace
}  // namespace bulkhead::compliance
