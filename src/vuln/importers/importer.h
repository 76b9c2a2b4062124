#pragma once
// One importer per advisory feed format. An importer parses one file of a feed into
// Vulnerability records; importFeed() walks a feed's directory and feeds it the files it
// wants. Feeds are hostile input: every file, record, string and nesting level is bounded,
// a bad record is skipped with a warning naming the file, an unreadable feed is an error.
//
// Adding a format: a class in its own file here, and one line in importers.cpp.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "vuln/db/advisory.h"

namespace bulkhead::vuln {

struct ImportLimits {
  size_t maxFileBytes = 16u << 20;  // Debian's DSA list is ~1 MiB, OSV files a few KiB
  size_t maxFiles = 200000;
  size_t maxRecordsPerFile = 100000;
  size_t maxRecords = 1000000;        // per feed
  size_t maxStringBytes = 64 * 1024;  // a longer field makes the record bad
  size_t maxListItems = 20000;        // affected entries, versions, aliases, events
  int maxDepth = 64;                  // JSON / YAML nesting
  size_t maxNodes = 500000;           // YAML nodes visited (aliases repeat nodes)
  size_t maxWarnings = 200;           // more are counted, not kept
};

// What a parse produces: records and bounded warnings.
class ImportSink {
 public:
  explicit ImportSink(const ImportLimits& limits) : limits_(limits) {}
  // False once the feed's record cap is reached (further records are dropped and counted).
  bool add(Vulnerability record);
  void warn(std::string message);

  std::vector<Vulnerability>& records() { return records_; }
  const std::vector<Vulnerability>& records() const { return records_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  size_t warningCount() const { return warningCount_; }
  size_t skipped() const { return skipped_; }
  void countSkipped() { ++skipped_; }
  const ImportLimits& limits() const { return limits_; }

 private:
  ImportLimits limits_;
  std::vector<Vulnerability> records_;
  std::vector<std::string> warnings_;
  size_t warningCount_ = 0;
  size_t skipped_ = 0;
};

struct ImportFile {
  std::string path;  // relative to the feed root ("npm/12.json", "DSA/list")
  std::string_view text;
};

class Importer {
 public:
  virtual ~Importer() = default;
  // The format name feeds are configured with ("osv", "nodejs-wg", "debian-list", ...).
  virtual std::string_view format() const = 0;
  // Whether a file (path relative to the feed root) belongs to this format.
  virtual bool wants(std::string_view relativePath) const = 0;
  // Parses one file. An error means the whole file is unusable (it is then skipped with a
  // warning by importFeed); bad records inside a usable file are warnings.
  virtual Status parse(const ImportFile& file, ImportSink& sink) const = 0;
};

// The registered importers (importers.cpp), and the one for a format (nullptr if none).
const std::vector<std::unique_ptr<Importer>>& importers();
const Importer* findImporter(std::string_view format);

// Parses every wanted regular file under `root` (no symlinks followed). Fails when the
// root cannot be read or holds no file the importer wants.
Status importFeed(const std::string& root, const Importer& importer, ImportSink& sink);

// Helpers for importers.
bool endsWith(std::string_view text, std::string_view suffix);
// Cuts at `limit` bytes on a UTF-8 boundary.
std::string truncateUtf8(std::string_view text, size_t limit);
// Deepest bracket nesting ('[' '{') outside quoted strings; a cheap pre-check before a
// recursive parser sees hostile text.
int flowNestingDepth(std::string_view text);

}  // namespace bulkhead::vuln
