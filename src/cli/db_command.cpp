// `bulkhead db build|info|update`: the local advisory database (src/vuln/db).

#include <fmt/format.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "vuln/db/build.h"
#include "vuln/db/update.h"

namespace bulkhead::cli {
namespace {

namespace fs = std::filesystem;

struct DbFlags {
  std::string data;
  std::string db;
  std::string config;
  std::string format = "text";
};

bool isDir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// The shared advisory snapshot: $BULKHEAD_ADVISORY_DATA, else a shared/data/advisories
// directory beside an ancestor of the binary (a build tree inside the repository finds
// ../shared/data/advisories) or an installed share/bulkhead/advisories; empty if none.
std::string defaultDataDir() {
  if (const char* env = std::getenv("BULKHEAD_ADVISORY_DATA"); env && *env) return env;
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    for (fs::path dir = fs::path(self).parent_path(); !dir.empty(); dir = dir.parent_path()) {
      if (isDir(dir / "shared/data/advisories")) return (dir / "shared/data/advisories").string();
      if (isDir(dir / "share/bulkhead/advisories"))
        return (dir / "share/bulkhead/advisories").string();
      if (dir == dir.root_path()) break;
    }
  }
  return {};
}

std::string databasePath(const DbFlags& f) {
  return f.db.empty() ? vuln::defaultDatabasePath() : f.db;
}

Result<std::vector<vuln::FeedSpec>> feedsOf(const DbFlags& f) {
  if (f.config.empty()) return vuln::defaultFeeds();
  return vuln::loadFeedConfig(f.config);
}

void printBuild(const vuln::BuildReport& report) {
  size_t total = 0;
  for (const auto& feed : report.feeds) {
    total += feed.records;
    fmt::print("{:<24} {:>7} records  {:>4} skipped  {:>4} warnings  {:.2f}s\n", feed.name,
               feed.records, feed.skipped, feed.warningCount, feed.seconds);
    size_t shown = 0;
    for (const auto& w : feed.warnings) {
      if (shown++ == 5) break;
      fmt::print(stderr, "bulkhead: warning: {}: {}\n", feed.name, w);
    }
    if (feed.warningCount > 5) {
      fmt::print(stderr, "bulkhead: warning: {}: {} more warnings\n", feed.name,
                 feed.warningCount - 5);
    }
  }
  std::error_code ec;
  const auto size = fs::file_size(report.path, ec);
  fmt::print("{} records in {:.2f}s -> {} ({:.1f} MiB)\n", total, report.seconds, report.path,
             ec ? 0.0 : static_cast<double>(size) / (1 << 20));
}

int runBuild(const DbFlags& f) {
  auto feeds = feedsOf(f);
  if (!feeds) {
    fmt::print(stderr, "bulkhead: error: {}\n", feeds.error().message);
    return 2;
  }
  const std::string data = f.data.empty() ? defaultDataDir() : f.data;
  if (data.empty()) {
    fmt::print(stderr, "bulkhead: error: no advisory data found: pass --data DIR or set "
               "BULKHEAD_ADVISORY_DATA\n");
    return 2;
  }
  if (!isDir(data)) {
    fmt::print(stderr, "bulkhead: error: advisory data directory {} does not exist (--data DIR)\n",
               data);
    return 2;
  }
  auto report = vuln::buildDatabase(vuln::localFeeds(data, *feeds), databasePath(f));
  if (!report) {
    fmt::print(stderr, "bulkhead: error: db build: {}\n", report.error().message);
    return 2;
  }
  printBuild(*report);
  return 0;
}

std::string age(int64_t seconds) {
  if (seconds < 0) return "unknown";
  if (seconds < 3600) return fmt::format("{} min", seconds / 60);
  if (seconds < 2 * 86400) return fmt::format("{} h", seconds / 3600);
  return fmt::format("{} days", seconds / 86400);
}

int runInfo(const DbFlags& f) {
  auto db = vuln::AdvisoryDb::open(databasePath(f));
  if (!db) {
    fmt::print(stderr, "bulkhead: error: {}\n", db.error().message);
    return 2;
  }
  auto info = db->info();
  if (!info) {
    fmt::print(stderr, "bulkhead: error: {}\n", info.error().message);
    return 2;
  }
  if (f.format == "json") {
    nlohmann::json out = {{"path", info->path},
                          {"schema_version", info->schemaVersion},
                          {"built_at", info->builtAt},
                          {"builder", info->builder},
                          {"age_seconds", info->ageSeconds},
                          {"file_bytes", info->fileBytes},
                          {"vulnerabilities", info->vulnerabilities},
                          {"affected_rows", info->affectedRows}};
    out["sources"] = nlohmann::json::array();
    for (const auto& s : info->sources) {
      out["sources"].push_back({{"name", s.name},
                                {"format", s.format},
                                {"origin", s.origin},
                                {"records", s.records},
                                {"skipped", s.skipped},
                                {"warnings", s.warnings},
                                {"fetched", s.fetched},
                                {"modified", s.modified},
                                {"etag", s.etag},
                                {"last_modified", s.lastModified}});
    }
    out["ecosystems"] = nlohmann::json::array();
    for (const auto& e : info->ecosystems) {
      out["ecosystems"].push_back({{"ecosystem", e.ecosystem},
                                   {"vulnerabilities", e.vulnerabilities},
                                   {"packages", e.packages},
                                   {"rows", e.rows}});
    }
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  fmt::print("Database:  {} ({:.1f} MiB, schema {})\n", info->path,
             static_cast<double>(info->fileBytes) / (1 << 20), info->schemaVersion);
  fmt::print("Built:     {} by {} ({} ago)\n", info->builtAt, info->builder, age(info->ageSeconds));
  fmt::print("Records:   {} vulnerabilities, {} affected-package rows\n\n", info->vulnerabilities,
             info->affectedRows);
  fmt::print("{:<24} {:<13} {:>8} {:>8}  {:<21} {}\n", "SOURCE", "FORMAT", "RECORDS", "SKIPPED",
             "FETCHED", "ORIGIN");
  for (const auto& s : info->sources) {
    fmt::print("{:<24} {:<13} {:>8} {:>8}  {:<21} {}\n", s.name, s.format, s.records, s.skipped,
               s.fetched, s.origin);
  }
  fmt::print("\n{:<12} {:>15} {:>9} {:>8}\n", "ECOSYSTEM", "VULNERABILITIES", "PACKAGES", "ROWS");
  for (const auto& e : info->ecosystems) {
    fmt::print("{:<12} {:>15} {:>9} {:>8}\n", e.ecosystem, e.vulnerabilities, e.packages, e.rows);
  }
  return 0;
}

int runUpdate(const DbFlags& f) {
  auto feeds = feedsOf(f);
  if (!feeds) {
    fmt::print(stderr, "bulkhead: error: {}\n", feeds.error().message);
    return 2;
  }
  vuln::UpdateOptions options;
  options.feeds = *feeds;
  options.dbPath = databasePath(f);
  auto report = vuln::updateDatabase(options);
  if (!report) {
    fmt::print(stderr, "bulkhead: error: db update: {} (the existing database is kept)\n",
               report.error().message);
    return 2;
  }
  for (const auto& feed : report->feeds) {
    fmt::print("{:<24} {}\n", feed.name,
               feed.notModified ? std::string("not modified")
                                : fmt::format("downloaded {:.1f} MiB",
                                              static_cast<double>(feed.bytes) / (1 << 20)));
  }
  if (!report->rebuilt) {
    fmt::print("database is up to date: {}\n", options.dbPath);
    return 0;
  }
  printBuild(report->build);
  return 0;
}

}  // namespace

void addDbCommand(CLI::App& app, int& exitCode) {
  auto flags = std::make_shared<DbFlags>();
  auto* cmd = app.add_subcommand("db", "Build, update and inspect the local advisory database");
  cmd->require_subcommand(1);
  auto* build = cmd->add_subcommand("build", "Build the database from local feed directories");
  build->add_option("--data", flags->data,
                    "Directory holding the feeds (default: $BULKHEAD_ADVISORY_DATA, else "
                    "shared/data/advisories or share/bulkhead/advisories beside the "
                    "binary's ancestors)");
  build->add_option("--db", flags->db, "Database file (default: <cache>/db/advisories.db)");
  build->add_option("--config", flags->config,
                    "Feed config (JSON or YAML) to change the feed list");
  build->callback([flags, &exitCode] { exitCode = runBuild(*flags); });
  auto* info = cmd->add_subcommand("info", "Show the database's sources, counts and age");
  info->add_option("--db", flags->db, "Database file (default: <cache>/db/advisories.db)");
  info->add_option("--format,-f", flags->format, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  info->callback([flags, &exitCode] { exitCode = runInfo(*flags); });
  auto* update = cmd->add_subcommand("update", "Download the feeds and rebuild the database");
  update->add_option("--config", flags->config,
                     "Feed config (JSON or YAML) overriding the upstream URLs");
  update->add_option("--db", flags->db, "Database file (default: <cache>/db/advisories.db)");
  update->callback([flags, &exitCode] { exitCode = runUpdate(*flags); });
}

}  // namespace bulkhead::cli
