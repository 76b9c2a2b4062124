// The OCI / Docker document parsers on arbitrary text.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/digest.h"
#include "image/manifest.h"

using namespace bulkhead;
using namespace bulkhead::image;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto type = documentMediaType(text, "fuzz document")) {
    (void)media::isIndex(*type);
    (void)media::isManifest(*type);
  }
  if (auto manifest = parseManifest(text, "fuzz manifest")) {
    if (manifest->config.digest.empty() || manifest->config.size < 0) std::abort();
    for (const auto& layer : manifest->layers) {
      if (layer.digest.empty() || layer.size < 0) std::abort();
      (void)layer.digest.shortStr();
    }
  }
  if (auto index = parseIndex(text, "fuzz index")) {
    const Platform wanted;
    for (const auto& d : index->manifests) {
      if (d.platform) {
        (void)wanted.accepts(*d.platform);
        (void)d.platform->str();
      }
    }
  }
  if (auto config = parseConfig(text, "fuzz config")) {
    for (const auto& id : config->diffIds) {
      if (id.empty()) std::abort();
    }
  }
  if (auto digest = Digest::parse(text)) {
    if (digest->str() != text) std::abort();
  }
  return 0;
}
