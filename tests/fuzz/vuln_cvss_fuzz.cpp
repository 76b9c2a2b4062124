// CVSS vector scoring on arbitrary text: a score is always within 0..10.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "vuln/cvss.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto score = bulkhead::vuln::cvssBaseScore(text);
  if (score.ok() && (score->base < 0 || score->base > 10)) std::abort();
  if (score.ok() && bulkhead::vuln::severityOfScore(score->base).empty()) std::abort();
  return 0;
}
