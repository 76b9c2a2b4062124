#pragma once
// Per-layer results on disk, keyed by diff_id (the digest of the uncompressed layer, so a
// layer compressed two ways is read once) and by the capture spec. Cache files are
// checked as strictly as any input: a damaged one is ignored and rewritten.

#include <optional>
#include <string>

#include "image/layer.h"

namespace bulkhead::image {

class LayerCache {
 public:
  LayerCache(std::string directory, std::string captureKey)
      : directory_(std::move(directory)), captureKey_(std::move(captureKey)) {}
  std::optional<LayerContents> load(const Digest& diffId) const;
  void store(const LayerContents& contents) const;

  // The serialized form, exposed for tests and the fuzzer.
  static std::string encode(const LayerContents& contents);
  static Result<LayerContents> decode(std::string_view bytes);

 private:
  std::string pathFor(const Digest& diffId) const;
  std::string directory_;
  std::string captureKey_;
};

}  // namespace bulkhead::image
