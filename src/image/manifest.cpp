#include "image/manifest.h"

#include "core/json.h"

namespace bulkhead::image {

using nlohmann::json;

namespace media {
bool isIndex(std::string_view mediaType) {
  return mediaType == kOciIndex || mediaType == kDockerList;
}
bool isManifest(std::string_view mediaType) {
  return mediaType == kOciManifest || mediaType == kDockerManifest;
}
}  // namespace media

namespace {

constexpr JsonLimits kManifestLimits{4u << 20, 32};
constexpr JsonLimits kConfigLimits{16u << 20, 32};
constexpr size_t kMaxEntries = 10000;

std::vector<std::string> stringList(const json& object, std::string_view key) {
  std::vector<std::string> out;
  const json* array = jsonArray(object, key);
  if (array == nullptr) {
    // Docker accepts a plain string for Cmd/Entrypoint in some writers.
    std::string single = jsonString(object, key);
    if (!single.empty()) out.push_back(std::move(single));
    return out;
  }
  for (const auto& item : *array) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> stringMap(const json& object, std::string_view key) {
  std::map<std::string, std::string> out;
  const json* map = jsonObject(object, key);
  if (map == nullptr) return out;
  for (const auto& [k, v] : map->items()) {
    if (v.is_string()) out.emplace(k, v.get<std::string>());
  }
  return out;
}

std::vector<std::string> keysOf(const json& object, std::string_view key) {
  std::vector<std::string> out;
  const json* map = jsonObject(object, key);
  if (map == nullptr) return out;
  for (const auto& item : map->items()) out.push_back(item.key());
  return out;
}

Result<Descriptor> parseDescriptor(const json& node, std::string_view what) {
  if (!node.is_object()) return makeError("{}: descriptor is not an object", what);
  Descriptor d;
  d.mediaType = jsonString(node, "mediaType");
  auto digest = Digest::parse(jsonString(node, "digest"));
  if (!digest) return withContext(what, std::move(digest).error());
  d.digest = std::move(*digest);
  d.size = jsonInt(node, "size", -1);
  if (d.size < 0) return makeError("{}: descriptor {} has no valid size", what, d.digest.str());
  if (const json* p = jsonObject(node, "platform")) {
    Platform platform;
    platform.os = jsonString(*p, "os");
    platform.architecture = jsonString(*p, "architecture");
    platform.variant = jsonString(*p, "variant");
    d.platform = std::move(platform);
  }
  d.annotations = stringMap(node, "annotations");
  return d;
}

Result<std::vector<Descriptor>> parseDescriptors(const json& root, std::string_view key,
                                                 std::string_view what) {
  std::vector<Descriptor> out;
  const json* array = jsonArray(root, key);
  if (array == nullptr) return makeError("{}: missing '{}' array", what, key);
  if (array->size() > kMaxEntries) {
    return makeError("{}: {} entries in '{}' exceeds the limit of {}", what, array->size(), key,
                     kMaxEntries);
  }
  for (const auto& node : *array) {
    auto d = parseDescriptor(node, what);
    if (!d) return std::move(d).error();
    out.push_back(std::move(*d));
  }
  return out;
}

int64_t durationField(const json& object, std::string_view key) {
  const int64_t value = jsonInt(object, key, 0);
  return value < 0 ? 0 : value;
}

}  // namespace

std::string Platform::str() const {
  std::string out = os + "/" + architecture;
  if (!variant.empty()) out += "/" + variant;
  return out;
}

Result<Platform> Platform::parse(std::string_view text) {
  Platform p;
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t slash = text.find('/', start);
    const size_t end = slash == std::string_view::npos ? text.size() : slash;
    parts.emplace_back(text.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    return makeError("platform '{}': expected os/architecture[/variant]", text);
  }
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

bool Platform::accepts(const Platform& candidate) const {
  if (candidate.os != os || candidate.architecture != architecture) return false;
  return variant.empty() || candidate.variant == variant;
}

Result<std::string> documentMediaType(std::string_view text, std::string_view what) {
  auto root = parseJson(text, what, kManifestLimits);
  if (!root) return std::move(root).error();
  if (!root->is_object()) return makeError("{}: not a JSON object", what);
  std::string type = jsonString(*root, "mediaType");
  if (type.empty() && jsonArray(*root, "manifests") != nullptr) type = std::string(media::kOciIndex);
  if (type.empty() && jsonArray(*root, "layers") != nullptr) {
    type = std::string(media::kOciManifest);
  }
  return type;
}

Result<Manifest> parseManifest(std::string_view text, std::string_view what) {
  auto root = parseJson(text, what, kManifestLimits);
  if (!root) return std::move(root).error();
  if (!root->is_object()) return makeError("{}: manifest is not a JSON object", what);
  if (jsonInt(*root, "schemaVersion") != 2) {
    return makeError("{}: unsupported manifest schemaVersion {} (only 2 is supported)", what,
                     jsonInt(*root, "schemaVersion"));
  }
  Manifest m;
  m.mediaType = jsonString(*root, "mediaType", std::string(media::kOciManifest));
  const json* config = jsonObject(*root, "config");
  if (config == nullptr) return makeError("{}: manifest has no config descriptor", what);
  auto configDescriptor = parseDescriptor(*config, what);
  if (!configDescriptor) return std::move(configDescriptor).error();
  m.config = std::move(*configDescriptor);
  auto layers = parseDescriptors(*root, "layers", what);
  if (!layers) return std::move(layers).error();
  m.layers = std::move(*layers);
  return m;
}

Result<ImageIndex> parseIndex(std::string_view text, std::string_view what) {
  auto root = parseJson(text, what, kManifestLimits);
  if (!root) return std::move(root).error();
  if (!root->is_object()) return makeError("{}: index is not a JSON object", what);
  if (jsonInt(*root, "schemaVersion") != 2) {
    return makeError("{}: unsupported index schemaVersion {} (only 2 is supported)", what,
                     jsonInt(*root, "schemaVersion"));
  }
  ImageIndex index;
  index.mediaType = jsonString(*root, "mediaType", std::string(media::kOciIndex));
  auto manifests = parseDescriptors(*root, "manifests", what);
  if (!manifests) return std::move(manifests).error();
  index.manifests = std::move(*manifests);
  return index;
}

Result<ImageConfig> parseConfig(std::string_view text, std::string_view what) {
  auto root = parseJson(text, what, kConfigLimits);
  if (!root) return std::move(root).error();
  if (!root->is_object()) return makeError("{}: image config is not a JSON object", what);
  ImageConfig c;
  c.architecture = jsonString(*root, "architecture");
  c.os = jsonString(*root, "os");
  c.variant = jsonString(*root, "variant");
  c.created = jsonString(*root, "created");
  c.author = jsonString(*root, "author");
  if (const json* cfg = jsonObject(*root, "config")) {
    c.user = jsonString(*cfg, "User");
    c.workingDir = jsonString(*cfg, "WorkingDir");
    c.stopSignal = jsonString(*cfg, "StopSignal");
    c.env = stringList(*cfg, "Env");
    c.entrypoint = stringList(*cfg, "Entrypoint");
    c.cmd = stringList(*cfg, "Cmd");
    c.exposedPorts = keysOf(*cfg, "ExposedPorts");
    c.volumes = keysOf(*cfg, "Volumes");
    c.labels = stringMap(*cfg, "Labels");
    if (const json* hc = jsonObject(*cfg, "Healthcheck")) {
      HealthCheck h;
      h.test = stringList(*hc, "Test");
      h.intervalNs = durationField(*hc, "Interval");
      h.timeoutNs = durationField(*hc, "Timeout");
      h.startPeriodNs = durationField(*hc, "StartPeriod");
      h.retries = durationField(*hc, "Retries");
      c.healthcheck = std::move(h);
    }
  }
  if (const json* history = jsonArray(*root, "history")) {
    if (history->size() > kMaxEntries) {
      return makeError("{}: {} history entries exceeds the limit of {}", what, history->size(),
                       kMaxEntries);
    }
    for (const auto& node : *history) {
      HistoryEntry h;
      h.created = jsonString(node, "created");
      h.createdBy = jsonString(node, "created_by");
      h.comment = jsonString(node, "comment");
      h.emptyLayer = jsonBool(node, "empty_layer");
      c.history.push_back(std::move(h));
    }
  }
  if (const json* rootfs = jsonObject(*root, "rootfs")) {
    if (const json* ids = jsonArray(*rootfs, "diff_ids")) {
      if (ids->size() > kMaxEntries) return makeError("{}: too many diff_ids", what);
      for (const auto& id : *ids) {
        auto digest = Digest::parse(id.is_string() ? id.get<std::string>() : std::string());
        if (!digest) return withContext(fmt::format("{}: rootfs.diff_ids", what), std::move(digest).error());
        c.diffIds.push_back(std::move(*digest));
      }
    }
  }
  return c;
}

}  // namespace bulkhead::image
