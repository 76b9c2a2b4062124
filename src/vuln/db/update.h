#pragma once
// `db update`: fetches every configured feed over HTTP(S) with its ETag / Last-Modified
// validators (kept in the `sources` table), unpacks the archives (.tar.gz, .tgz, .tar.zst,
// .tar.xz, .zip; anything else is one file), rebuilds into a temporary database and swaps it
// in. Downloads are staged and only replace the cached copies after the new database is in
// place: on any failure the old database and cache stay as they were.

#include <string>
#include <vector>

#include "core/http.h"
#include "core/result.h"
#include "vuln/db/build.h"
#include "vuln/db/feeds.h"

namespace bulkhead::vuln {

struct UpdateOptions {
  std::vector<FeedSpec> feeds;
  std::string dbPath;
  std::string cacheDir;  // downloaded feeds; default <dir of dbPath>/feeds
  HttpOptions http;
  size_t maxDownloadBytes = 1u << 30;
  uint64_t maxExtractedBytes = 4ull << 30;
  size_t maxArchiveEntries = 1000000;
  ImportLimits limits;
};

struct FeedUpdate {
  std::string name;
  std::string url;
  bool notModified = false;  // 304: the cached copy was used
  long status = 0;
  uint64_t bytes = 0;
};

struct UpdateReport {
  std::vector<FeedUpdate> feeds;
  bool rebuilt = false;  // false: every feed answered 304 and the database was kept
  BuildReport build;
};

// Errors name the feed ("feed golang-vulndb: https://...: 404 Not Found").
Result<UpdateReport> updateDatabase(const UpdateOptions& options);

// Unpacks an archive file into `dir` under limits: only regular files and directories,
// no absolute paths or "..". Exposed for tests and fuzzing.
Status extractArchive(const std::string& archivePath, const std::string& dir, uint64_t maxBytes,
                      size_t maxEntries);

// Whether a URL names an archive (by the suffix of its path).
bool isArchiveUrl(std::string_view url);

}  // namespace bulkhead::vuln
