// The advisory database: `db build` over the whole shared advisory snapshot (time and
// records per second) and lookups by (ecosystem, name[, release]) per second on the result.
// Data: $BULKHEAD_ADVISORY_DATA, else ../shared/data/advisories beside the checkout. Run with
// --benchmark_repetitions=5 --benchmark_report_aggregates_only=true for medians.

#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "vuln/db/build.h"

namespace {

using namespace bulkhead::vuln;
namespace fs = std::filesystem;

std::string dataDir() {
  if (const char* env = std::getenv("BULKHEAD_ADVISORY_DATA"); env && *env) return env;
  return BULKHEAD_DEFAULT_ADVISORY_DATA;
}

std::string scratchDb(const char* name) {
  return (fs::temp_directory_path() / fmt::format("bh-vuln-bench-{}-{}.db", ::getpid(), name))
      .string();
}

void BM_DbBuild(benchmark::State& state) {
  const auto feeds = localFeeds(dataDir(), defaultFeeds());
  const std::string path = scratchDb("build");
  size_t records = 0;
  for (auto _ : state) {
    auto report = buildDatabase(feeds, path);
    if (!report) {
      state.SkipWithError(report.error().message.c_str());
      return;
    }
    records = 0;
    for (const auto& f : report->feeds) records += f.records;
  }
  state.counters["records"] = static_cast<double>(records);
  state.counters["records_per_s"] = benchmark::Counter(
      static_cast<double>(records) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["db_MiB"] = static_cast<double>(fs::file_size(path)) / (1 << 20);
  fs::remove(path);
}
BENCHMARK(BM_DbBuild)->Unit(benchmark::kMillisecond)->Iterations(1);

struct Key {
  std::string ecosystem;
  std::string name;
  std::string release;
};

// A built database and the distinct package keys it holds (read with SQLite directly).
struct LookupFixture {
  std::string path = scratchDb("lookup");
  std::vector<Key> keys;
  bool ok = false;
  LookupFixture() {
    if (!buildDatabase(localFeeds(dataDir(), defaultFeeds()), path)) return;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT DISTINCT ecosystem, name, release FROM affected", -1, &st,
                       nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      keys.push_back({reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                      reinterpret_cast<const char*>(sqlite3_column_text(st, 1)),
                      reinterpret_cast<const char*>(sqlite3_column_text(st, 2))});
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    std::shuffle(keys.begin(), keys.end(), std::mt19937(42));
    ok = !keys.empty();
  }
  ~LookupFixture() { fs::remove(path); }
};

LookupFixture& fixture() {
  static LookupFixture f;
  return f;
}

// Hits: every lookup names a package with advisories (with its release for distro rows).
void BM_LookupHit(benchmark::State& state) {
  auto& f = fixture();
  if (!f.ok) {
    state.SkipWithError("could not build the database");
    return;
  }
  auto db = AdvisoryDb::open(f.path);
  size_t i = 0;
  size_t found = 0;
  for (auto _ : state) {
    const Key& k = f.keys[i++ % f.keys.size()];
    auto result = db->advisoriesFor(k.ecosystem, k.name, k.release);
    found += result->size();
    benchmark::DoNotOptimize(result);
  }
  state.counters["lookups_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["advisories_per_lookup"] =
      static_cast<double>(found) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_LookupHit);

// Misses: most packages of an image have no advisory; this is the common lookup.
void BM_LookupMiss(benchmark::State& state) {
  auto& f = fixture();
  if (!f.ok) {
    state.SkipWithError("could not build the database");
    return;
  }
  auto db = AdvisoryDb::open(f.path);
  size_t i = 0;
  for (auto _ : state) {
    const Key& k = f.keys[i++ % f.keys.size()];
    auto result = db->advisoriesFor(k.ecosystem, k.name + "-not-there", k.release);
    benchmark::DoNotOptimize(result);
  }
  state.counters["lookups_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LookupMiss);

}  // namespace

BENCHMARK_MAIN();
