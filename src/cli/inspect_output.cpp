#include "cli/inspect_output.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace bulkhead::cli {
namespace {

using nlohmann::json;

std::string octal(uint32_t mode) { return fmt::format("{:04o}", mode); }

std::string humanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

}  // namespace

json inspectJson(const image::Image& img, bool withFiles) {
  const auto& cfg = img.resolved.config;
  json out;
  out["input"] = img.input;
  out["source"] = {{"kind", image::sourceKindName(img.locator.kind)}, {"description", img.description}};
  if (!img.resolved.manifestDigest.empty()) out["manifestDigest"] = img.resolved.manifestDigest.str();
  if (!img.resolved.mediaType.empty()) out["mediaType"] = img.resolved.mediaType;
  if (!img.resolved.configDigest.empty()) out["configDigest"] = img.resolved.configDigest.str();
  if (!img.resolved.repoTags.empty()) out["repoTags"] = img.resolved.repoTags;
  if (!img.resolved.indexPlatforms.empty()) {
    json platforms = json::array();
    for (const auto& p : img.resolved.indexPlatforms) platforms.push_back(p.str());
    out["indexPlatforms"] = platforms;
  }
  out["platform"] = cfg.os.empty() ? "" : fmt::format("{}/{}{}", cfg.os, cfg.architecture,
                                                      cfg.variant.empty() ? "" : "/" + cfg.variant);
  json config = {{"user", cfg.user},        {"env", cfg.env},
                 {"entrypoint", cfg.entrypoint}, {"cmd", cfg.cmd},
                 {"workingDir", cfg.workingDir}, {"exposedPorts", cfg.exposedPorts},
                 {"volumes", cfg.volumes},   {"labels", cfg.labels},
                 {"stopSignal", cfg.stopSignal}, {"created", cfg.created},
                 {"author", cfg.author}};
  if (cfg.healthcheck) {
    config["healthcheck"] = {{"test", cfg.healthcheck->test},
                             {"intervalNs", cfg.healthcheck->intervalNs},
                             {"timeoutNs", cfg.healthcheck->timeoutNs},
                             {"startPeriodNs", cfg.healthcheck->startPeriodNs},
                             {"retries", cfg.healthcheck->retries}};
  } else {
    config["healthcheck"] = nullptr;
  }
  json history = json::array();
  for (const auto& h : cfg.history) {
    history.push_back({{"created", h.created}, {"createdBy", h.createdBy}, {"comment", h.comment},
                       {"emptyLayer", h.emptyLayer}});
  }
  config["history"] = history;
  out["config"] = config;
  out["os"] = {{"id", img.os.id},
               {"versionId", img.os.versionId},
               {"codename", img.os.codename},
               {"prettyName", img.os.prettyName},
               {"source", img.os.source}};
  json layers = json::array();
  for (const auto& l : img.layers) {
    layers.push_back({{"digest", l.blobDigest.str()},
                      {"diffId", l.diffId.str()},
                      {"mediaType", l.mediaType},
                      {"compression", image::compressionName(l.compression)},
                      {"compressedBytes", l.compressedBytes},
                      {"uncompressedBytes", l.uncompressedBytes},
                      {"entries", l.entries},
                      {"fromCache", l.fromCache}});
  }
  out["layers"] = layers;
  size_t files = 0;
  uint64_t bytes = 0;
  for (const auto& [path, node] : img.fs.nodes()) {
    if (node.type == image::EntryType::kFile || node.type == image::EntryType::kHardlink) {
      ++files;
      bytes += node.size;
    }
  }
  out["filesystem"] = {{"entries", img.fs.size()}, {"regularFiles", files}, {"bytes", bytes}};
  if (withFiles) {
    json list = json::array();
    for (const auto& [path, node] : img.fs.nodes()) {
      json f = {{"path", "/" + path},
                {"type", image::entryTypeName(node.type)},
                {"mode", octal(node.mode)},
                {"uid", node.uid},
                {"gid", node.gid},
                {"size", node.size},
                {"layer", node.layer}};
      if (!node.linkTarget.empty()) f["linkTarget"] = node.linkTarget;
      list.push_back(std::move(f));
    }
    out["files"] = std::move(list);
  }
  out["warnings"] = img.warnings;
  return out;
}

std::string inspectText(const image::Image& img) {
  const auto& cfg = img.resolved.config;
  std::string out;
  auto line = [&out](std::string_view key, std::string_view value) {
    if (!value.empty()) out += fmt::format("{:<14} {}\n", key, value);
  };
  line("Image", img.input);
  line("Source", fmt::format("{} ({})", img.description, image::sourceKindName(img.locator.kind)));
  line("Manifest", img.resolved.manifestDigest.str());
  line("Config", img.resolved.configDigest.str());
  if (!cfg.os.empty()) line("Platform", fmt::format("{}/{}", cfg.os, cfg.architecture));
  line("OS", img.os.known() ? fmt::format("{} ({} {})", img.os.prettyName, img.os.id, img.os.versionId)
                            : "unknown");
  line("User", cfg.user.empty() ? (img.locator.kind == image::SourceKind::kRootfs ? "" : "(root)") : cfg.user);
  line("Entrypoint", fmt::format("{}", fmt::join(cfg.entrypoint, " ")));
  line("Cmd", fmt::format("{}", fmt::join(cfg.cmd, " ")));
  line("WorkingDir", cfg.workingDir);
  line("Ports", fmt::format("{}", fmt::join(cfg.exposedPorts, ", ")));
  for (const auto& e : cfg.env) line("Env", e);
  for (const auto& [k, v] : cfg.labels) line("Label", k + "=" + v);
  if (cfg.healthcheck) line("Healthcheck", fmt::format("{}", fmt::join(cfg.healthcheck->test, " ")));
  size_t files = 0;
  uint64_t bytes = 0;
  for (const auto& [path, node] : img.fs.nodes()) {
    if (node.type == image::EntryType::kFile || node.type == image::EntryType::kHardlink) {
      ++files;
      bytes += node.size;
    }
  }
  line("Files", fmt::format("{} entries, {} regular files, {}", img.fs.size(), files, humanBytes(bytes)));
  if (!img.layers.empty()) {
    out += fmt::format("\n{:<4} {:<20} {:<6} {:>10} {:>10} {:>8}  {}\n", "#", "LAYER", "COMPR",
                       "SIZE", "UNPACKED", "ENTRIES", "CACHE");
    for (size_t i = 0; i < img.layers.size(); ++i) {
      const auto& l = img.layers[i];
      const std::string digest = l.blobDigest.empty() ? l.diffId.shortStr() : l.blobDigest.shortStr();
      out += fmt::format("{:<4} {:<20} {:<6} {:>10} {:>10} {:>8}  {}\n", i + 1, digest,
                         image::compressionName(l.compression), humanBytes(l.compressedBytes),
                         humanBytes(l.uncompressedBytes), l.entries, l.fromCache ? "hit" : "read");
    }
  }
  if (!cfg.history.empty()) {
    out += "\nHISTORY\n";
    for (const auto& h : cfg.history) {
      out += fmt::format("  {} {}{}\n", h.created.substr(0, 19), h.createdBy.substr(0, 100),
                         h.emptyLayer ? " (no layer)" : "");
    }
  }
  for (const auto& w : img.warnings) out += fmt::format("warning: {}\n", w);
  return out;
}

}  // namespace bulkhead::cli
