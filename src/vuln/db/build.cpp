#include "vuln/db/build.h"

#include <chrono>

#include "core/paths.h"

namespace bulkhead::vuln {

std::string defaultDatabasePath() { return cacheDir() + "/db/advisories.db"; }

std::vector<FeedInput> localFeeds(const std::string& dataDir, const std::vector<FeedSpec>& specs) {
  std::vector<FeedInput> out;
  for (const auto& spec : specs) {
    FeedInput input;
    input.spec = spec;
    input.root = spec.path.empty() ? dataDir : dataDir + "/" + spec.path;
    input.origin = input.root;
    out.push_back(std::move(input));
  }
  return out;
}

Result<BuildReport> buildDatabase(const std::vector<FeedInput>& feeds, const std::string& dbPath,
                                  const ImportLimits& limits) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  if (feeds.empty()) return makeError("advisory database {}: no feeds to build from", dbPath);
  auto writer = AdvisoryDbWriter::create(dbPath);
  if (!writer) return std::move(writer).error();
  BuildReport report;
  report.path = dbPath;
  for (const FeedInput& feed : feeds) {
    const auto feedStart = Clock::now();
    const Importer* importer = findImporter(feed.spec.format);
    if (importer == nullptr) {
      return makeError("feed {}: no importer for format \"{}\"", feed.spec.name, feed.spec.format);
    }
    ImportSink sink(limits);
    const Status imported = importFeed(feed.root, *importer, sink);
    if (!imported) return withContext("feed " + feed.spec.name, imported.error());
    if (sink.records().empty()) {
      return makeError("feed {}: {}: no usable records", feed.spec.name, feed.root);
    }
    for (Vulnerability& record : sink.records()) {
      BH_TRY_STATUS(writer->add(feed.spec.name, record));
    }
    SourceInfo source;
    source.name = feed.spec.name;
    source.format = feed.spec.format;
    source.origin = feed.origin;
    source.skipped = static_cast<int64_t>(sink.skipped());
    source.warnings = static_cast<int64_t>(sink.warningCount());
    source.fetched = feed.fetched;
    source.etag = feed.etag;
    source.lastModified = feed.lastModified;
    BH_TRY_STATUS(writer->addSource(source));
    FeedReport fr;
    fr.name = feed.spec.name;
    fr.skipped = sink.skipped();
    fr.warningCount = sink.warningCount();
    fr.warnings = sink.warnings();
    fr.seconds = std::chrono::duration<double>(Clock::now() - feedStart).count();
    report.feeds.push_back(std::move(fr));
  }
  BH_TRY_STATUS(writer->commit());
  // Distinct record counts as stored.
  auto db = AdvisoryDb::open(dbPath);
  if (db) {
    if (auto info = db->info()) {
      for (auto& fr : report.feeds) {
        for (const auto& s : info->sources) {
          if (s.name == fr.name) fr.records = static_cast<size_t>(s.records);
        }
      }
    }
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

}  // namespace bulkhead::vuln
