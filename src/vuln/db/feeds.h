#pragma once
// The advisory feeds Bulkhead knows: where each lies in a local data directory (for
// `db build`), where upstream publishes it (for `db update`), and which importer reads it.
// A small config file (JSON or YAML) can replace the URLs or the whole list.

#include <string>
#include <vector>

#include "core/result.h"

namespace bulkhead::vuln {

struct FeedSpec {
  std::string name;    // "golang-vulndb"; the `sources` row name
  std::string format;  // importer format: "osv", "nodejs-wg", "debian-list", "alpine-secdb"
  std::string path;    // relative to the data directory: "golang-vulndb/osv"
  std::string url;     // an archive (.tar.gz, .tgz, .tar.zst, .tar.xz, .zip) or one file
  // Inside the downloaded archive, after its single top-level directory (as GitHub's
  // archives have) is stripped: the directory to import; for a single-file URL, the
  // relative file name it is saved under ("DSA/list").
  std::string archivePath;
};

const std::vector<FeedSpec>& defaultFeeds();

// Reads a feed config:
//   {"feeds": [{"name": "golang-vulndb", "url": "https://...", "archive_path": "..."}, ...],
//    "replace": false}
// Entries naming a default feed override its fields; new names need "format". With
// "replace": true only the listed feeds are used. JSON or YAML.
Result<std::vector<FeedSpec>> loadFeedConfig(const std::string& path);

}  // namespace bulkhead::vuln
