// `db build` over the whole shared advisory snapshot: every feed imported, counts as
// counted independently from the files, and known advisories found by lookup.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/advisory_data.h"
#include "vuln/db/build.h"

namespace bulkhead::vuln {
namespace {

namespace fs = std::filesystem;

size_t countFiles(const fs::path& root, const std::string& extension) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() == extension) ++n;
  }
  return n;
}

size_t countHeaders(const fs::path& list) {
  std::ifstream in(list);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) n += !line.empty() && line[0] == '[';
  return n;
}

class RealBuildTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = bulkhead::testing::advisoryDataDir();
    if (data_.empty()) return;
    dir_ = fs::temp_directory_path() / ("bh-vulndb-build-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    auto report =
        buildDatabase(localFeeds(data_, defaultFeeds()), (dir_ / "advisories.db").string());
    if (!report.ok()) {
      error_ = report.error().message;
      return;
    }
    report_ = *report;
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void SetUp() override {
    BH_REQUIRE_ADVISORY_DATA(data);
    ASSERT_TRUE(error_.empty()) << error_;
  }
  static const FeedReport& feed(const std::string& name) {
    for (const auto& f : report_.feeds) {
      if (f.name == name) return f;
    }
    std::abort();
  }
  static std::string data_;
  static fs::path dir_;
  static std::string error_;
  static BuildReport report_;
};
std::string RealBuildTest::data_;
fs::path RealBuildTest::dir_;
std::string RealBuildTest::error_;
BuildReport RealBuildTest::report_;

TEST_F(RealBuildTest, EveryFeedIsImportedCompletely) {
  ASSERT_EQ(report_.feeds.size(), defaultFeeds().size());
  EXPECT_EQ(feed("golang-vulndb").records, countFiles(data_ + "/golang-vulndb/osv", ".json"));
  EXPECT_EQ(feed("pypa-advisory-database").records,
            countFiles(data_ + "/pypa-advisory-database/vulns", ".yaml"));
  // npm and core: numbered files; each directory also has an index.json.
  EXPECT_EQ(feed("nodejs-security-wg").records,
            countFiles(data_ + "/nodejs-security-wg/vuln", ".json") - 2);
  EXPECT_EQ(feed("debian-dsa").records, countHeaders(data_ + "/debian-security-tracker/DSA/list"));
  EXPECT_EQ(feed("debian-dla").records, countHeaders(data_ + "/debian-security-tracker/DLA/list"));
  EXPECT_GT(feed("alpine-secdb").records, 1000u);
  for (const auto& f : report_.feeds) {
    EXPECT_EQ(f.skipped, 0u) << f.name << ": " << (f.warnings.empty() ? "" : f.warnings[0]);
  }
}

TEST_F(RealBuildTest, KnownAdvisoriesAreFound) {
  auto db = AdvisoryDb::open((dir_ / "advisories.db").string());
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto has = [](const std::vector<Vulnerability>& list, const std::string& id) {
    for (const auto& v : list) {
      if (v.id == id) return true;
    }
    return false;
  };
  auto stdlib = db->advisoriesFor("golang", "stdlib");
  ASSERT_TRUE(stdlib.ok());
  EXPECT_TRUE(has(*stdlib, "GO-2021-0159"));
  auto jinja = db->advisoriesFor("pypi", "Jinja2");
  ASSERT_TRUE(jinja.ok());
  EXPECT_TRUE(has(*jinja, "PYSEC-2019-217"));
  auto bassmaster = db->advisoriesFor("npm", "bassmaster");
  ASSERT_TRUE(bassmaster.ok());
  EXPECT_TRUE(has(*bassmaster, "NSWG-ECO-1"));
  auto node = db->advisoriesFor("node", "node");
  ASSERT_TRUE(node.ok());
  EXPECT_TRUE(has(*node, "NSWG-CORE-1"));
  auto bullseye = db->advisoriesFor("deb", "xorg-server", "bullseye");
  ASSERT_TRUE(bullseye.ok());
  EXPECT_TRUE(has(*bullseye, "DSA-5380-1"));
  EXPECT_FALSE(has(*bullseye, "DLA-3372-1"));  // buster's advisory
  for (const auto& v : *bullseye) {
    for (const auto& a : v.affected) EXPECT_EQ(a.release, "debian:11") << v.id;
  }
  auto buster = db->advisoriesFor("deb", "xorg-server", "debian:10");
  ASSERT_TRUE(buster.ok());
  EXPECT_TRUE(has(*buster, "DLA-3372-1"));
  auto ansible = db->advisoriesFor("apk", "ansible", "alpine:3.11");
  ASSERT_TRUE(ansible.ok());
  EXPECT_TRUE(has(*ansible, "CVE-2019-14904"));
  auto info = db->info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->sources.size(), defaultFeeds().size());
  EXPECT_GT(info->fileBytes, 0);
}

}  // namespace
}  // namespace bulkhead::vuln
