// `db update` against a loopback HTTP server serving archives made here from the shared
// advisory data: first fetch, 304s on the second run (ETag and Last-Modified), and the old
// database kept when a feed fails or an archive is corrupt.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>

#include "support/advisory_data.h"
#include "support/loopback_http_server.h"
#include "vuln/db/update.h"

namespace bulkhead::vuln {
namespace {

namespace fs = std::filesystem;
using bulkhead::testing::Connection;
using bulkhead::testing::HttpExchange;
using bulkhead::testing::LoopbackHttpServer;
using bulkhead::testing::readText;
using bulkhead::testing::runCommand;

struct Served {
  std::string body;
  std::string etag;
  std::string lastModified;
  int failStatus = 0;  // answer this instead
};

class FeedServer {
 public:
  FeedServer()
      : server_([this](const HttpExchange& request, Connection& connection) {
          serve(request, connection);
        }) {}
  void set(const std::string& path, Served served) {
    std::lock_guard lock(mutex_);
    files_[path] = std::move(served);
  }
  std::string url(const std::string& path) const { return server_.url(path); }
  std::vector<HttpExchange> seen() const { return server_.seen(); }

 private:
  void serve(const HttpExchange& request, Connection& connection) {
    Served s;
    {
      std::lock_guard lock(mutex_);
      const auto it = files_.find(request.path());
      if (it == files_.end()) {
        connection.respond(404, "not found");
        return;
      }
      s = it->second;
    }
    if (s.failStatus != 0) {
      connection.respond(s.failStatus, "failure");
      return;
    }
    if ((!s.etag.empty() && request.header("if-none-match") == s.etag) ||
        (!s.lastModified.empty() && request.header("if-modified-since") == s.lastModified)) {
      connection.send("HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n");
      return;
    }
    bulkhead::testing::HeaderPairs headers;
    if (!s.etag.empty()) headers.emplace_back("ETag", s.etag);
    if (!s.lastModified.empty()) headers.emplace_back("Last-Modified", s.lastModified);
    connection.respond(200, s.body, headers);
  }
  mutable std::mutex mutex_;
  std::map<std::string, Served> files_;
  LoopbackHttpServer server_;
};

class UpdateTest : public ::testing::Test {
 protected:
  // The archives are made once for the suite (zipping the Go feed takes a few seconds).
  static void SetUpTestSuite() {
    const std::string data = bulkhead::testing::advisoryDataDir();
    if (data.empty()) return;
    archives_ = fs::temp_directory_path() / ("bh-vulndb-archives-" + std::to_string(::getpid()));
    fs::create_directories(archives_);
    const std::string out = archives_.string();
    made_ =
        runCommand({"tar", "-C", data, "-czf", out + "/node.tar.gz", "nodejs-security-wg"})
                .exitCode == 0 &&
        runCommand({"tar", "-C", data, "--zstd", "-cf", out + "/alpine.tar.zst", "alpine-secdb"})
                .exitCode == 0 &&
        runCommand(
            {"sh", "-c", "cd '" + data + "/golang-vulndb' && zip -qr '" + out + "/go.zip' osv"})
                .exitCode == 0;
  }
  static void TearDownTestSuite() {
    if (!archives_.empty()) fs::remove_all(archives_);
  }

  void SetUp() override {
    BH_REQUIRE_ADVISORY_DATA(data);
    ASSERT_TRUE(made_) << "could not make the test archives with tar, zstd and zip";
    data_ = data;
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("bh-vulndb-update-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
    for (const char* name : {"node.tar.gz", "alpine.tar.zst", "go.zip"}) {
      fs::copy_file(archives_ / name, dir_ / name);
    }
    server_.set("/node.tar.gz", {readText((dir_ / "node.tar.gz").string()), "\"node-1\"", "", 0});
    server_.set("/alpine.tar.zst",
                {readText((dir_ / "alpine.tar.zst").string()), "\"alpine-1\"", "", 0});
    server_.set("/go.zip",
                {readText((dir_ / "go.zip").string()), "", "Tue, 01 Sep 2026 10:00:00 GMT", 0});
    server_.set("/data/DSA/list", {readText(data_ + "/debian-security-tracker/DSA/list"), "",
                                   "Wed, 02 Sep 2026 10:00:00 GMT", 0});
    options_.dbPath = (dir_ / "db" / "advisories.db").string();
    options_.feeds = {
        {"nodejs-security-wg", "nodejs-wg", "", server_.url("/node.tar.gz"), "vuln"},
        {"alpine-secdb", "alpine-secdb", "", server_.url("/alpine.tar.zst"), ""},
        {"golang-vulndb", "osv", "", server_.url("/go.zip"), ""},
        {"debian-dsa", "debian-list", "", server_.url("/data/DSA/list"), "DSA/list"},
    };
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  struct Snapshot {
    ino_t inode = 0;
    std::string builtAt;
    int64_t vulnerabilities = 0;
  };
  Snapshot snapshot() {
    struct stat st {};
    Snapshot s;
    if (::stat(options_.dbPath.c_str(), &st) == 0) s.inode = st.st_ino;
    auto db = AdvisoryDb::open(options_.dbPath);
    if (db) {
      auto info = db->info();
      s.builtAt = info->builtAt;
      s.vulnerabilities = info->vulnerabilities;
    }
    return s;
  }
  size_t countDbFiles() {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_ / "db")) n += e.is_regular_file();
    return n;
  }

  std::string data_;
  fs::path dir_;
  FeedServer server_;
  UpdateOptions options_;
  static fs::path archives_;
  static bool made_;
};
fs::path UpdateTest::archives_;
bool UpdateTest::made_ = false;

TEST_F(UpdateTest, FirstFetchThenNotModified) {
  auto first = updateDatabase(options_);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->rebuilt);
  ASSERT_EQ(first->feeds.size(), 4u);
  for (const auto& f : first->feeds) {
    EXPECT_FALSE(f.notModified) << f.name;
    EXPECT_EQ(f.status, 200) << f.name;
  }
  auto db = AdvisoryDb::open(options_.dbPath);
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto info = db->info();
  ASSERT_TRUE(info.ok());
  std::map<std::string, SourceInfo> sources;
  for (const auto& s : info->sources) sources[s.name] = s;
  EXPECT_EQ(sources["nodejs-security-wg"].etag, "\"node-1\"");
  EXPECT_EQ(sources["nodejs-security-wg"].origin, server_.url("/node.tar.gz"));
  EXPECT_EQ(sources["golang-vulndb"].lastModified, "Tue, 01 Sep 2026 10:00:00 GMT");
  EXPECT_GT(sources["golang-vulndb"].records, 1000);
  EXPECT_GT(sources["alpine-secdb"].records, 1000);
  EXPECT_GT(sources["debian-dsa"].records, 1000);
  EXPECT_GT(sources["nodejs-security-wg"].records, 400);
  EXPECT_FALSE(db->advisoriesFor("npm", "bassmaster")->empty());
  EXPECT_FALSE(db->advisoriesFor("deb", "xorg-server", "bullseye")->empty());
  const Snapshot before = snapshot();

  auto second = updateDatabase(options_);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(second->rebuilt);
  for (const auto& f : second->feeds) EXPECT_TRUE(f.notModified) << f.name;
  const Snapshot after = snapshot();
  EXPECT_EQ(after.inode, before.inode);  // not replaced
  // The validators went out on the second round.
  size_t conditional = 0;
  for (const auto& request : server_.seen()) {
    conditional +=
        !request.header("if-none-match").empty() || !request.header("if-modified-since").empty();
  }
  EXPECT_EQ(conditional, 4u);

  // One feed changes: rebuilt, with the others from the cache.
  server_.set("/node.tar.gz", {readText((dir_ / "node.tar.gz").string()), "\"node-2\"", "", 0});
  auto third = updateDatabase(options_);
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_TRUE(third->rebuilt);
  EXPECT_EQ(snapshot().vulnerabilities, before.vulnerabilities);
  auto reopened = AdvisoryDb::open(options_.dbPath);
  ASSERT_TRUE(reopened.ok());
  auto reinfo = reopened->info();
  ASSERT_TRUE(reinfo.ok());
  for (const auto& s : reinfo->sources) {
    if (s.name == "nodejs-security-wg") {
      EXPECT_EQ(s.etag, "\"node-2\"");
    }
    if (s.name == "golang-vulndb") {
      EXPECT_EQ(s.lastModified, "Tue, 01 Sep 2026 10:00:00 GMT");
    }
  }
}

TEST_F(UpdateTest, FailingFeedKeepsTheOldDatabase) {
  ASSERT_TRUE(updateDatabase(options_).ok());
  const Snapshot before = snapshot();
  server_.set("/node.tar.gz", {readText((dir_ / "node.tar.gz").string()), "\"node-2\"", "", 0});
  server_.set("/data/DSA/list", {"", "", "", 503});
  auto failed = updateDatabase(options_);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("feed debian-dsa"), std::string::npos)
      << failed.error().message;
  EXPECT_NE(failed.error().message.find("503"), std::string::npos);
  const Snapshot after = snapshot();
  EXPECT_EQ(after.inode, before.inode);
  EXPECT_EQ(after.builtAt, before.builtAt);
  EXPECT_EQ(countDbFiles(), 1u);  // no temporary database left
  // The staged download was dropped: the cache still matches the database's validators.
  for (const auto& e : fs::directory_iterator(dir_ / "db" / "feeds")) {
    EXPECT_EQ(e.path().extension() == ".new", false) << e.path();
  }
}

TEST_F(UpdateTest, CorruptArchiveKeepsTheOldDatabase) {
  ASSERT_TRUE(updateDatabase(options_).ok());
  const Snapshot before = snapshot();
  std::string corrupt = readText((dir_ / "node.tar.gz").string());
  corrupt.resize(corrupt.size() / 2);  // truncated gzip stream
  for (size_t i = 100; i < corrupt.size(); i += 997)
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  server_.set("/node.tar.gz", {corrupt, "\"node-bad\"", "", 0});
  auto failed = updateDatabase(options_);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("feed nodejs-security-wg"), std::string::npos)
      << failed.error().message;
  const Snapshot after = snapshot();
  EXPECT_EQ(after.inode, before.inode);
  EXPECT_EQ(after.builtAt, before.builtAt);
  EXPECT_EQ(countDbFiles(), 1u);

  // Garbage that is no archive at all, and an archive without the feed's files.
  server_.set("/node.tar.gz", {"<html>this is a captive portal</html>", "\"node-html\"", "", 0});
  auto html = updateDatabase(options_);
  ASSERT_FALSE(html.ok());
  EXPECT_NE(html.error().message.find("feed nodejs-security-wg"), std::string::npos);
  server_.set("/node.tar.gz",
              {readText((dir_ / "alpine.tar.zst").string()), "\"node-wrong\"", "", 0});
  auto wrong = updateDatabase(options_);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("feed nodejs-security-wg"), std::string::npos)
      << wrong.error().message;
  EXPECT_EQ(snapshot().inode, before.inode);
}

TEST_F(UpdateTest, MissingFeedIsAnErrorNamingIt) {
  options_.feeds.push_back({"nowhere", "osv", "", server_.url("/nowhere.tar.gz"), ""});
  auto failed = updateDatabase(options_);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("feed nowhere"), std::string::npos);
  EXPECT_NE(failed.error().message.find("404"), std::string::npos);
  EXPECT_FALSE(fs::exists(options_.dbPath));
}

TEST(ExtractArchiveTest, UnsafePathsAreRefused) {
  const fs::path dir = fs::temp_directory_path() / ("bh-extract-" + std::to_string(::getpid()));
  fs::create_directories(dir / "out");
  const auto made =
      runCommand({"sh", "-c",
                  "cd '" + dir.string() +
                      "' && echo x > f && tar -cf evil.tar -P --transform 's,^f,../../escape,' f"});
  ASSERT_EQ(made.exitCode, 0) << made.err;
  const Status status =
      extractArchive((dir / "evil.tar").string(), (dir / "out").string(), 1 << 20, 100);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("unsafe path"), std::string::npos)
      << status.error().message;
  EXPECT_FALSE(fs::exists(dir / ".." / "escape"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bulkhead::vuln
