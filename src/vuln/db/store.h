#pragma once
// The advisory store: one SQLite file (schema in docs/formats/advisory-db.md). The writer
// builds into a temporary file beside the target in one transaction and renames it into
// place, so readers see the old database or the new one, never a partial one. The reader
// opens read-only; a lookup by (ecosystem, name[, release]) is one index search.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "vuln/db/advisory.h"

namespace bulkhead::vuln {

inline constexpr int kAdvisorySchemaVersion = 1;

struct SourceInfo {
  std::string name;     // "golang-vulndb"
  std::string format;   // importer format ("osv")
  std::string origin;   // directory or URL it was read from
  int64_t records = 0;  // distinct vulnerabilities stored
  int64_t skipped = 0;  // files or records skipped as bad
  int64_t warnings = 0;
  std::string fetched;   // RFC 3339 UTC: when it was read or downloaded
  std::string modified;  // the newest "modified" among its records
  std::string etag;      // HTTP validators of the last download
  std::string lastModified;
};

struct EcosystemCount {
  std::string ecosystem;
  int64_t vulnerabilities = 0;  // distinct vulnerabilities with a row in the ecosystem
  int64_t packages = 0;         // distinct package names
  int64_t rows = 0;             // affected rows
};

struct DbInfo {
  std::string path;
  int schemaVersion = 0;
  std::string builtAt;  // RFC 3339 UTC
  std::string builder;  // "bulkhead 0.1.0"
  int64_t ageSeconds = -1;
  int64_t fileBytes = 0;
  int64_t vulnerabilities = 0;
  int64_t affectedRows = 0;
  std::vector<SourceInfo> sources;
  std::vector<EcosystemCount> ecosystems;
};

class AdvisoryDbWriter {
 public:
  // Starts a build of `path` (directories created): a temporary file beside it.
  static Result<AdvisoryDbWriter> create(const std::string& path);
  AdvisoryDbWriter(AdvisoryDbWriter&&) noexcept;
  AdvisoryDbWriter& operator=(AdvisoryDbWriter&&) = delete;
  ~AdvisoryDbWriter();  // an uncommitted build is removed

  // Adds a record of `source`; a record with the same (source, id) as an earlier one is
  // merged into it (its affected rows and aliases added).
  Status add(std::string_view source, const Vulnerability& record);
  // Records a source; records/modified are filled from what was added when left empty.
  Status addSource(SourceInfo source);
  // Writes meta, indexes, commits, and renames the file over `path`.
  Status commit();

 private:
  struct State;
  explicit AdvisoryDbWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class AdvisoryDb {
 public:
  static Result<AdvisoryDb> open(const std::string& path);
  AdvisoryDb(AdvisoryDb&&) noexcept;
  AdvisoryDb& operator=(AdvisoryDb&&) noexcept;
  ~AdvisoryDb();

  // Every record with a row for the package; each carries only the matching rows. With a
  // release, distro rows of other releases are left out (rows without a release stay).
  // `name` is normalised for the ecosystem here; `release` may be "bookworm" or "debian:12".
  Result<std::vector<Vulnerability>> advisoriesFor(std::string_view ecosystem,
                                                   std::string_view name,
                                                   std::string_view release = {}) const;
  // A record by source and id, or by id in any source (first found) with empty source.
  Result<std::optional<Vulnerability>> byId(std::string_view id,
                                            std::string_view source = {}) const;
  Result<DbInfo> info() const;
  // SQLite's plan for the lookup query, for tests that the lookup is an index search.
  Result<std::string> lookupPlan(bool withRelease) const;
  const std::string& path() const;

 private:
  struct State;
  explicit AdvisoryDb(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The current time as RFC 3339 UTC ("2026-11-24T10:00:00Z").
std::string utcNow();
// Seconds since the epoch of an RFC 3339 UTC time; -1 when it does not parse.
int64_t parseUtc(std::string_view text);

}  // namespace bulkhead::vuln
