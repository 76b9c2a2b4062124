#include "image/docker_archive.h"

#include "core/json.h"
#include "core/sha256.h"

namespace bulkhead::image {
namespace {

constexpr size_t kMaxManifest = 4u << 20;
constexpr size_t kMaxConfig = 16u << 20;

// "<64 hex>.json", "<64 hex>.tar", "blobs/sha256/<64 hex>": the digest the path promises.
Digest digestFromPath(std::string_view path) {
  auto slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (const auto dot = base.find('.'); dot != std::string_view::npos) base = base.substr(0, dot);
  auto digest = Digest::parse(fmt::format("sha256:{}", base));
  return digest ? *digest : Digest{};
}

class DockerArchiveSource final : public ImageSource {
 public:
  DockerArchiveSource(std::unique_ptr<ContainerFiles> files, std::string tag)
      : files_(std::move(files)), tag_(std::move(tag)) {}

  std::string describe() const override {
    return fmt::format("docker-archive {}{}", files_->describe(), tag_.empty() ? "" : ":" + tag_);
  }

  Result<ResolvedImage> resolve(const ResolveOptions&) override {
    const std::string what = fmt::format("{} manifest.json", files_->describe());
    auto stream = files_->open("manifest.json");
    if (!stream) return std::move(stream).error();
    auto bytes = readAll(**stream, kMaxManifest, what);
    if (!bytes) return std::move(bytes).error();
    auto root = parseJson(*bytes, what);
    if (!root) return std::move(root).error();
    if (!root->is_array() || root->empty()) return makeError("{}: expected a non-empty array", what);
    const nlohmann::json* entry = nullptr;
    if (tag_.empty()) {
      if (root->size() > 1) {
        return makeError("{}: archive holds {} images; name one with :TAG", what, root->size());
      }
      entry = &(*root)[0];
    } else {
      for (const auto& candidate : *root) {
        const nlohmann::json* tags = jsonArray(candidate, "RepoTags");
        if (tags == nullptr) continue;
        for (const auto& t : *tags) {
          if (!t.is_string()) continue;
          const std::string s = t.get<std::string>();
          if (s == tag_ || s.ends_with(":" + tag_)) entry = &candidate;
        }
      }
      if (entry == nullptr) return makeError("{}: no image tagged '{}'", what, tag_);
    }
    ResolvedImage image;
    image.mediaType = "application/vnd.docker.save.manifest+json";
    if (const nlohmann::json* tags = jsonArray(*entry, "RepoTags")) {
      for (const auto& t : *tags) {
        if (t.is_string()) image.repoTags.push_back(t.get<std::string>());
      }
    }
    const std::string configPath = jsonString(*entry, "Config");
    auto configStream = files_->open(configPath);
    if (!configStream) return std::move(configStream).error();
    const std::string configWhat = fmt::format("{} config {}", files_->describe(), configPath);
    auto raw = readAll(**configStream, kMaxConfig, configWhat);
    if (!raw) return std::move(raw).error();
    const Digest actual = Digest::sha256(Sha256::hex(*raw));
    const Digest promised = digestFromPath(configPath);
    if (!promised.empty() && promised != actual) {
      return makeError("{}: digest mismatch: its name promises {}, content hashes to {}",
                       configWhat, promised.str(), actual.str());
    }
    auto config = parseConfig(*raw, configWhat);
    if (!config) return std::move(config).error();
    const nlohmann::json* layers = jsonArray(*entry, "Layers");
    if (layers == nullptr) return makeError("{}: entry has no Layers array", what);
    if (layers->size() != config->diffIds.size()) {
      return makeError("{}: {} layers but the config has {} diff_ids", what, layers->size(),
                       config->diffIds.size());
    }
    for (size_t i = 0; i < layers->size(); ++i) {
      const auto& node = (*layers)[i];
      if (!node.is_string()) return makeError("{}: layer {} is not a path", what, i);
      LayerRef layer;
      layer.path = node.get<std::string>();
      auto clean = checkRelativePath(layer.path, what);
      if (!clean) return std::move(clean).error();
      layer.diffId = config->diffIds[i];
      layer.blob.mediaType = "application/vnd.docker.image.rootfs.diff.tar";
      // Only a content-addressed path names the blob's own digest; "<id>/layer.tar" does not.
      if (layer.path.starts_with("blobs/")) layer.blob.digest = digestFromPath(layer.path);
      image.layers.push_back(std::move(layer));
    }
    image.configDigest = actual;
    image.rawConfig = std::move(*raw);
    image.config = std::move(*config);
    return image;
  }

  Result<std::unique_ptr<ByteStream>> openLayer(const LayerRef& layer) override {
    return files_->open(layer.path);
  }

 private:
  std::unique_ptr<ContainerFiles> files_;
  std::string tag_;
};

}  // namespace

std::unique_ptr<ImageSource> makeDockerArchiveSource(std::unique_ptr<ContainerFiles> files,
                                                     std::string tag) {
  return std::make_unique<DockerArchiveSource>(std::move(files), std::move(tag));
}

}  // namespace bulkhead::image
