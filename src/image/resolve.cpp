#include "image/source.h"

#include "core/log.h"
#include "image/verify.h"

namespace bulkhead::image {
namespace {

constexpr int kMaxIndexDepth = 4;
constexpr size_t kMaxConfigBytes = 16u << 20;

// Picks the manifest for `wanted` from an index. Entries without a platform are taken
// only when they are the sole entry (a layout's index.json holding one image).
Result<Descriptor> choose(const ImageIndex& index, const Platform& wanted, std::string_view what,
                          std::vector<Platform>& offered) {
  const Descriptor* noPlatform = nullptr;
  size_t withoutPlatform = 0;
  for (const auto& d : index.manifests) {
    if (d.platform) {
      offered.push_back(*d.platform);
    } else {
      ++withoutPlatform;
      noPlatform = &d;
    }
  }
  for (const auto& d : index.manifests) {
    if (d.platform && wanted.accepts(*d.platform)) return d;
  }
  if (withoutPlatform == 1 && offered.empty()) return *noPlatform;
  if (index.manifests.empty()) return makeError("{}: index lists no manifests", what);
  std::string list;
  for (const auto& p : offered) list += (list.empty() ? "" : ", ") + p.str();
  if (withoutPlatform > 1 && offered.empty()) {
    return makeError("{}: index holds {} images without platforms; name one by tag", what,
                     withoutPlatform);
  }
  return makeError("{}: no manifest for platform {} (available: {})", what, wanted.str(),
                   list.empty() ? "none" : list);
}

}  // namespace

Result<ResolvedImage> resolveOci(OciStore& store, const ResolveOptions& options) {
  const std::string where = store.describe();
  auto doc = store.fetchRoot();
  if (!doc) return std::move(doc).error();
  ResolvedImage image;
  for (int depth = 0;; ++depth) {
    std::string what = doc->digest.empty() ? where + " index.json"
                                           : fmt::format("{} {}", where, doc->digest.shortStr());
    if (doc->mediaType.empty()) {
      auto type = documentMediaType(doc->bytes, what);
      if (!type) return std::move(type).error();
      doc->mediaType = std::move(*type);
    }
    if (media::isManifest(doc->mediaType)) break;
    if (!media::isIndex(doc->mediaType)) {
      return makeError("{}: unsupported media type '{}'", what, doc->mediaType);
    }
    if (depth >= kMaxIndexDepth) {
      return makeError("{}: indexes nested deeper than {} levels", what, kMaxIndexDepth);
    }
    auto index = parseIndex(doc->bytes, what);
    if (!index) return std::move(index).error();
    image.indexPlatforms.clear();
    auto chosen = choose(*index, options.platform, what, image.indexPlatforms);
    if (!chosen) return std::move(chosen).error();
    if (chosen->mediaType.empty()) {
      return makeError("{}: descriptor {} has no media type", what, chosen->digest.str());
    }
    doc = store.fetchManifest(*chosen);
    if (!doc) return std::move(doc).error();
    if (doc->mediaType.empty()) doc->mediaType = chosen->mediaType;
  }
  const std::string what = fmt::format("{} manifest {}", where, doc->digest.shortStr());
  auto manifest = parseManifest(doc->bytes, what);
  if (!manifest) return std::move(manifest).error();
  image.mediaType = doc->mediaType;
  image.manifestDigest = doc->digest;

  auto configStream = store.openBlob(manifest->config);
  if (!configStream) return std::move(configStream).error();
  const std::string configWhat = fmt::format("{} config {}", where, manifest->config.digest.str());
  auto raw = readVerified(**configStream, manifest->config.digest, manifest->config.size,
                          kMaxConfigBytes, configWhat);
  if (!raw) return std::move(raw).error();
  auto config = parseConfig(*raw, configWhat);
  if (!config) return std::move(config).error();
  if (config->diffIds.size() != manifest->layers.size()) {
    return makeError("{}: manifest lists {} layers but the config has {} diff_ids", what,
                     manifest->layers.size(), config->diffIds.size());
  }
  if (!config->architecture.empty() && image.indexPlatforms.empty() &&
      (config->architecture != options.platform.architecture || config->os != options.platform.os)) {
    log::warn("{}: image is for {}/{}, not {}", where, config->os, config->architecture,
              options.platform.str());
  }
  for (size_t i = 0; i < manifest->layers.size(); ++i) {
    image.layers.push_back(LayerRef{manifest->layers[i], config->diffIds[i], {}});
  }
  image.configDigest = manifest->config.digest;
  image.rawConfig = std::move(*raw);
  image.config = std::move(*config);
  return image;
}

}  // namespace bulkhead::image
