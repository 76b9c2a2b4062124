#pragma once
// The entry point of the image library: open any image reference and get its metadata,
// its merged file system and on-demand file contents. Layers are read in parallel,
// decompressed once, verified, and cached by diff_id.

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "image/capture.h"
#include "image/filesystem.h"
#include "image/layer_reader.h"
#include "image/locator.h"
#include "image/os_release.h"
#include "image/registry_store.h"
#include "image/source.h"

namespace bulkhead::image {

struct ReadOptions {
  ResolveOptions resolve;
  DecompressLimits limits;
  RegistryOptions registry;
  CaptureSpec capture = defaultCapture();
  bool useCache = true;
  std::string cacheDir;  // empty: core's cacheDir()
  unsigned parallelism = 0;  // 0: one thread per core
};

struct LayerSummary {
  Digest blobDigest;
  Digest diffId;
  std::string mediaType;
  Compression compression = Compression::kNone;
  uint64_t compressedBytes = 0;
  uint64_t uncompressedBytes = 0;
  size_t entries = 0;
  bool fromCache = false;
};

class Image {
 public:
  std::string input;  // as the user wrote it
  Locator locator;
  std::string description;  // the source, e.g. "oci layout /x:tag"
  ResolvedImage resolved;   // empty config and layers for a root file system
  std::vector<LayerSummary> layers;
  FileSystemView fs;
  OsInfo os;
  std::vector<std::string> warnings;

  // Reads a file by path (symlinks followed inside the image root).
  Result<std::string> readFile(std::string_view path, size_t maxBytes = 64u << 20) const;
  // The result of the capture rule that matched this file while its layer streamed (for a
  // root file system, computed now), or nullopt when no rule kept anything for it.
  std::optional<std::string> derived(std::string_view path) const;

 private:
  friend Result<Image> openImage(const std::string& input, const ReadOptions& options);
  std::shared_ptr<ImageSource> source_;
  std::vector<std::map<std::string, std::string>> captured_;  // per layer
  std::vector<std::map<std::string, std::string>> derived_;   // per layer
  CaptureSpec capture_;
  DecompressLimits limits_;
};

Result<Image> openImage(const std::string& input, const ReadOptions& options);

}  // namespace bulkhead::image
