#pragma once
// OCI and Docker schema 2 documents: descriptors, manifests, indexes and image configs.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "image/digest.h"

namespace bulkhead::image {

namespace media {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
bool isIndex(std::string_view mediaType);
bool isManifest(std::string_view mediaType);
}  // namespace media

struct Platform {
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant;

  std::string str() const;
  // "linux/amd64", "linux/arm64/v8".
  static Result<Platform> parse(std::string_view text);
  // True when `candidate` runs here; an empty variant in the wish matches any variant.
  bool accepts(const Platform& candidate) const;
};

struct Descriptor {
  std::string mediaType;
  Digest digest;
  int64_t size = -1;  // -1: unknown (docker-archive layers)
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;
};

struct Manifest {
  std::string mediaType;
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct ImageIndex {
  std::string mediaType;
  std::vector<Descriptor> manifests;
};

struct HealthCheck {
  std::vector<std::string> test;
  int64_t intervalNs = 0;
  int64_t timeoutNs = 0;
  int64_t startPeriodNs = 0;
  int64_t retries = 0;
};

struct HistoryEntry {
  std::string created;
  std::string createdBy;
  std::string comment;
  bool emptyLayer = false;
};

struct ImageConfig {
  std::string architecture;
  std::string os;
  std::string variant;
  std::string created;
  std::string author;
  std::string user;
  std::string workingDir;
  std::string stopSignal;
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> exposedPorts;
  std::vector<std::string> volumes;
  std::map<std::string, std::string> labels;
  std::optional<HealthCheck> healthcheck;
  std::vector<HistoryEntry> history;
  std::vector<Digest> diffIds;
};

// Each parser bounds its input and names `what` in errors.
Result<Manifest> parseManifest(std::string_view text, std::string_view what);
Result<ImageIndex> parseIndex(std::string_view text, std::string_view what);
Result<ImageConfig> parseConfig(std::string_view text, std::string_view what);
// The media type a document declares, or "" when it declares none.
Result<std::string> documentMediaType(std::string_view text, std::string_view what);

}  // namespace bulkhead::image
