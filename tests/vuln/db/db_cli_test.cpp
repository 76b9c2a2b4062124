// The `bulkhead db` commands end to end: build from the shared data, info as text and JSON,
// and the exit code 2 with a message naming the problem.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/advisory_data.h"

namespace bulkhead::vuln {
namespace {

namespace fs = std::filesystem;
using bulkhead::testing::bulkheadBinary;
using bulkhead::testing::runCommand;

class DbCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(bulkheadBinary())) GTEST_SKIP() << "no bulkhead binary at " << bulkheadBinary();
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("bh-vulndb-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

TEST_F(DbCliTest, BuildThenInfo) {
  BH_REQUIRE_ADVISORY_DATA(data);
  const std::string db = (dir_ / "advisories.db").string();
  const auto build = runCommand({bulkheadBinary(), "db", "build", "--data", data, "--db", db});
  ASSERT_EQ(build.exitCode, 0) << build.err;
  EXPECT_NE(build.out.find("golang-vulndb"), std::string::npos) << build.out;
  EXPECT_NE(build.out.find("debian-dsa"), std::string::npos);

  const auto text = runCommand({bulkheadBinary(), "db", "info", "--db", db});
  ASSERT_EQ(text.exitCode, 0) << text.err;
  EXPECT_NE(text.out.find("pypa-advisory-database"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("ECOSYSTEM"), std::string::npos);

  const auto json = runCommand({bulkheadBinary(), "db", "info", "--db", db, "-f", "json"});
  ASSERT_EQ(json.exitCode, 0) << json.err;
  const auto doc = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << json.out;
  EXPECT_EQ(doc["schema_version"], 1);
  EXPECT_EQ(doc["sources"].size(), 6u);
  EXPECT_GE(doc["age_seconds"].get<int64_t>(), 0);
  int64_t total = 0;
  for (const auto& s : doc["sources"]) total += s["records"].get<int64_t>();
  EXPECT_EQ(total, doc["vulnerabilities"].get<int64_t>());
  bool go = false;
  for (const auto& e : doc["ecosystems"])
    go = go || (e["ecosystem"] == "golang" && e["vulnerabilities"] > 1000);
  EXPECT_TRUE(go) << doc["ecosystems"].dump();
}

TEST_F(DbCliTest, ErrorsExitTwoAndKeepTheDatabase) {
  BH_REQUIRE_ADVISORY_DATA(data);
  const auto missing =
      runCommand({bulkheadBinary(), "db", "info", "--db", (dir_ / "none.db").string()});
  EXPECT_EQ(missing.exitCode, 2);
  EXPECT_NE(missing.err.find("none.db"), std::string::npos) << missing.err;

  const auto noData = runCommand({bulkheadBinary(), "db", "build", "--data",
                                  (dir_ / "nodata").string(), "--db", (dir_ / "a.db").string()});
  EXPECT_EQ(noData.exitCode, 2);
  EXPECT_NE(noData.err.find("nodata"), std::string::npos) << noData.err;

  // A data directory missing one feed: the build fails naming it, no database appears.
  fs::create_directories(dir_ / "partial");
  fs::create_directory_symlink(fs::path(data) / "golang-vulndb",
                               dir_ / "partial" / "golang-vulndb");
  const auto partial = runCommand({bulkheadBinary(), "db", "build", "--data",
                                   (dir_ / "partial").string(), "--db", (dir_ / "a.db").string()});
  EXPECT_EQ(partial.exitCode, 2);
  EXPECT_NE(partial.err.find("feed pypa-advisory-database"), std::string::npos) << partial.err;
  EXPECT_FALSE(fs::exists(dir_ / "a.db"));

  // db update with a config whose feed URL cannot be reached: exit 2 naming the feed.
  const std::string config = (dir_ / "feeds.json").string();
  std::ofstream(config) << R"({"replace": true, "feeds": [{"name": "golang-vulndb",
      "url": "http://127.0.0.1:9/vulndb.zip"}]})";
  const auto update = runCommand(
      {bulkheadBinary(), "db", "update", "--config", config, "--db", (dir_ / "u.db").string()});
  EXPECT_EQ(update.exitCode, 2);
  EXPECT_NE(update.err.find("feed golang-vulndb"), std::string::npos) << update.err;
  const auto badConfig =
      runCommand({bulkheadBinary(), "db", "update", "--config", (dir_ / "nope.yaml").string()});
  EXPECT_EQ(badConfig.exitCode, 2);
}

}  // namespace
}  // namespace bulkhead::vuln
