// Java archives: *.jar, *.war, *.ear, *.jpi, *.hpi. The capture transform reads each archive
// while its layer streams (nested jars too) and keeps only the coordinates it declares
// (sbom/java_archive.h), so a 100 MiB war costs a few hundred bytes in the layer cache.
// One package per pom.properties; archives without one are named by their manifest and
// file name.

#include "sbom/catalogers/catalogers.h"
#include "sbom/java_archive.h"

namespace bulkhead::sbom {
namespace {

constexpr uint64_t kMaxArchiveBytes = 256u << 20;

class JavaCataloger final : public Cataloger {
 public:
  std::string_view name() const override { return "java"; }

  void addCaptureRules(image::CaptureSpec& spec) const override {
    image::CaptureRule rule;
    rule.name = "java-archives";
    rule.suffixes = {".jar", ".war", ".ear", ".jpi", ".hpi", ".JAR", ".WAR", ".EAR"};
    rule.maxBytes = kMaxArchiveBytes;
    rule.transform = [](std::string_view path, std::string_view data) -> std::optional<std::string> {
      auto info = scanJavaArchive(data, path);
      if (!info) {
        JavaArchiveInfo failed;
        failed.warnings.push_back(info.error().message);
        return encodeJavaArchiveInfo(failed);
      }
      return encodeJavaArchiveInfo(*info);
    };
    spec.add(std::move(rule));
  }

  Status catalog(const CatalogContext& ctx, std::vector<Package>& out) const override {
    for (const auto& [path, node] : ctx.image.fs.nodes()) {
      if (node.type != image::EntryType::kFile || !isJavaArchiveName(path)) continue;
      const std::string location = "/" + path;
      auto derived = ctx.image.derived(path);
      if (!derived) {
        if (node.size > kMaxArchiveBytes) {
          ctx.warnings.push_back(fmt::format("{}: Java archive of {} bytes is larger than the {} "
                                             "bytes read; not cataloged",
                                             location, node.size, kMaxArchiveBytes));
        }
        continue;
      }
      auto info = decodeJavaArchiveInfo(*derived, location);
      if (!info) {
        ctx.warnings.push_back(info.error().message);
        continue;
      }
      for (const auto& w : info->warnings) ctx.warnings.push_back(fmt::format("{}: {}", location, w));
      for (auto& c : info->packages) out.push_back(toPackage(std::move(c), location));
    }
    return {};
  }

 private:
  static Package toPackage(JavaCoordinates c, const std::string& location) {
    Package p;
    p.ecosystem = eco::kMaven;
    p.name = std::move(c.artifactId);
    p.nameSpace = std::move(c.groupId);
    p.version = std::move(c.version);
    p.licenses = std::move(c.licenses);
    p.locations.push_back(location);
    p.metadata["source"] = javaSourceName(c.source);
    if (!c.nestedPath.empty()) {
      p.metadata["nestedPath"] = c.nestedPath;
      p.metadata["virtualPath"] = location + "!/" + c.nestedPath;
    }
    if (!c.pomPath.empty()) p.metadata["pomProperties"] = std::move(c.pomPath);
    if (!c.implementationTitle.empty()) p.metadata["implementationTitle"] = std::move(c.implementationTitle);
    if (!c.implementationVendor.empty()) p.metadata["implementationVendor"] = std::move(c.implementationVendor);
    if (!c.bundleSymbolicName.empty()) p.metadata["bundleSymbolicName"] = std::move(c.bundleSymbolicName);
    return p;
  }
};

}  // namespace

std::unique_ptr<Cataloger> makeJavaCataloger() { return std::make_unique<JavaCataloger>(); }

}  // namespace bulkhead::sbom
