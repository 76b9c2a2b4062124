#pragma once
// Streams one layer: raw blob -> digest check -> decompression -> diff_id check -> tar
// entries. Entry names that leave the root and hardlinks to outside it are errors.

#include "core/stream.h"
#include "image/capture.h"
#include "image/layer.h"
#include "image/source.h"

namespace bulkhead::image {

struct LayerReadOptions {
  DecompressLimits limits;
  const CaptureSpec* captureSpec = nullptr;  // rules, tried first
  CapturePredicate capture;                  // plain keep-as-is, for files up to the size below
  size_t captureMaxBytes = 4u << 20;
  size_t maxEntries = 2'000'000;
  size_t maxPathBytes = 4096;
  // Decompress on a second thread while this one hashes and parses the tar.
  bool pipeline = false;
};

Result<LayerContents> readLayer(ByteStream& raw, const LayerRef& layer,
                                const LayerReadOptions& options, const std::string& what);

// Streams a whole layer and returns the contents of the last entry named `path` (at most
// `maxBytes`). The blob and the diff_id are verified again: the file may have changed on
// disk since the layer was first read.
Result<std::string> readLayerFile(ByteStream& raw, const LayerRef& layer, const std::string& path,
                                  size_t maxBytes, const DecompressLimits& limits,
                                  const std::string& what);

// Cleans a tar member name: strips "./" components; rejects absolute names, ".." and NUL.
Result<std::string> cleanEntryPath(std::string_view name, size_t maxBytes);

}  // namespace bulkhead::image
