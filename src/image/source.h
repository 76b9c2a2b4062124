#pragma once
// Where an image comes from. An ImageSource resolves a reference to one image (manifest,
// config, layer list) and opens its layer blobs; OCI-shaped sources (layouts, oci-archives,
// registries) implement the smaller OciStore and share resolveOci().

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/stream.h"
#include "image/manifest.h"

namespace bulkhead::image {

struct LayerRef {
  Descriptor blob;  // blob.digest is empty when the source names layers by path only
  Digest diffId;    // digest of the uncompressed tar, from the config's rootfs.diff_ids
  std::string path;  // for sources that address layers by path (docker-archive)
};

struct ResolvedImage {
  std::string mediaType;  // of the manifest
  Digest manifestDigest;  // empty for docker-archive (no manifest blob)
  Digest configDigest;
  std::string rawConfig;
  ImageConfig config;
  std::vector<LayerRef> layers;
  std::vector<std::string> repoTags;
  std::vector<Platform> indexPlatforms;  // what the index offered, if there was one
};

struct ResolveOptions {
  Platform platform;  // linux/amd64 unless asked otherwise
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual std::string describe() const = 0;
  virtual Result<ResolvedImage> resolve(const ResolveOptions& options) = 0;
  // The raw (possibly compressed) bytes of a layer; the caller verifies digests.
  virtual Result<std::unique_ptr<ByteStream>> openLayer(const LayerRef& layer) = 0;
};

struct Document {
  std::string mediaType;
  std::string bytes;
  Digest digest;  // empty when the document has no digest of its own (a layout's index.json)
};

class OciStore {
 public:
  virtual ~OciStore() = default;
  virtual std::string describe() const = 0;
  // The document the reference names: an index or a manifest.
  virtual Result<Document> fetchRoot() = 0;
  // A manifest or index by descriptor, bounded and verified against its digest.
  virtual Result<Document> fetchManifest(const Descriptor& descriptor) = 0;
  // A blob's raw bytes; not verified here.
  virtual Result<std::unique_ptr<ByteStream>> openBlob(const Descriptor& descriptor) = 0;
};

// Walks index -> (nested indexes) -> manifest for the platform, then reads the config.
Result<ResolvedImage> resolveOci(OciStore& store, const ResolveOptions& options);

class OciImageSource final : public ImageSource {
 public:
  explicit OciImageSource(std::unique_ptr<OciStore> store) : store_(std::move(store)) {}
  std::string describe() const override { return store_->describe(); }
  Result<ResolvedImage> resolve(const ResolveOptions& options) override {
    return resolveOci(*store_, options);
  }
  Result<std::unique_ptr<ByteStream>> openLayer(const LayerRef& layer) override {
    return store_->openBlob(layer.blob);
  }

 private:
  std::unique_ptr<OciStore> store_;
};

}  // namespace bulkhead::image
