#pragma once
// Per-layer results on disk, keyed by the blob digest together with the diff_id and the
// capture spec. Both digests: a blob is content-addressed, so whoever names blob X gets
// X's contents, and X was seen to decompress to that diff_id. A diff_id alone is only a
// claim (a hostile config could name another image's clean layer), so layers without a
// blob digest (docker-archive) are never cached. Cache files are checked as strictly as
// any input: a damaged one is ignored and rewritten.

#include <optional>
#include <string>

#include "image/layer.h"

namespace bulkhead::image {

class LayerCache {
 public:
  LayerCache(std::string directory, std::string captureKey)
      : directory_(std::move(directory)), captureKey_(std::move(captureKey)) {}
  std::optional<LayerContents> load(const Digest& blob, const Digest& diffId) const;
  void store(const Digest& blob, const LayerContents& contents) const;

  // The serialized form, exposed for tests and the fuzzer.
  static std::string encode(const LayerContents& contents);
  static Result<LayerContents> decode(std::string_view bytes);

 private:
  std::string pathFor(const Digest& blob, const Digest& diffId) const;
  std::string directory_;
  std::string captureKey_;
};

}  // namespace bulkhead::image
