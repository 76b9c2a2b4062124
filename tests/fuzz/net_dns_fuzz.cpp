// The dns detector on arbitrary flows (net_detector_fuzz.h).
#include "net_detector_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzzDetector(bulkhead::net::dnsDetector(), data, size);
}
