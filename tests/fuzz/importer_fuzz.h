#pragma once
// The body every advisory importer's fuzz target shares: arbitrary bytes, under a file
// name the first byte picks (`ownName`, the kind of file the importer expects, or another
// importer's), must never crash, and what is kept must respect the limits.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "vuln/importers/importer.h"

inline int fuzzImporter(const char* importerName, const char* ownName, const uint8_t* data, size_t size) {
  using namespace bulkhead::vuln;
  static const Importer* importer = findImporter(importerName);
  if (importer == nullptr) std::abort();
  const std::string text(reinterpret_cast<const char*>(data), size);
  ImportLimits limits;
  limits.maxWarnings = 8;
  ImportSink sink(limits);
  const char* names[] = {ownName, "a.json", "a.yaml", "core/7.json", "npm/3.json", "list"};
  const char* name = names[size > 0 ? data[0] % 6 : 0];
  const auto status = importer->parse(ImportFile{name, text}, sink);
  if (!status.ok() && status.error().message.empty()) std::abort();
  if (sink.warnings().size() > limits.maxWarnings) std::abort();
  for (const auto& record : sink.records()) {
    if (record.id.empty() || record.details.size() > kMaxDetails) std::abort();
    for (const auto& affected : record.affected) {
      if (affected.ecosystem.empty() || affected.status.empty()) std::abort();
    }
  }
  return 0;
}
