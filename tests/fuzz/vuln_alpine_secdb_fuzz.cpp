// The alpine-secdb advisory importer on arbitrary bytes: never crashes, and what it keeps
// respects the limits.

#include "importer_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzzImporter("alpine-secdb", "v3.11/main.yaml", data, size);
}
