// Image checks on images built in the test (good and bad) and on the test bed's Debian image.

#include <gtest/gtest.h>

#include "fixtures.h"
#include "support/testbed.h"

namespace bulkhead::compliance {
namespace {

using testing::findResult;

TEST(ImageChecks, BuiltImagesMatchTheirExpectations) {
  const auto fixtures = testing::imageFixtures();
  ASSERT_GE(fixtures.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(fixtures[i].report.warnings.empty()) << fixtures[i].report.warnings[0];
    EXPECT_EQ(testing::mismatches(fixtures[i]), "") << fixtures[i].name;
  }
  const Report& bad = fixtures[1].report;
  const CheckResult* suid = findResult(bad, "BH-IMG-008");
  ASSERT_NE(suid, nullptr);
  ASSERT_EQ(suid->evidence.size(), 1u);
  EXPECT_EQ(suid->evidence[0].file, "/usr/bin/su");
  EXPECT_EQ(suid->evidence[0].path, "mode");
  EXPECT_EQ(suid->evidence[0].observed, "4755");
  const CheckResult* env = findResult(bad, "BH-IMG-010");
  ASSERT_EQ(env->evidence.size(), 2u * 2);  // two variables, two alternatives each
  EXPECT_EQ(env->evidence[0].label, "AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(env->evidence[0].path, "config.Env[1].value");
  const CheckResult* dupes = findResult(bad, "BH-IMG-020");
  EXPECT_EQ(dupes->evidence[0].note, "duplicates: 0, 1000");
  EXPECT_EQ(dupes->evidence[0].file, "/etc/passwd");
  const CheckResult* empty = findResult(bad, "BH-IMG-019");
  EXPECT_EQ(empty->evidence[0].label, "guest");
  const CheckResult* history = findResult(bad, "BH-IMG-012");
  EXPECT_NE(history->evidence[0].observed.find("DB_PASSWORD=hunter2"), std::string::npos);
}

TEST(ImageChecks, TestbedDebianImage) {
  BULKHEAD_REQUIRE_TESTBED();
  const auto fixtures = testing::imageFixtures();
  ASSERT_EQ(fixtures.size(), 3u);
  const auto& run = fixtures[2];
  ASSERT_EQ(run.skipReason, "");
  EXPECT_EQ(testing::mismatches(run), "");
  // Its setuid programs are named, the test bed's own setuid file among them.
  const CheckResult* suid = findResult(run.report, "BH-IMG-008");
  bool demo = false;
  for (const auto& e : suid->evidence) demo = demo || e.file == "/opt/bulkhead/suid-demo.sh";
  EXPECT_TRUE(demo);
  const CheckResult* user = findResult(run.report, "BH-IMG-001");
  EXPECT_EQ(user->status, Status::kPass);
}

}  // namespace
}  // namespace bulkhead::compliance
