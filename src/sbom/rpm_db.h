#pragma once
// The two databases rpm keeps its headers in, read from bytes (the image gives bytes):
//
// * sqlite (rpm >= 4.16, RHEL 9, Fedora 33+): rpmdb.sqlite, table Packages(hnum, blob).
//   Opened in memory with sqlite3_deserialize, read-only, with views, triggers and
//   untrusted schema SQL disabled and a bound on the work a query may do.
// * BerkeleyDB hash (RHEL <= 8, CentOS, Amazon Linux 2, SLES <= 15): Packages, a hash
//   database whose keys are header numbers and whose values are the header blobs. Read by
//   a reader of our own (no libdb): the metadata page gives the page size, the hash
//   buckets and the byte order; each bucket is a chain of pages; big values live on chains
//   of overflow pages. Every page is visited at most once, so a hostile file costs at most
//   its own size in time and memory.
//
// Both call `visit` for each package header in the order they hold them and stop at the
// first structural error, which they return (headers already visited stay visited).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace bulkhead::sbom {

struct RpmDbLimits {
  size_t maxRecords = 200'000;
  size_t maxValueBytes = 256u << 20;             // one header blob
  uint64_t maxSqliteInstructions = 200'000'000;  // sqlite VM steps for the whole read
};

// `key` is the header number (hnum in sqlite, the 4-byte key in BerkeleyDB).
using RpmHeaderVisitor = std::function<void(uint64_t key, std::string_view blob)>;

// Returns how many headers were visited. `what` names the file in errors.
Result<size_t> readRpmSqlite(std::string file, std::string_view what, const RpmHeaderVisitor& visit,
                             const RpmDbLimits& limits = {});
Result<size_t> readRpmBerkeleyDb(std::string_view file, std::string_view what,
                                 const RpmHeaderVisitor& visit, const RpmDbLimits& limits = {});

// What the first bytes say: "sqlite", "bdb" (hash, either byte order), or empty.
std::string_view rpmDbFormat(std::string_view file);

}  // namespace bulkhead::sbom
