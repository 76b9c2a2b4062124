#include "support/layout_builder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/tar_builder.h"

namespace bulkhead::testing {
namespace {

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace

std::string makeTempDir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string base = ::testing::TempDir() + "bulkhead-" +
                     (info ? std::string(info->test_suite_name()) + "-" + info->name() : "x") + "-" +
                     name;
  std::filesystem::remove_all(base);
  std::filesystem::create_directories(base);
  return base;
}

LayoutBuilder::LayoutBuilder(std::string directory) : directory_(std::move(directory)) {
  std::filesystem::create_directories(directory_ + "/blobs/sha256");
  writeFile(directory_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
}

std::string LayoutBuilder::blobPath(const std::string& digest) const {
  return directory_ + "/blobs/sha256/" + digest.substr(7);
}

std::string LayoutBuilder::putBlob(const std::string& bytes) {
  const std::string digest = sha256Digest(bytes);
  writeFile(blobPath(digest), bytes);
  return digest;
}

nlohmann::json LayoutBuilder::image(const std::vector<std::string>& tars,
                                    const std::string& compression, const nlohmann::json& config,
                                    const std::string& architecture) {
  nlohmann::json diffIds = nlohmann::json::array();
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& tar : tars) {
    diffIds.push_back(sha256Digest(tar));
    std::string blob = tar;
    std::string mediaType = "application/vnd.oci.image.layer.v1.tar";
    if (compression == "gzip") {
      blob = gzipBytes(tar);
      mediaType += "+gzip";
    } else if (compression == "zstd") {
      blob = zstdBytes(tar);
      mediaType += "+zstd";
    }
    layers.push_back({{"mediaType", mediaType}, {"digest", putBlob(blob)}, {"size", blob.size()}});
  }
  nlohmann::json cfg = {{"architecture", architecture},
                        {"os", "linux"},
                        {"config", config},
                        {"rootfs", {{"type", "layers"}, {"diff_ids", diffIds}}}};
  const std::string configBytes = cfg.dump();
  nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       {{"mediaType", "application/vnd.oci.image.config.v1+json"},
        {"digest", putBlob(configBytes)},
        {"size", configBytes.size()}}},
      {"layers", layers}};
  const std::string manifestBytes = manifest.dump();
  return {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
          {"digest", putBlob(manifestBytes)},
          {"size", manifestBytes.size()},
          {"platform", {{"os", "linux"}, {"architecture", architecture}}}};
}

nlohmann::json LayoutBuilder::index(const std::vector<nlohmann::json>& manifests) {
  nlohmann::json idx = {{"schemaVersion", 2},
                        {"mediaType", "application/vnd.oci.image.index.v1+json"},
                        {"manifests", manifests}};
  const std::string bytes = idx.dump();
  return {{"mediaType", "application/vnd.oci.image.index.v1+json"},
          {"digest", putBlob(bytes)},
          {"size", bytes.size()}};
}

void LayoutBuilder::writeIndexJson(std::vector<nlohmann::json> descriptors,
                                   const std::vector<std::string>& tags) {
  for (size_t i = 0; i < descriptors.size() && i < tags.size(); ++i) {
    descriptors[i]["annotations"] = {{"org.opencontainers.image.ref.name", tags[i]}};
  }
  nlohmann::json idx = {{"schemaVersion", 2}, {"manifests", descriptors}};
  writeFile(directory_ + "/index.json", idx.dump());
}

}  // namespace bulkhead::testing
