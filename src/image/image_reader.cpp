#include "image/image_reader.h"

#include <atomic>
#include <thread>

#include "core/paths.h"
#include "image/docker_archive.h"
#include "image/layer_cache.h"
#include "image/layout_store.h"
#include "image/rootfs.h"

namespace bulkhead::image {
namespace {

Result<std::shared_ptr<ImageSource>> makeSource(const Locator& loc, const ReadOptions& options) {
  switch (loc.kind) {
    case SourceKind::kOciLayout:
      return std::shared_ptr<ImageSource>(std::make_shared<OciImageSource>(
          makeLayoutStore(directoryFiles(loc.path), "oci layout", loc.tag)));
    case SourceKind::kOciArchive:
      return std::shared_ptr<ImageSource>(std::make_shared<OciImageSource>(
          makeLayoutStore(archiveFiles(loc.path), "oci-archive", loc.tag)));
    case SourceKind::kDockerArchive:
      return std::shared_ptr<ImageSource>(makeDockerArchiveSource(archiveFiles(loc.path), loc.tag));
    case SourceKind::kRegistry: {
      RegistryOptions registry = options.registry;
      if (registry.blobCacheDir.empty()) {
        registry.blobCacheDir = (options.cacheDir.empty() ? cacheDir() : options.cacheDir) + "/blobs";
      }
      return std::shared_ptr<ImageSource>(
          std::make_shared<OciImageSource>(makeRegistryStore(loc.reference, registry)));
    }
    case SourceKind::kRootfs:
      break;
  }
  return makeError("{}: not an image source", loc.path);
}

struct LayerJob {
  Result<LayerContents> result = Error{"not read"};
  bool fromCache = false;
};

Result<LayerContents> readOneLayer(ImageSource& source, const LayerRef& layer, size_t index,
                                   const ReadOptions& options) {
  const std::string what =
      fmt::format("{} layer {} ({})", source.describe(), index + 1,
                  layer.blob.digest.empty() ? layer.path : layer.blob.digest.str());
  auto raw = source.openLayer(layer);
  if (!raw) return std::move(raw).error();
  LayerReadOptions readOptions;
  readOptions.limits = options.limits;
  readOptions.captureSpec = &options.capture;
  // A big layer keeps a second core busy inflating while this one hashes and parses.
  readOptions.pipeline = std::thread::hardware_concurrency() > 1 &&
                         (layer.blob.size < 0 || layer.blob.size > (4 << 20));
  return readLayer(**raw, layer, readOptions, what);
}

// Reads every layer, in parallel, from the cache where possible.
std::vector<LayerJob> readLayers(ImageSource& source, const std::vector<LayerRef>& layers,
                                 const ReadOptions& options) {
  std::vector<LayerJob> jobs(layers.size());
  const std::string directory = (options.cacheDir.empty() ? cacheDir() : options.cacheDir) + "/layers";
  const LayerCache cache(directory, options.capture.key());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < layers.size(); i = next++) {
      if (options.useCache) {
        if (auto cached = cache.load(layers[i].blob.digest, layers[i].diffId)) {
          jobs[i].result = std::move(*cached);
          jobs[i].fromCache = true;
          continue;
        }
      }
      jobs[i].result = readOneLayer(source, layers[i], i, options);
      if (jobs[i].result && options.useCache) cache.store(layers[i].blob.digest, *jobs[i].result);
    }
  };
  unsigned threads = options.parallelism ? options.parallelism : std::thread::hardware_concurrency();
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(layers.size())));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return jobs;
}

}  // namespace

Result<std::string> Image::readFile(std::string_view path, size_t maxBytes) const {
  auto resolvedPath = fs.resolve(path);
  if (!resolvedPath) return std::move(resolvedPath).error();
  const FileNode* node = fs.find(*resolvedPath);
  if (node == nullptr) return makeError("{}: no file /{}", description, *resolvedPath);
  std::string target = *resolvedPath;
  if (node->type == EntryType::kHardlink) {
    target = node->linkTarget;
    node = fs.find(target);
    if (node == nullptr) return makeError("{}: hardlink /{} points to a missing file", description, path);
  }
  if (node->type != EntryType::kFile && node->type != EntryType::kHardlink) {
    return makeError("{}: /{} is a {}, not a regular file", description, target,
                     entryTypeName(node->type));
  }
  if (locator.kind == SourceKind::kRootfs) return readRootfsFile(locator.path, target, maxBytes);
  const auto layer = static_cast<size_t>(node->layer);
  if (layer < captured_.size()) {
    if (auto it = captured_[layer].find(target); it != captured_[layer].end()) {
      if (it->second.size() > maxBytes) {
        return makeError("{}: /{} is larger than {} bytes", description, target, maxBytes);
      }
      return it->second;
    }
  }
  if (!source_ || layer >= resolved.layers.size()) {
    return makeError("{}: /{} has no layer to read from", description, target);
  }
  auto raw = source_->openLayer(resolved.layers[layer]);
  if (!raw) return std::move(raw).error();
  return readLayerFile(**raw, resolved.layers[layer], target, maxBytes, limits_,
                       fmt::format("{} layer {}", description, layer + 1));
}

std::optional<std::string> Image::derived(std::string_view path) const {
  auto resolvedPath = fs.resolve(path);
  if (!resolvedPath) return std::nullopt;
  const FileNode* node = fs.find(*resolvedPath);
  if (node == nullptr || node->type != EntryType::kFile) return std::nullopt;
  if (locator.kind == SourceKind::kRootfs) {
    const CaptureRule* rule = capture_.match(*resolvedPath, node->mode, node->size);
    if (rule == nullptr || !rule->transform) return std::nullopt;
    auto data = readRootfsFile(locator.path, *resolvedPath, rule->maxBytes);
    if (!data) return std::nullopt;
    return rule->transform(*resolvedPath, *data);
  }
  const auto layer = static_cast<size_t>(node->layer);
  if (layer >= derived_.size()) return std::nullopt;
  auto it = derived_[layer].find(*resolvedPath);
  if (it == derived_[layer].end()) return std::nullopt;
  return it->second;
}

Result<Image> openImage(const std::string& input, const ReadOptions& options) {
  auto loc = parseLocator(input);
  if (!loc) return std::move(loc).error();
  Image image;
  image.input = input;
  image.locator = std::move(*loc);
  image.limits_ = options.limits;
  image.capture_ = options.capture;
  if (image.locator.kind == SourceKind::kRootfs) {
    image.description = "rootfs " + image.locator.path;
    auto scanned = scanRootfs(image.locator.path, image.fs, image.warnings);
    if (!scanned) return scanned.error();
  } else {
    auto source = makeSource(image.locator, options);
    if (!source) return std::move(source).error();
    image.source_ = std::move(*source);
    image.description = image.source_->describe();
    auto resolved = image.source_->resolve(options.resolve);
    if (!resolved) return std::move(resolved).error();
    image.resolved = std::move(*resolved);
    auto jobs = readLayers(*image.source_, image.resolved.layers, options);
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (!jobs[i].result) return std::move(jobs[i].result).error();
      LayerContents& contents = *jobs[i].result;
      const LayerRef& ref = image.resolved.layers[i];
      image.layers.push_back(LayerSummary{ref.blob.digest, ref.diffId, ref.blob.mediaType,
                                          contents.compression, contents.compressedBytes,
                                          contents.uncompressedBytes, contents.entries.size(),
                                          jobs[i].fromCache});
      for (auto& w : contents.warnings) image.warnings.push_back(fmt::format("layer {}: {}", i + 1, w));
      image.fs.applyLayer(static_cast<int>(i), contents.entries, image.warnings);
      image.captured_.push_back(std::move(contents.captured));
      image.derived_.push_back(std::move(contents.derived));
    }
  }
  image.os = detectOs([&image](std::string_view path) -> std::optional<std::string> {
    auto text = image.readFile(path, 1u << 20);
    if (!text) return std::nullopt;
    return std::move(*text);
  });
  return image;
}

}  // namespace bulkhead::image
