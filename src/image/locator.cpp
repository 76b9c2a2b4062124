#include "image/locator.h"

#include <sys/stat.h>

#include "core/stream.h"
#include "image/archive_files.h"

namespace bulkhead::image {
namespace {

bool isDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool isFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// "path:tag" when the part after the last ':' (past the last '/') is a tag and the whole
// string is not itself an existing path.
void splitTag(std::string_view text, std::string& path, std::string& tag) {
  path = std::string(text);
  tag.clear();
  const auto colon = text.rfind(':');
  const auto slash = text.rfind('/');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) return;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return;
  path = std::string(text.substr(0, colon));
  tag = std::string(text.substr(colon + 1));
}

Result<SourceKind> sniffArchive(const std::string& path) {
  // An oci-archive carries index.json; a docker-archive carries manifest.json (newer
  // docker-save output has both, and manifest.json then names layers by blob path).
  auto files = archiveFiles(path);
  if (files->open("manifest.json")) return SourceKind::kDockerArchive;
  if (files->open("index.json")) return SourceKind::kOciArchive;
  return makeError("{}: neither an oci-archive (index.json) nor a docker-archive (manifest.json)",
                   path);
}

}  // namespace

const char* sourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kOciLayout: return "oci-layout";
    case SourceKind::kOciArchive: return "oci-archive";
    case SourceKind::kDockerArchive: return "docker-archive";
    case SourceKind::kRootfs: return "rootfs";
    case SourceKind::kRegistry: return "registry";
  }
  return "unknown";
}

Result<Locator> parseLocator(std::string_view text) {
  Locator loc;
  struct Prefix {
    std::string_view name;
    SourceKind kind;
  };
  static constexpr Prefix kPrefixes[] = {
      {"oci:", SourceKind::kOciLayout},          {"oci-archive:", SourceKind::kOciArchive},
      {"docker-archive:", SourceKind::kDockerArchive}, {"rootfs:", SourceKind::kRootfs},
      {"dir:", SourceKind::kRootfs},              {"docker://", SourceKind::kRegistry},
      {"registry:", SourceKind::kRegistry},
  };
  for (const auto& prefix : kPrefixes) {
    if (!text.starts_with(prefix.name)) continue;
    const std::string_view rest = text.substr(prefix.name.size());
    loc.kind = prefix.kind;
    if (prefix.kind == SourceKind::kRegistry) {
      auto ref = RegistryReference::parse(rest);
      if (!ref) return std::move(ref).error();
      loc.reference = std::move(*ref);
    } else if (prefix.kind == SourceKind::kRootfs) {
      loc.path = std::string(rest);
    } else {
      splitTag(rest, loc.path, loc.tag);
    }
    if (loc.kind != SourceKind::kRegistry && loc.path.empty()) {
      return makeError("'{}': missing path after '{}'", text, prefix.name);
    }
    return loc;
  }
  std::string path;
  std::string tag;
  splitTag(text, path, tag);
  if (isDirectory(path)) {
    const bool layout = isFile(path + "/index.json") && isFile(path + "/oci-layout");
    if (!layout && !tag.empty()) return makeError("'{}': a root file system has no tags", text);
    loc.kind = layout ? SourceKind::kOciLayout : SourceKind::kRootfs;
    loc.path = std::move(path);
    loc.tag = std::move(tag);
    return loc;
  }
  if (isFile(path)) {
    auto kind = sniffArchive(path);
    if (!kind) return std::move(kind).error();
    loc.kind = *kind;
    loc.path = std::move(path);
    loc.tag = std::move(tag);
    return loc;
  }
  if (text.starts_with("/") || text.starts_with("./") || text.starts_with("../")) {
    return makeError("'{}': no such file or directory", text);
  }
  auto ref = RegistryReference::parse(text);
  if (!ref) return std::move(ref).error();
  loc.kind = SourceKind::kRegistry;
  loc.reference = std::move(*ref);
  return loc;
}

}  // namespace bulkhead::image
