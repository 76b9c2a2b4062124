#pragma once
// Builds the advisory store from feed directories: each feed through its importer, all in
// one transaction into a temporary file renamed over the target at the end. Any feed that
// cannot be read fails the build and leaves the existing database as it was.

#include <string>
#include <vector>

#include "core/result.h"
#include "vuln/db/feeds.h"
#include "vuln/db/store.h"
#include "vuln/importers/importer.h"

namespace bulkhead::vuln {

struct FeedInput {
  FeedSpec spec;
  std::string root;    // directory (or single file) to import
  std::string origin;  // recorded in `sources`: the directory or the URL
  std::string fetched;
  std::string etag;
  std::string lastModified;
};

struct FeedReport {
  std::string name;
  size_t records = 0;  // distinct records stored
  size_t skipped = 0;
  size_t warningCount = 0;
  std::vector<std::string> warnings;  // bounded
  double seconds = 0;
};

struct BuildReport {
  std::string path;
  std::vector<FeedReport> feeds;
  double seconds = 0;
};

// The feeds as laid out under a data directory (`<dataDir>/<spec.path>`).
std::vector<FeedInput> localFeeds(const std::string& dataDir, const std::vector<FeedSpec>& specs);

Result<BuildReport> buildDatabase(const std::vector<FeedInput>& feeds, const std::string& dbPath,
                                  const ImportLimits& limits = {});

// <cacheDir()>/db/advisories.db
std::string defaultDatabasePath();

}  // namespace bulkhead::vuln
