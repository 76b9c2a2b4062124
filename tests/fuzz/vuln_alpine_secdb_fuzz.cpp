// The alpine-secdb advisory importer on arbitrary bytes: never crashes, and what it keeps
// respects the limits.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "vuln/importers/importer.h"

using namespace bulkhead::vuln;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Importer* importer = findImporter("alpine-secdb");
  if (importer == nullptr) std::abort();
  const std::string text(reinterpret_cast<const char*>(data), size);
  ImportLimits limits;
  limits.maxWarnings = 8;
  ImportSink sink(limits);
  // The first byte picks the file name the importer sees (JSON vs YAML, npm vs core).
  const char* names[] = {"v3.11/main.yaml", "a.json",     "a.yaml",
                         "core/7.json",     "npm/3.json", "list"};
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
