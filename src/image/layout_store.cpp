#include "image/layout_store.h"

#include "core/json.h"
#include "image/verify.h"

namespace bulkhead::image {
namespace {

constexpr size_t kMaxDocument = 4u << 20;
constexpr std::string_view kRefName = "org.opencontainers.image.ref.name";

std::string blobPath(const Digest& digest) {
  return "blobs/" + digest.algorithm + "/" + digest.hex;
}

class LayoutStore final : public OciStore {
 public:
  LayoutStore(std::unique_ptr<ContainerFiles> files, std::string kind, std::string tag)
      : files_(std::move(files)), kind_(std::move(kind)), tag_(std::move(tag)) {}

  std::string describe() const override {
    return fmt::format("{} {}{}", kind_, files_->describe(), tag_.empty() ? "" : ":" + tag_);
  }

  Result<Document> fetchRoot() override {
    const std::string what = fmt::format("{} index.json", files_->describe());
    auto stream = files_->open("index.json");
    if (!stream) return std::move(stream).error();
    auto bytes = readAll(**stream, kMaxDocument, what);
    if (!bytes) return std::move(bytes).error();
    if (tag_.empty()) return Document{std::string(media::kOciIndex), std::move(*bytes), {}};
    auto index = parseIndex(*bytes, what);
    if (!index) return std::move(index).error();
    std::string tags;
    for (const auto& d : index->manifests) {
      auto name = d.annotations.find(std::string(kRefName));
      if (name == d.annotations.end()) continue;
      if (name->second == tag_ || name->second.ends_with(":" + tag_)) return fetchManifest(d);
      tags += (tags.empty() ? "" : ", ") + name->second;
    }
    return makeError("{}: no image tagged '{}' (tags: {})", what, tag_, tags.empty() ? "none" : tags);
  }

  Result<Document> fetchManifest(const Descriptor& descriptor) override {
    auto stream = openBlob(descriptor);
    if (!stream) return std::move(stream).error();
    const std::string what = fmt::format("{} blob {}", files_->describe(), descriptor.digest.str());
    auto bytes = readVerified(**stream, descriptor.digest, descriptor.size, kMaxDocument, what);
    if (!bytes) return std::move(bytes).error();
    return Document{descriptor.mediaType, std::move(*bytes), descriptor.digest};
  }

  Result<std::unique_ptr<ByteStream>> openBlob(const Descriptor& descriptor) override {
    if (descriptor.digest.empty()) {
      return makeError("{}: descriptor without a digest", files_->describe());
    }
    auto stream = files_->open(blobPath(descriptor.digest));
    if (!stream) {
      return makeError("{}: blob {} is missing: {}", describe(), descriptor.digest.str(),
                       stream.error().message);
    }
    return stream;
  }

 private:
  std::unique_ptr<ContainerFiles> files_;
  std::string kind_;
  std::string tag_;
};

}  // namespace

std::unique_ptr<OciStore> makeLayoutStore(std::unique_ptr<ContainerFiles> files, std::string kind,
                                          std::string tag) {
  return std::make_unique<LayoutStore>(std::move(files), std::move(kind), std::move(tag));
}

}  // namespace bulkhead::image
