#pragma once
// Writes OCI image layouts for tests from layer tars made in the test, so that every
// fixture (good or hostile) is generated, never a committed blob.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bulkhead::testing {

class LayoutBuilder {
 public:
  explicit LayoutBuilder(std::string directory);
  const std::string& directory() const { return directory_; }

  // Stores a blob; returns "sha256:<hex>".
  std::string putBlob(const std::string& bytes);
  std::string blobPath(const std::string& digest) const;

  // Builds config + manifest for uncompressed layer tars; `compression` is gzip, zstd or
  // none. Returns the manifest descriptor (with platform).
  nlohmann::json image(const std::vector<std::string>& tars, const std::string& compression = "gzip",
                       const nlohmann::json& config = nlohmann::json::object(),
                       const std::string& architecture = "amd64");
  // Stores an index over descriptors; returns its descriptor.
  nlohmann::json index(const std::vector<nlohmann::json>& manifests);
  // Writes index.json listing descriptors, tagging each with `tags` (same order) if given.
  void writeIndexJson(std::vector<nlohmann::json> descriptors,
                      const std::vector<std::string>& tags = {});

 private:
  std::string directory_;
};

// A fresh empty directory under the test's temp dir.
std::string makeTempDir(const std::string& name);

}  // namespace bulkhead::testing
