// Every automated check passes on at least one real target and fails on another: synthetic
// hosts, built images and the test bed's, runc bundles and containers, and the manifests.

#include <gtest/gtest.h>

#include <unistd.h>

#include <map>
#include <set>

#include "compliance/catalog.h"
#include "fixtures.h"
#include "support/testbed.h"

namespace bulkhead::compliance {
namespace {

TEST(Coverage, EveryAutomatedCheckPassesAndFailsSomewhere) {
  if (::geteuid() != 0) GTEST_SKIP() << "the host and container fixtures need root";
  if (testing::runcBinary().empty()) GTEST_SKIP() << "runc is not installed";
  BULKHEAD_REQUIRE_TESTBED();
  std::map<std::string, std::set<Status>> seen;
  std::vector<testing::FixtureRun> runs;
  for (auto f : {testing::hostFixtures, testing::imageFixtures, testing::containerFixtures, testing::k8sFixtures}) {
    for (auto& run : f()) runs.push_back(std::move(run));
  }
  for (const auto& run : runs) {
    ASSERT_EQ(run.skipReason, "") << run.name;
    EXPECT_EQ(testing::mismatches(run), "") << run.name;
    for (const auto& r : run.report.results) seen[r.check->id].insert(r.status);
  }
  std::string missing;
  size_t automated = 0;
  for (const auto& c : Catalog::builtin().checks()) {
    if (!c->automated) continue;
    ++automated;
    const auto& statuses = seen[c->id];
    if (!statuses.count(Status::kPass)) missing += c->id + " never passes\n";
    if (!statuses.count(Status::kFail)) missing += c->id + " never fails\n";
  }
  EXPECT_EQ(missing, "");
  EXPECT_GE(automated, 80u);
}

}  // namespace
}  // namespace bulkhead::compliance
