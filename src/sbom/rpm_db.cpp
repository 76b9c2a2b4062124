#include "sbom/rpm_db.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <bit>
#include <climits>
#include <memory>
#include <vector>

namespace bulkhead::sbom {
namespace {

constexpr std::string_view kSqliteMagic{"SQLite format 3\0", 16};

// ---- BerkeleyDB hash ------------------------------------------------------------------------
// Layouts from BerkeleyDB's db_page.h (unchanged from 4.x to 5.3 for what is read here).

constexpr uint32_t kHashMagic = 0x00061561;
constexpr uint32_t kBtreeMagic = 0x00053162;
constexpr size_t kMetaSize = 512;
constexpr size_t kPageHeader = 26;  // lsn, pgno, prev, next, entries, hf_offset, level, type
constexpr uint8_t kPageInvalid = 0;
constexpr uint8_t kPageHashUnsorted = 2;  // hash pages written before BerkeleyDB 4.6
constexpr uint8_t kPageOverflow = 7;
constexpr uint8_t kPageHashMeta = 8;
constexpr uint8_t kPageHash = 13;
constexpr uint8_t kItemKeyData = 1;
constexpr uint8_t kItemOffPage = 3;
constexpr size_t kOffPageSize = 12;  // type, 3 unused, pgno, total length

class BerkeleyDb {
 public:
  BerkeleyDb(std::string_view file, std::string_view what, bool bigEndian)
      : file_(file), what_(what), bigEndian_(bigEndian) {}

  uint16_t u16(std::string_view bytes, size_t at) const {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + at;
    return static_cast<uint16_t>(bigEndian_ ? (p[0] << 8) | p[1] : (p[1] << 8) | p[0]);
  }
  uint32_t u32(std::string_view bytes, size_t at) const {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + at;
    return bigEndian_
               ? (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]
               : (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
  }

  Status open() {
    const std::string_view meta = file_.substr(0, kMetaSize);
    const uint32_t version = u32(meta, 16);
    pageSize_ = u32(meta, 20);
    if (pageSize_ < 512 || pageSize_ > 65536 || !std::has_single_bit(pageSize_)) {
      return makeError("{}: page size {} is not a power of two from 512 to 65536", what_,
                       pageSize_);
    }
    if (version < 8 || version > 10) {
      return makeError("{}: hash database version {} (8 to 10 are known)", what_, version);
    }
    if (static_cast<uint8_t>(meta[24]) != 0)
      return makeError("{}: the database is encrypted", what_);
    if (static_cast<uint8_t>(meta[25]) != kPageHashMeta) {
      return makeError("{}: page 0 is of type {}, not hash metadata", what_,
                       static_cast<uint8_t>(meta[25]));
    }
    const uint32_t lastPage = u32(meta, 32);
    const uint64_t pagesInFile = file_.size() / pageSize_;
    if (uint64_t{lastPage} + 1 > pagesInFile) {
      return makeError("{}: truncated: {} pages of {} bytes expected, {} bytes present", what_,
                       uint64_t{lastPage} + 1, pageSize_, file_.size());
    }
    pageCount_ = lastPage + 1;
    maxBucket_ = u32(meta, 72);
    if (maxBucket_ >= pageCount_) {
      return makeError("{}: {} hash buckets in {} pages", what_, uint64_t{maxBucket_} + 1,
                       pageCount_);
    }
    for (size_t i = 0; i < 32; ++i) spares_[i] = u32(meta, 96 + i * 4);
    visited_.assign(pageCount_, false);
    visited_[0] = true;
    return {};
  }

  Result<size_t> forEach(const RpmHeaderVisitor& visit, const RpmDbLimits& limits) {
    size_t records = 0;
    std::string overflow;
    for (uint64_t bucket = 0; bucket <= maxBucket_; ++bucket) {
      // Buckets are allocated in doublings; spares[k] is where the k-th doubling starts.
      const auto doubling = static_cast<size_t>(std::bit_width(bucket));
      if (doubling >= std::size(spares_))
        return makeError("{}: bucket {} out of range", what_, bucket);
      uint64_t pgno = bucket + spares_[doubling];
      bool first = true;
      while (pgno != 0) {
        auto page = fetch(pgno, "bucket page");
        if (!page) return std::move(page).error();
        const auto type = static_cast<uint8_t>((*page)[25]);
        if (type == kPageInvalid && first) break;  // a bucket that never held anything
        if (type != kPageHash && type != kPageHashUnsorted) {
          return makeError("{}: page {} (bucket {}) is of type {}, not a hash page", what_, pgno,
                           bucket, type);
        }
        first = false;
        auto status = readHashPage(*page, pgno, records, overflow, visit, limits);
        if (!status) return status.error();
        pgno = u32(*page, 16);
      }
    }
    return records;
  }

 private:
  // A page by number; each may be used once (this also ends cycles in chains).
  Result<std::string_view> fetch(uint64_t pgno, const char* role) {
    if (pgno >= pageCount_) {
      return makeError("{}: {} {} is past the last page {}", what_, role, pgno, pageCount_ - 1);
    }
    if (visited_[pgno]) return makeError("{}: {} {} is used twice", what_, role, pgno);
    visited_[pgno] = true;
    const std::string_view page = file_.substr(pgno * pageSize_, pageSize_);
    const uint32_t stored = u32(page, 8);
    if (stored != pgno && !(stored == 0 && static_cast<uint8_t>(page[25]) == kPageInvalid)) {
      return makeError("{}: page {} says it is page {}", what_, pgno, stored);
    }
    return page;
  }

  // Items are stored from the end of the page down; index entries (after the header) give
  // their offsets, key then value, so an item ends where the previous one starts.
  Status readHashPage(std::string_view page, uint64_t pgno, size_t& records, std::string& overflow,
                      const RpmHeaderVisitor& visit, const RpmDbLimits& limits) {
    const size_t entries = u16(page, 20);
    const size_t indexEnd = kPageHeader + entries * 2;
    if (indexEnd > pageSize_) {
      return makeError("{}: page {} claims {} entries, more than fit", what_, pgno, entries);
    }
    for (size_t i = 0; i + 1 < entries; i += 2) {
      const size_t keyAt = u16(page, kPageHeader + i * 2);
      const size_t valueAt = u16(page, kPageHeader + i * 2 + 2);
      const size_t keyEnd = i == 0 ? pageSize_ : u16(page, kPageHeader + i * 2 - 2);
      if (keyAt < indexEnd || valueAt < indexEnd || keyAt >= keyEnd || keyEnd > pageSize_ ||
          valueAt >= keyAt) {
        return makeError("{}: page {} item {}: offsets {}/{} are out of order or out of the page",
                         what_, pgno, i / 2, keyAt, valueAt);
      }
      const std::string_view key = page.substr(keyAt, keyEnd - keyAt);
      const std::string_view value = page.substr(valueAt, keyAt - valueAt);
      if (static_cast<uint8_t>(key[0]) != kItemKeyData || key.size() != 5) {
        return makeError("{}: page {} item {}: the key is not a 4-byte header number", what_, pgno,
                         i / 2);
      }
      const uint32_t number = u32(key, 1);
      std::string_view blob;
      if (static_cast<uint8_t>(value[0]) == kItemKeyData) {
        blob = value.substr(1);
      } else if (static_cast<uint8_t>(value[0]) == kItemOffPage && value.size() >= kOffPageSize) {
        auto status = readOverflow(u32(value, 4), u32(value, 8), overflow, limits);
        if (!status) return status;
        blob = overflow;
      } else {
        return makeError(
            "{}: page {} item {}: value of type {} (rpm writes plain or overflow values)", what_,
            pgno, i / 2, static_cast<uint8_t>(value[0]));
      }
      if (number == 0) continue;  // rpm keeps its next header number under key 0
      if (++records > limits.maxRecords) {
        return makeError("{}: more than {} records", what_, limits.maxRecords);
      }
      visit(number, blob);
    }
    return {};
  }

  // A value too big for a bucket page: a chain of overflow pages, each holding hf_offset
  // bytes after its header.
  Status readOverflow(uint64_t pgno, uint32_t total, std::string& out, const RpmDbLimits& limits) {
    if (total == 0 || total > limits.maxValueBytes || total > file_.size()) {
      return makeError("{}: overflow value of {} bytes (at most {})", what_, total,
                       std::min<size_t>(limits.maxValueBytes, file_.size()));
    }
    out.clear();
    out.reserve(total);
    while (out.size() < total) {
      if (pgno == 0) {
        return makeError("{}: overflow chain ends after {} of {} bytes", what_, out.size(), total);
      }
      auto page = fetch(pgno, "overflow page");
      if (!page) return std::move(page).error();
      if (static_cast<uint8_t>((*page)[25]) != kPageOverflow) {
        return makeError("{}: page {} is of type {}, not an overflow page", what_, pgno,
                         static_cast<uint8_t>((*page)[25]));
      }
      const size_t length = u16(*page, 22);
      if (length > pageSize_ - kPageHeader || length > total - out.size()) {
        return makeError("{}: overflow page {} holds {} bytes, more than fit or are left", what_,
                         pgno, length);
      }
      out.append(page->substr(kPageHeader, length));
      pgno = u32(*page, 16);
    }
    return {};
  }

  std::string_view file_;
  std::string_view what_;
  bool bigEndian_;
  uint32_t pageSize_ = 0;
  uint32_t pageCount_ = 0;
  uint32_t maxBucket_ = 0;
  uint32_t spares_[32] = {};
  std::vector<bool> visited_;
};

uint32_t readLe32(std::string_view bytes, size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + at;
  return (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
}

uint32_t readBe32(std::string_view bytes, size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + at;
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// ---- sqlite ---------------------------------------------------------------------------------

struct SqliteClose {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct SqliteFinalize {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using SqlitePtr = std::unique_ptr<sqlite3, SqliteClose>;
using StatementPtr = std::unique_ptr<sqlite3_stmt, SqliteFinalize>;

struct Budget {
  uint64_t left = 0;
};
constexpr int kProgressEvery = 1000;  // VM instructions between progress callbacks

int onProgress(void* context) {
  auto* budget = static_cast<Budget*>(context);
  if (budget->left < kProgressEvery) return 1;  // interrupts the statement
  budget->left -= kProgressEvery;
  return 0;
}

}  // namespace

std::string_view rpmDbFormat(std::string_view file) {
  if (file.starts_with(kSqliteMagic)) return "sqlite";
  if (file.size() >= kMetaSize &&
      (readLe32(file, 12) == kHashMagic || readBe32(file, 12) == kHashMagic)) {
    return "bdb";
  }
  return {};
}

Result<size_t> readRpmBerkeleyDb(std::string_view file, std::string_view what,
                                 const RpmHeaderVisitor& visit, const RpmDbLimits& limits) {
  if (file.size() < kMetaSize) {
    return makeError("{}: {} bytes, too short for a BerkeleyDB database", what, file.size());
  }
  bool bigEndian = false;
  if (readLe32(file, 12) == kHashMagic) {
    bigEndian = false;
  } else if (readBe32(file, 12) == kHashMagic) {
    bigEndian = true;
  } else if (readLe32(file, 12) == kBtreeMagic || readBe32(file, 12) == kBtreeMagic) {
    return makeError("{}: a BerkeleyDB btree, not the hash database rpm keeps packages in", what);
  } else {
    return makeError("{}: not a BerkeleyDB hash database (magic {:#010x})", what,
                     readLe32(file, 12));
  }
  BerkeleyDb db(file, what, bigEndian);
  BH_TRY_STATUS(db.open());
  return db.forEach(visit, limits);
}

Result<size_t> readRpmSqlite(std::string file, std::string_view what, const RpmHeaderVisitor& visit,
                             const RpmDbLimits& limits) {
  if (file.size() < 100 || !std::string_view(file).starts_with(kSqliteMagic)) {
    return makeError("{}: not an sqlite database", what);
  }
  // rpm leaves its database in WAL mode (bytes 18 and 19 are 2). The in-memory VFS cannot
  // do WAL; as a rollback-journal database the same pages read the same.
  if (file[18] == 2) file[18] = 1;
  if (file[19] == 2) file[19] = 1;

  sqlite3* raw = nullptr;
  const int opened =
      sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  SqlitePtr db(raw);
  if (opened != SQLITE_OK) {
    return makeError("{}: sqlite: {}", what, raw ? sqlite3_errmsg(raw) : sqlite3_errstr(opened));
  }
  // The schema is the attacker's: no views, triggers or functions from it, no writes.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_ENABLE_VIEW, 0, nullptr);
  sqlite3_limit(db.get(), SQLITE_LIMIT_LENGTH,
                static_cast<int>(std::min<size_t>(limits.maxValueBytes, INT_MAX)));
  Budget budget{limits.maxSqliteInstructions};
  sqlite3_progress_handler(db.get(), kProgressEvery, onProgress, &budget);
  // Read-only and not resizable: sqlite reads `file` in place and never frees it.
  const int loaded =
      sqlite3_deserialize(db.get(), "main", reinterpret_cast<unsigned char*>(file.data()),
                          static_cast<sqlite3_int64>(file.size()),
                          static_cast<sqlite3_int64>(file.size()), SQLITE_DESERIALIZE_READONLY);
  if (loaded != SQLITE_OK) return makeError("{}: sqlite: {}", what, sqlite3_errmsg(db.get()));

  auto fail = [&](std::string_view doing) {
    if (budget.left < kProgressEvery) {
      return makeError("{}: sqlite: more than {} steps while {}", what,
                       limits.maxSqliteInstructions, doing);
    }
    return makeError("{}: sqlite: {} while {}", what, sqlite3_errmsg(db.get()), doing);
  };
  auto prepare = [&](const char* sql) -> Result<StatementPtr> {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql, -1, &statement, nullptr) != SQLITE_OK) {
      sqlite3_finalize(statement);
      return fail("reading the schema");
    }
    return StatementPtr(statement);
  };

  {
    auto schema = prepare("SELECT type, sql FROM sqlite_master WHERE name = 'Packages'");
    if (!schema) return std::move(schema).error();
    const int step = sqlite3_step(schema->get());
    if (step == SQLITE_DONE) return makeError("{}: no Packages table", what);
    if (step != SQLITE_ROW) return fail("reading the schema");
    const auto* type = reinterpret_cast<const char*>(sqlite3_column_text(schema->get(), 0));
    const auto* sql = reinterpret_cast<const char*>(sqlite3_column_text(schema->get(), 1));
    if (type == nullptr || std::string_view(type) != "table" || sql == nullptr ||
        !std::string_view(sql).starts_with("CREATE TABLE")) {
      return makeError("{}: Packages is not a plain table", what);
    }
  }
  auto rows = prepare("SELECT hnum, blob FROM Packages");
  if (!rows) return std::move(rows).error();
  size_t records = 0;
  for (;;) {
    const int step = sqlite3_step(rows->get());
    if (step == SQLITE_DONE) break;
    if (step != SQLITE_ROW) return fail(fmt::format("reading package {}", records + 1));
    if (++records > limits.maxRecords)
      return makeError("{}: more than {} packages", what, limits.maxRecords);
    const sqlite3_int64 hnum = sqlite3_column_int64(rows->get(), 0);
    const void* blob = sqlite3_column_blob(rows->get(), 1);
    const int bytes = sqlite3_column_bytes(rows->get(), 1);
    visit(static_cast<uint64_t>(hnum),
          blob == nullptr
              ? std::string_view()
              : std::string_view(static_cast<const char*>(blob), static_cast<size_t>(bytes)));
  }
  return records;
}

}  // namespace bulkhead::sbom
