// The advisory store: write, merge, lookup by index, release filtering, info, and the
// atomic replace (a failed build leaves the old database and no temporary file).

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "vuln/db/build.h"
#include "vuln/db/store.h"

namespace bulkhead::vuln {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("bh-vulndb-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

Vulnerability debRecord(const std::string& id, const std::string& release,
                        const std::string& fixed) {
  Vulnerability v;
  v.id = id;
  v.aliases = {"CVE-2023-1", "CVE-2023-2"};
  v.summary = "openssl - security update";
  v.modified = "2023-01-0" + std::to_string(release.size() % 9);
  Affected a;
  a.ecosystem = "deb";
  a.name = "openssl";
  a.release = release;
  a.rangeType = range_type::kDistro;
  a.events = {RangeEvent{"0", "", "", ""}, RangeEvent{"", fixed, "", ""}};
  v.affected.push_back(a);
  return v;
}

TEST(AdvisoryStoreTest, WriteLookupMergeAndInfo) {
  TempDir dir;
  const std::string path = (dir.path / "db" / "advisories.db").string();
  auto writer = AdvisoryDbWriter::create(path);
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  ASSERT_TRUE(writer->add("debian-dsa", debRecord("DSA-1-1", "debian:11", "3.0.1-1")).ok());
  ASSERT_TRUE(
      writer->add("debian-dsa", debRecord("DSA-1-1", "debian:12", "3.0.9-1")).ok());  // merged
  ASSERT_TRUE(writer->add("debian-dla", debRecord("DLA-9-1", "debian:10", "1.1.1-1")).ok());
  Vulnerability py;
  py.id = "PYSEC-1";
  py.cvssVector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
  py.cvssScore = 9.8;
  py.withdrawn = "2024-01-01T00:00:00Z";
  Affected pa;
  pa.ecosystem = "pypi";
  pa.name = "jinja2";
  pa.rangeType = range_type::kEcosystem;
  pa.events = {RangeEvent{"0", "", "", ""}, RangeEvent{"", "", "2.1", ""}};
  pa.versions = {"2.0", "2.1"};
  pa.status = "unfixed";
  py.affected.push_back(pa);
  ASSERT_TRUE(writer->add("pypa", py).ok());
  ASSERT_TRUE(writer
                  ->addSource(SourceInfo{"debian-dsa", "debian-list", "/data/DSA", 0, 1, 2, "", "",
                                         "\"etag\"", "Tue"})
                  .ok());
  ASSERT_TRUE(
      writer->addSource(SourceInfo{"pypa", "osv", "/data/pypa", 0, 0, 0, "", "", "", ""}).ok());
  ASSERT_FALSE(fs::exists(path));  // nothing visible before the commit
  ASSERT_TRUE(writer->commit().ok());
  ASSERT_TRUE(fs::exists(path));
  for (const auto& entry : fs::directory_iterator(dir.path / "db")) {
    EXPECT_EQ(entry.path().filename(), "advisories.db");  // no temporary left over
  }

  auto db = AdvisoryDb::open(path);
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto all = db->advisoriesFor("deb", "OpenSSL");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "DSA-1-1");
  EXPECT_EQ((*all)[0].source, "debian-dsa");
  EXPECT_EQ((*all)[0].affected.size(), 2u);
  EXPECT_EQ((*all)[0].aliases, (std::vector<std::string>{"CVE-2023-1", "CVE-2023-2"}));

  auto bookworm = db->advisoriesFor("deb", "openssl", "bookworm");
  ASSERT_TRUE(bookworm.ok());
  ASSERT_EQ(bookworm->size(), 1u);  // only bookworm's rows: a release is judged by its own data
  ASSERT_EQ((*bookworm)[0].affected.size(), 1u);
  EXPECT_EQ((*bookworm)[0].affected[0].release, "debian:12");
  EXPECT_EQ((*bookworm)[0].affected[0].events[1].fixed, "3.0.9-1");

  auto jinja = db->advisoriesFor("pypi", "Jinja2", "debian:12");  // no-release rows stay
  ASSERT_TRUE(jinja.ok());
  ASSERT_EQ(jinja->size(), 1u);
  const Vulnerability& j = (*jinja)[0];
  EXPECT_DOUBLE_EQ(j.cvssScore, 9.8);
  EXPECT_EQ(j.withdrawn, "2024-01-01T00:00:00Z");
  EXPECT_EQ(j.affected[0].versions, (std::vector<std::string>{"2.0", "2.1"}));
  EXPECT_EQ(j.affected[0].events[1].lastAffected, "2.1");
  EXPECT_EQ(j.affected[0].status, "unfixed");
  EXPECT_TRUE(db->advisoriesFor("npm", "jinja2")->empty());

  auto byId = db->byId("DLA-9-1");
  ASSERT_TRUE(byId.ok());
  ASSERT_TRUE(byId->has_value());
  EXPECT_EQ((*byId)->affected[0].release, "debian:10");

  auto info = db->info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->schemaVersion, kAdvisorySchemaVersion);
  EXPECT_EQ(info->vulnerabilities, 3);
  EXPECT_GE(info->ageSeconds, 0);
  EXPECT_LT(info->ageSeconds, 600);
  ASSERT_EQ(info->sources.size(), 2u);
  EXPECT_EQ(info->sources[0].name, "debian-dsa");
  EXPECT_EQ(info->sources[0].records, 1);  // DSA-1-1 once, merged
  EXPECT_EQ(info->sources[0].etag, "\"etag\"");
  ASSERT_EQ(info->ecosystems.size(), 2u);
  EXPECT_EQ(info->ecosystems[0].ecosystem, "deb");
  EXPECT_EQ(info->ecosystems[0].vulnerabilities, 2);
  EXPECT_EQ(info->ecosystems[0].rows, 3);
}

TEST(AdvisoryStoreTest, LookupIsAnIndexSearch) {
  TempDir dir;
  const std::string path = (dir.path / "a.db").string();
  auto writer = AdvisoryDbWriter::create(path);
  ASSERT_TRUE(writer.ok());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(writer->add("s", debRecord("DSA-" + std::to_string(i), "debian:11", "1")).ok());
  }
  ASSERT_TRUE(writer->commit().ok());
  auto db = AdvisoryDb::open(path);
  ASSERT_TRUE(db.ok());
  for (bool withRelease : {true, false}) {
    auto plan = db->lookupPlan(withRelease);
    ASSERT_TRUE(plan.ok());
    EXPECT_NE(plan->find("USING INDEX affected_by_package"), std::string::npos) << *plan;
    EXPECT_EQ(plan->find("SCAN affected"), std::string::npos) << *plan;
  }
}

TEST(AdvisoryStoreTest, FailedBuildKeepsTheOldDatabase) {
  TempDir dir;
  const std::string path = (dir.path / "a.db").string();
  {
    auto writer = AdvisoryDbWriter::create(path);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->add("s", debRecord("DSA-1", "debian:11", "1")).ok());
    ASSERT_TRUE(writer->commit().ok());
  }
  const auto before = fs::file_size(path);
  FeedInput missing;
  missing.spec = FeedSpec{"nowhere", "osv", "x", "", ""};
  missing.root = (dir.path / "does-not-exist").string();
  auto report = buildDatabase({missing}, path);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message.find("feed nowhere"), std::string::npos)
      << report.error().message;
  EXPECT_EQ(fs::file_size(path), before);
  auto db = AdvisoryDb::open(path);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->advisoriesFor("deb", "openssl")->size(), 1u);
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path)) ++files;
  EXPECT_EQ(files, 1u);  // the aborted build's temporary file is gone
}

TEST(AdvisoryStoreTest, OpenRejectsWhatIsNotAnAdvisoryDatabase) {
  TempDir dir;
  EXPECT_FALSE(AdvisoryDb::open((dir.path / "none.db").string()).ok());
  const std::string junk = (dir.path / "junk.db").string();
  { std::ofstream(junk) << "not sqlite at all"; }
  auto db = AdvisoryDb::open(junk);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().message.find(junk), std::string::npos);
  const std::string other = (dir.path / "other.db").string();
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &raw), SQLITE_OK);
  sqlite3_exec(
      raw,
      "CREATE TABLE meta(key TEXT, value TEXT); INSERT INTO meta VALUES('schema_version','99');",
      nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  db = AdvisoryDb::open(other);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().message.find("schema version 99"), std::string::npos);
}

}  // namespace
}  // namespace bulkhead::vuln
