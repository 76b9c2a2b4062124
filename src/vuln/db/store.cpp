#include "vuln/db/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "core/paths.h"
#include "vuln/db/names.h"

namespace bulkhead::vuln {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE sources(
  name TEXT PRIMARY KEY, format TEXT NOT NULL, origin TEXT NOT NULL,
  records INTEGER NOT NULL, skipped INTEGER NOT NULL, warnings INTEGER NOT NULL,
  fetched TEXT, modified TEXT, etag TEXT, last_modified TEXT) WITHOUT ROWID;
CREATE TABLE vulnerabilities(
  vid INTEGER PRIMARY KEY, source TEXT NOT NULL, id TEXT NOT NULL,
  summary TEXT, details TEXT, severity TEXT, cvss_vector TEXT, cvss_score REAL,
  feed_score REAL, published TEXT, modified TEXT, withdrawn TEXT, refs TEXT,
  UNIQUE(source, id));
CREATE TABLE aliases(vid INTEGER NOT NULL, alias TEXT NOT NULL,
  PRIMARY KEY(vid, alias)) WITHOUT ROWID;
CREATE TABLE affected(
  vid INTEGER NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL,
  release TEXT NOT NULL, range_type TEXT NOT NULL, status TEXT NOT NULL,
  events TEXT, versions TEXT, vulnerable TEXT, patched TEXT);
)sql";

// Indexes are made after the bulk insert: faster, and compact.
constexpr const char* kIndexes = R"sql(
CREATE INDEX affected_by_package ON affected(ecosystem, name, release);
CREATE INDEX aliases_by_alias ON aliases(alias);
CREATE INDEX vulnerabilities_by_id ON vulnerabilities(id);
)sql";

constexpr const char* kLookupWithRelease =
    "SELECT vid, ecosystem, name, release, range_type, status, events, versions, vulnerable, "
    "patched FROM affected INDEXED BY affected_by_package WHERE ecosystem = ?1 AND name = ?2 AND "
    "release IN (?3, '')";
constexpr const char* kLookupAll =
    "SELECT vid, ecosystem, name, release, range_type, status, events, versions, vulnerable, "
    "patched FROM affected INDEXED BY affected_by_package WHERE ecosystem = ?1 AND name = ?2";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;
using Statement = std::unique_ptr<sqlite3_stmt, StatementCloser>;

Error sqlError(sqlite3* db, std::string_view what) {
  return makeError("{}: {}", what, db ? sqlite3_errmsg(db) : "out of memory");
}

Status exec(sqlite3* db, const char* sql, std::string_view what) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    Error error = makeError("{}: {}", what, message ? message : sqlite3_errmsg(db));
    sqlite3_free(message);
    return error;
  }
  return {};
}

Result<Statement> prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
    return sqlError(db, "advisory database: preparing a statement");
  }
  return Statement(raw);
}

void bindText(sqlite3_stmt* s, int index, std::string_view text) {
  sqlite3_bind_text(s, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}
void bindOptionalText(sqlite3_stmt* s, int index, std::string_view text) {
  if (text.empty()) {
    sqlite3_bind_null(s, index);
  } else {
    bindText(s, index, text);
  }
}
void bindScore(sqlite3_stmt* s, int index, double score) {
  if (score < 0) {
    sqlite3_bind_null(s, index);
  } else {
    sqlite3_bind_double(s, index, score);
  }
}

std::string columnText(sqlite3_stmt* s, int index) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, index));
  return text ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(s, index)))
              : std::string();
}
double columnScore(sqlite3_stmt* s, int index) {
  return sqlite3_column_type(s, index) == SQLITE_NULL ? -1 : sqlite3_column_double(s, index);
}

std::string eventsJson(const std::vector<RangeEvent>& events) {
  if (events.empty()) return {};
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : events) {
    if (!e.introduced.empty()) out.push_back({{"introduced", e.introduced}});
    if (!e.fixed.empty()) out.push_back({{"fixed", e.fixed}});
    if (!e.lastAffected.empty()) out.push_back({{"last_affected", e.lastAffected}});
    if (!e.limit.empty()) out.push_back({{"limit", e.limit}});
  }
  return out.dump();
}

std::string listJson(const std::vector<std::string>& items) {
  if (items.empty()) return {};
  return nlohmann::json(items).dump();
}

// The store's own JSON columns; a damaged column gives what could be read.
std::vector<RangeEvent> parseEvents(const std::string& text) {
  std::vector<RangeEvent> events;
  if (text.empty()) return events;
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_array()) return events;
  for (const auto& item : doc) {
    if (!item.is_object() || item.empty() || !item.begin()->is_string()) continue;
    RangeEvent e;
    const std::string& kind = item.begin().key();
    const std::string& value = item.begin()->get_ref<const std::string&>();
    if (kind == "introduced") e.introduced = value;
    if (kind == "fixed") e.fixed = value;
    if (kind == "last_affected") e.lastAffected = value;
    if (kind == "limit") e.limit = value;
    events.push_back(std::move(e));
  }
  return events;
}

std::vector<std::string> parseList(const std::string& text) {
  std::vector<std::string> items;
  if (text.empty()) return items;
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_array()) return items;
  for (const auto& item : doc) {
    if (item.is_string()) items.push_back(item.get<std::string>());
  }
  return items;
}

std::string directoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string utcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

int64_t parseUtc(std::string_view text) {
  std::tm tm{};
  const std::string copy(text.substr(0, 19));
  const char* end = strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr || *end != '\0') return -1;
  return static_cast<int64_t>(timegm(&tm));
}

// ---- writer ----------------------------------------------------------------------------

struct AdvisoryDbWriter::State {
  std::string path;
  std::string tempPath;
  DbHandle db;
  Statement insertVuln;
  Statement insertAlias;
  Statement insertAffected;
  std::unordered_map<std::string, int64_t> vids;  // source \n id -> vid
  std::map<std::string, std::set<int64_t>, std::less<>> perSource;
  std::map<std::string, std::string, std::less<>> newestModified;
  bool committed = false;

  ~State() {
    insertVuln.reset();
    insertAlias.reset();
    insertAffected.reset();
    db.reset();
    if (!committed && !tempPath.empty()) {
      std::remove(tempPath.c_str());
      std::remove((tempPath + "-journal").c_str());
    }
  }
};

AdvisoryDbWriter::AdvisoryDbWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
AdvisoryDbWriter::AdvisoryDbWriter(AdvisoryDbWriter&&) noexcept = default;
AdvisoryDbWriter::~AdvisoryDbWriter() = default;

Result<AdvisoryDbWriter> AdvisoryDbWriter::create(const std::string& path) {
  if (path.empty()) return makeError("advisory database: empty path");
  const std::string dir = directoryOf(path);
  BH_TRY_STATUS(makeDirectories(dir));
  static std::atomic<int> counter{0};
  auto state = std::make_unique<State>();
  state->path = path;
  state->tempPath =
      fmt::format("{}/.{}.tmp-{}-{}", dir, std::filesystem::path(path).filename().string(),
                  ::getpid(), counter++);
  std::remove(state->tempPath.c_str());
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(state->tempPath.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  state->db.reset(raw);
  if (rc != SQLITE_OK) return sqlError(raw, fmt::format("advisory database {}", state->tempPath));
  // A temporary file renamed at the end: no journal needed; a crash leaves only the temp.
  BH_TRY_STATUS(exec(raw,
                     "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                     "PRAGMA page_size=4096; PRAGMA locking_mode=EXCLUSIVE;",
                     "advisory database: pragmas"));
  BH_TRY_STATUS(exec(raw, "BEGIN", "advisory database: begin"));
  BH_TRY_STATUS(exec(raw, kSchema, "advisory database: schema"));
  auto v = prepare(raw,
                   "INSERT INTO vulnerabilities(source, id, summary, details, severity, "
                   "cvss_vector, cvss_score, feed_score, published, modified, withdrawn, refs) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!v) return std::move(v).error();
  auto a = prepare(raw, "INSERT OR IGNORE INTO aliases(vid, alias) VALUES (?1, ?2)");
  if (!a) return std::move(a).error();
  auto f = prepare(raw,
                   "INSERT INTO affected(vid, ecosystem, name, release, range_type, status, "
                   "events, versions, vulnerable, patched) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!f) return std::move(f).error();
  state->insertVuln = std::move(*v);
  state->insertAlias = std::move(*a);
  state->insertAffected = std::move(*f);
  return AdvisoryDbWriter(std::move(state));
}

Status AdvisoryDbWriter::add(std::string_view source, const Vulnerability& record) {
  State& s = *state_;
  if (s.committed) std::abort();  // broken invariant: add after commit
  sqlite3* db = s.db.get();
  const std::string key = fmt::format("{}\n{}", source, record.id);
  int64_t vid = 0;
  if (const auto it = s.vids.find(key); it != s.vids.end()) {
    vid = it->second;
  } else {
    sqlite3_stmt* st = s.insertVuln.get();
    sqlite3_reset(st);
    bindText(st, 1, source);
    bindText(st, 2, record.id);
    bindOptionalText(st, 3, record.summary);
    bindOptionalText(st, 4, record.details);
    bindOptionalText(st, 5, record.severity);
    bindOptionalText(st, 6, record.cvssVector);
    bindScore(st, 7, record.cvssScore);
    bindScore(st, 8, record.feedScore);
    bindOptionalText(st, 9, record.published);
    bindOptionalText(st, 10, record.modified);
    bindOptionalText(st, 11, record.withdrawn);
    bindOptionalText(st, 12, listJson(record.references));
    if (sqlite3_step(st) != SQLITE_DONE)
      return sqlError(db, "advisory database: insert " + record.id);
    vid = sqlite3_last_insert_rowid(db);
    s.vids.emplace(key, vid);
    s.perSource[std::string(source)].insert(vid);
    if (!record.modified.empty()) {
      auto& newest = s.newestModified[std::string(source)];
      if (record.modified > newest) newest = record.modified;
    }
  }
  for (const std::string& alias : record.aliases) {
    if (alias == record.id) continue;
    sqlite3_stmt* st = s.insertAlias.get();
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, vid);
    bindText(st, 2, alias);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlError(db, "advisory database: insert alias");
  }
  for (const Affected& row : record.affected) {
    sqlite3_stmt* st = s.insertAffected.get();
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, vid);
    bindText(st, 2, row.ecosystem);
    bindText(st, 3, row.name);
    bindText(st, 4, row.release);
    bindText(st, 5, row.rangeType);
    bindText(st, 6, row.status);
    bindOptionalText(st, 7, eventsJson(row.events));
    bindOptionalText(st, 8, listJson(row.versions));
    bindOptionalText(st, 9, row.vulnerableRange);
    bindOptionalText(st, 10, row.patchedRange);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlError(db, "advisory database: insert affected");
  }
  return {};
}

Status AdvisoryDbWriter::addSource(SourceInfo source) {
  State& s = *state_;
  if (source.records == 0) {
    const auto it = s.perSource.find(source.name);
    source.records = it == s.perSource.end() ? 0 : static_cast<int64_t>(it->second.size());
  }
  if (source.modified.empty()) {
    const auto it = s.newestModified.find(source.name);
    if (it != s.newestModified.end()) source.modified = it->second;
  }
  if (source.fetched.empty()) source.fetched = utcNow();
  auto st = prepare(s.db.get(),
                    "INSERT OR REPLACE INTO sources(name, format, origin, records, skipped, "
                    "warnings, fetched, modified, etag, last_modified) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!st) return std::move(st).error();
  bindText(st->get(), 1, source.name);
  bindText(st->get(), 2, source.format);
  bindText(st->get(), 3, source.origin);
  sqlite3_bind_int64(st->get(), 4, source.records);
  sqlite3_bind_int64(st->get(), 5, source.skipped);
  sqlite3_bind_int64(st->get(), 6, source.warnings);
  bindOptionalText(st->get(), 7, source.fetched);
  bindOptionalText(st->get(), 8, source.modified);
  bindOptionalText(st->get(), 9, source.etag);
  bindOptionalText(st->get(), 10, source.lastModified);
  if (sqlite3_step(st->get()) != SQLITE_DONE) {
    return sqlError(s.db.get(), "advisory database: insert source " + source.name);
  }
  return {};
}

Status AdvisoryDbWriter::commit() {
  State& s = *state_;
  sqlite3* db = s.db.get();
  {
    auto st = prepare(db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)");
    if (!st) return std::move(st).error();
    const std::pair<const char*, std::string> rows[] = {
        {"schema_version", std::to_string(kAdvisorySchemaVersion)},
        {"built_at", utcNow()},
        {"builder", std::string("bulkhead ") + BULKHEAD_VERSION},
    };
    for (const auto& [key, value] : rows) {
      sqlite3_reset(st->get());
      bindText(st->get(), 1, key);
      bindText(st->get(), 2, value);
      if (sqlite3_step(st->get()) != SQLITE_DONE) return sqlError(db, "advisory database: meta");
    }
  }
  BH_TRY_STATUS(exec(db, kIndexes, "advisory database: indexes"));
  BH_TRY_STATUS(exec(db, "ANALYZE", "advisory database: analyze"));
  BH_TRY_STATUS(exec(db, "COMMIT", "advisory database: commit"));
  s.insertVuln.reset();
  s.insertAlias.reset();
  s.insertAffected.reset();
  if (sqlite3_close(s.db.release()) != SQLITE_OK) {
    return makeError("advisory database {}: close failed", s.tempPath);
  }
  // The data must be on disk before the rename makes it the database.
  const int fd = ::open(s.tempPath.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  ::chmod(s.tempPath.c_str(), 0644);
  if (std::rename(s.tempPath.c_str(), s.path.c_str()) != 0) {
    return makeError("advisory database {}: cannot rename into place: {}", s.path,
                     std::strerror(errno));
  }
  s.committed = true;
  const int dirFd = ::open(directoryOf(s.path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    ::fsync(dirFd);
    ::close(dirFd);
  }
  return {};
}

// ---- reader ----------------------------------------------------------------------------

struct AdvisoryDb::State {
  std::string path;
  DbHandle db;
  Statement lookupRelease;
  Statement lookupAll;
  Statement vulnByVid;
  Statement aliasesByVid;
  ~State() {
    lookupRelease.reset();
    lookupAll.reset();
    vulnByVid.reset();
    aliasesByVid.reset();
    db.reset();
  }
};

AdvisoryDb::AdvisoryDb(std::unique_ptr<State> state) : state_(std::move(state)) {}
AdvisoryDb::AdvisoryDb(AdvisoryDb&&) noexcept = default;
AdvisoryDb& AdvisoryDb::operator=(AdvisoryDb&&) noexcept = default;
AdvisoryDb::~AdvisoryDb() = default;
const std::string& AdvisoryDb::path() const { return state_->path; }

Result<AdvisoryDb> AdvisoryDb::open(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return makeError("advisory database {}: {} (run `bulkhead db build` or `bulkhead db update`)",
                     path, std::strerror(errno));
  }
  auto state = std::make_unique<State>();
  state->path = path;
  sqlite3* raw = nullptr;
  // The file is never changed in place (builds rename a new file over it), so SQLite may
  // treat it as immutable: no file locks and no journal checks on every lookup.
  std::string uri = "file:";
  for (const char c : path) {
    if (c == '?' || c == '#' || c == '%') {
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      uri += c;
    }
  }
  uri += "?immutable=1";
  const int rc = sqlite3_open_v2(
      uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr);
  state->db.reset(raw);
  if (rc != SQLITE_OK) return sqlError(raw, fmt::format("advisory database {}", path));
  // Lookups jump around the file: map it and keep its pages cached (read-only, no journal).
  BH_TRY_STATUS(exec(raw,
                     "PRAGMA mmap_size=268435456; PRAGMA cache_size=-32768; "
                     "PRAGMA query_only=1;",
                     fmt::format("advisory database {}: pragmas", path)));
  sqlite3_stmt* check = nullptr;
  if (sqlite3_prepare_v2(raw, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &check,
                         nullptr) != SQLITE_OK) {
    return makeError("advisory database {}: not an advisory database: {}", path,
                     sqlite3_errmsg(raw));
  }
  Statement guard(check);
  if (sqlite3_step(check) != SQLITE_ROW) {
    return makeError("advisory database {}: no schema version", path);
  }
  const std::string version = columnText(check, 0);
  if (version != std::to_string(kAdvisorySchemaVersion)) {
    return makeError("advisory database {}: schema version {} (this build reads {}): rebuild it",
                     path, version, kAdvisorySchemaVersion);
  }
  auto a = prepare(raw, kLookupWithRelease);
  if (!a) return withContext(path, std::move(a).error());
  auto b = prepare(raw, kLookupAll);
  if (!b) return withContext(path, std::move(b).error());
  auto c = prepare(raw,
                   "SELECT source, id, summary, details, severity, cvss_vector, cvss_score, "
                   "feed_score, published, modified, withdrawn, refs FROM vulnerabilities "
                   "WHERE vid = ?1");
  if (!c) return withContext(path, std::move(c).error());
  auto d = prepare(raw, "SELECT alias FROM aliases WHERE vid = ?1 ORDER BY alias");
  if (!d) return withContext(path, std::move(d).error());
  state->lookupRelease = std::move(*a);
  state->lookupAll = std::move(*b);
  state->vulnByVid = std::move(*c);
  state->aliasesByVid = std::move(*d);
  return AdvisoryDb(std::move(state));
}

namespace {

Status loadVulnerability(sqlite3* db, sqlite3_stmt* byVid, sqlite3_stmt* aliases, int64_t vid,
                         Vulnerability& v) {
  sqlite3_reset(byVid);
  sqlite3_bind_int64(byVid, 1, vid);
  if (sqlite3_step(byVid) != SQLITE_ROW) {
    return sqlError(db, fmt::format("advisory database: record {} missing", vid));
  }
  v.source = columnText(byVid, 0);
  v.id = columnText(byVid, 1);
  v.summary = columnText(byVid, 2);
  v.details = columnText(byVid, 3);
  v.severity = columnText(byVid, 4);
  v.cvssVector = columnText(byVid, 5);
  v.cvssScore = columnScore(byVid, 6);
  v.feedScore = columnScore(byVid, 7);
  v.published = columnText(byVid, 8);
  v.modified = columnText(byVid, 9);
  v.withdrawn = columnText(byVid, 10);
  v.references = parseList(columnText(byVid, 11));
  sqlite3_reset(byVid);
  sqlite3_reset(aliases);
  sqlite3_bind_int64(aliases, 1, vid);
  int rc;
  while ((rc = sqlite3_step(aliases)) == SQLITE_ROW) v.aliases.push_back(columnText(aliases, 0));
  sqlite3_reset(aliases);
  if (rc != SQLITE_DONE) return sqlError(db, "advisory database: aliases");
  return {};
}

}  // namespace

Result<std::vector<Vulnerability>> AdvisoryDb::advisoriesFor(std::string_view ecosystem,
                                                             std::string_view name,
                                                             std::string_view release) const {
  State& s = *state_;
  const std::string key = normalisePackageName(ecosystem, name);
  const std::string rel = release.empty() ? std::string() : normaliseRelease(ecosystem, release);
  sqlite3_stmt* st = rel.empty() ? s.lookupAll.get() : s.lookupRelease.get();
  sqlite3_reset(st);
  bindText(st, 1, ecosystem);
  bindText(st, 2, key);
  if (!rel.empty()) bindText(st, 3, rel);
  std::vector<Vulnerability> out;
  std::vector<int64_t> vids;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    // Rows come in index order (release, then rowid): group them by record here rather
    // than have SQLite sort every lookup.
    const int64_t vid = sqlite3_column_int64(st, 0);
    size_t slot = vids.size();
    for (size_t k = vids.size(); k-- > 0;) {
      if (vids[k] == vid) {
        slot = k;
        break;
      }
    }
    if (slot == vids.size()) {
      vids.push_back(vid);
      out.emplace_back();
    }
    Affected row;
    row.ecosystem = columnText(st, 1);
    row.name = columnText(st, 2);
    row.release = columnText(st, 3);
    row.rangeType = columnText(st, 4);
    row.status = columnText(st, 5);
    row.events = parseEvents(columnText(st, 6));
    row.versions = parseList(columnText(st, 7));
    row.vulnerableRange = columnText(st, 8);
    row.patchedRange = columnText(st, 9);
    out[slot].affected.push_back(std::move(row));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return sqlError(s.db.get(), fmt::format("advisory database {}", s.path));
  for (size_t i = 0; i < vids.size(); ++i) {
    BH_TRY_STATUS(
        loadVulnerability(s.db.get(), s.vulnByVid.get(), s.aliasesByVid.get(), vids[i], out[i]));
  }
  // Records in build order (feed order, then file order): stable output for the matcher.
  std::vector<size_t> order(vids.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&vids](size_t a, size_t b) { return vids[a] < vids[b]; });
  std::vector<Vulnerability> sorted;
  sorted.reserve(out.size());
  for (size_t i : order) sorted.push_back(std::move(out[i]));
  return sorted;
}

Result<std::optional<Vulnerability>> AdvisoryDb::byId(std::string_view id,
                                                      std::string_view source) const {
  State& s = *state_;
  auto st =
      prepare(s.db.get(), source.empty()
                              ? "SELECT vid FROM vulnerabilities WHERE id = ?1 ORDER BY vid LIMIT 1"
                              : "SELECT vid FROM vulnerabilities WHERE id = ?1 AND source = ?2");
  if (!st) return std::move(st).error();
  bindText(st->get(), 1, id);
  if (!source.empty()) bindText(st->get(), 2, source);
  if (sqlite3_step(st->get()) != SQLITE_ROW) return std::optional<Vulnerability>();
  const int64_t vid = sqlite3_column_int64(st->get(), 0);
  Vulnerability v;
  BH_TRY_STATUS(loadVulnerability(s.db.get(), s.vulnByVid.get(), s.aliasesByVid.get(), vid, v));
  auto rows = prepare(s.db.get(),
                      "SELECT ecosystem, name, release, range_type, status, events, versions, "
                      "vulnerable, patched FROM affected WHERE vid = ?1 ORDER BY rowid");
  if (!rows) return std::move(rows).error();
  sqlite3_bind_int64(rows->get(), 1, vid);
  while (sqlite3_step(rows->get()) == SQLITE_ROW) {
    Affected row;
    sqlite3_stmt* r = rows->get();
    row.ecosystem = columnText(r, 0);
    row.name = columnText(r, 1);
    row.release = columnText(r, 2);
    row.rangeType = columnText(r, 3);
    row.status = columnText(r, 4);
    row.events = parseEvents(columnText(r, 5));
    row.versions = parseList(columnText(r, 6));
    row.vulnerableRange = columnText(r, 7);
    row.patchedRange = columnText(r, 8);
    v.affected.push_back(std::move(row));
  }
  return std::optional<Vulnerability>(std::move(v));
}

Result<std::string> AdvisoryDb::lookupPlan(bool withRelease) const {
  State& s = *state_;
  const std::string sql =
      std::string("EXPLAIN QUERY PLAN ") + (withRelease ? kLookupWithRelease : kLookupAll);
  auto st = prepare(s.db.get(), sql.c_str());
  if (!st) return std::move(st).error();
  std::string plan;
  while (sqlite3_step(st->get()) == SQLITE_ROW) plan += columnText(st->get(), 3) + "\n";
  return plan;
}

Result<DbInfo> AdvisoryDb::info() const {
  State& s = *state_;
  sqlite3* db = s.db.get();
  DbInfo info;
  info.path = s.path;
  struct stat st {};
  if (::stat(s.path.c_str(), &st) == 0) info.fileBytes = static_cast<int64_t>(st.st_size);
  {
    auto q = prepare(db, "SELECT key, value FROM meta");
    if (!q) return std::move(q).error();
    while (sqlite3_step(q->get()) == SQLITE_ROW) {
      const std::string key = columnText(q->get(), 0);
      const std::string value = columnText(q->get(), 1);
      if (key == "schema_version") info.schemaVersion = std::atoi(value.c_str());
      if (key == "built_at") info.builtAt = value;
      if (key == "builder") info.builder = value;
    }
  }
  const int64_t built = parseUtc(info.builtAt);
  if (built >= 0) info.ageSeconds = static_cast<int64_t>(std::time(nullptr)) - built;
  {
    auto q = prepare(db,
                     "SELECT name, format, origin, records, skipped, warnings, fetched, modified, "
                     "etag, last_modified FROM sources ORDER BY name");
    if (!q) return std::move(q).error();
    while (sqlite3_step(q->get()) == SQLITE_ROW) {
      sqlite3_stmt* r = q->get();
      SourceInfo src;
      src.name = columnText(r, 0);
      src.format = columnText(r, 1);
      src.origin = columnText(r, 2);
      src.records = sqlite3_column_int64(r, 3);
      src.skipped = sqlite3_column_int64(r, 4);
      src.warnings = sqlite3_column_int64(r, 5);
      src.fetched = columnText(r, 6);
      src.modified = columnText(r, 7);
      src.etag = columnText(r, 8);
      src.lastModified = columnText(r, 9);
      info.sources.push_back(std::move(src));
    }
  }
  {
    auto q = prepare(db,
                     "SELECT ecosystem, COUNT(DISTINCT vid), COUNT(DISTINCT name), COUNT(*) "
                     "FROM affected GROUP BY ecosystem ORDER BY ecosystem");
    if (!q) return std::move(q).error();
    while (sqlite3_step(q->get()) == SQLITE_ROW) {
      sqlite3_stmt* r = q->get();
      info.ecosystems.push_back(EcosystemCount{columnText(r, 0), sqlite3_column_int64(r, 1),
                                               sqlite3_column_int64(r, 2),
                                               sqlite3_column_int64(r, 3)});
      info.affectedRows += sqlite3_column_int64(r, 3);
    }
  }
  {
    auto q = prepare(db, "SELECT COUNT(*) FROM vulnerabilities");
    if (!q) return std::move(q).error();
    if (sqlite3_step(q->get()) == SQLITE_ROW)
      info.vulnerabilities = sqlite3_column_int64(q->get(), 0);
  }
  return info;
}

}  // namespace bulkhead::vuln
