#pragma once
// Runs one importer over a file or text for tests.

#include <string>

#include "vuln/importers/importer.h"
#include "support/advisory_data.h"

namespace bulkhead::testing {

struct Parsed {
  bulkhead::Status status;
  std::vector<bulkhead::vuln::Vulnerability> records;
  std::vector<std::string> warnings;
};

inline Parsed parseWith(std::string_view format, const std::string& relativePath,
                        const std::string& text, const bulkhead::vuln::ImportLimits& limits = {}) {
  const auto* importer = bulkhead::vuln::findImporter(format);
  if (importer == nullptr) std::abort();
  bulkhead::vuln::ImportSink sink(limits);
  Parsed out;
  out.status = importer->parse(bulkhead::vuln::ImportFile{relativePath, text}, sink);
  out.records = std::move(sink.records());
  out.warnings = sink.warnings();
  return out;
}

inline const bulkhead::vuln::Vulnerability* findRecord(
    const std::vector<bulkhead::vuln::Vulnerability>& records, const std::string& id) {
  for (const auto& r : records) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

// OSV events of an expected JSON range, as the store's RangeEvent list.
inline std::vector<bulkhead::vuln::RangeEvent> eventsOf(const nlohmann::json& range) {
  std::vector<bulkhead::vuln::RangeEvent> out;
  for (const auto& e : range.at("events")) {
    bulkhead::vuln::RangeEvent ev;
    const std::string kind = e.begin().key();
    const std::string value = e.begin()->get<std::string>();
    if (kind == "introduced") ev.introduced = value;
    if (kind == "fixed") ev.fixed = value;
    if (kind == "last_affected") ev.lastAffected = value;
    if (kind == "limit") ev.limit = value;
    out.push_back(ev);
  }
  return out;
}

}  // namespace bulkhead::testing
