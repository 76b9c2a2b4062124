// Ignore files (YAML or plain id lines) and OpenVEX documents on arbitrary bytes: bounded,
// never a crash; whatever parses has an id (ignore rules) or a vulnerability name (VEX).

#include <cstdint>
#include <cstdlib>
#include <string>

#include "vuln/suppress.h"

using namespace bulkhead::vuln;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto rules = parseIgnoreFile(text, "fuzz.yaml")) {
    for (const auto& r : *rules) {
      if (r.id.empty() || r.reason.empty()) std::abort();
    }
  }
  if (auto vex = parseOpenVex(text, "fuzz.vex.json")) {
    for (const auto& s : *vex) {
      if (s.vulnerabilities.empty()) std::abort();
    }
  }
  return 0;
}
