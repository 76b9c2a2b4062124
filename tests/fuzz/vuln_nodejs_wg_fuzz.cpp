// The nodejs-wg advisory importer on arbitrary bytes: never crashes, and what it keeps
// respects the limits.

#include "importer_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzzImporter("nodejs-wg", "npm/1.json", data, size);
}
