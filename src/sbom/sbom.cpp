#include "sbom/sbom.h"

#include <algorithm>
#include <unordered_map>

#include "sbom/cataloger.h"

namespace bulkhead::sbom {

image::CaptureSpec sbomCapture() {
  image::CaptureSpec spec = image::defaultCapture();
  for (const auto& cataloger : allCatalogers()) cataloger->addCaptureRules(spec);
  return spec;
}

std::string distroQualifier(const image::OsInfo& os) {
  if (!os.known()) return {};
  return os.versionId.empty() ? os.id : os.id + "-" + os.versionId;
}

namespace {

std::string clean(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return std::string(path);
}

}  // namespace

Result<Sbom> buildSbom(const image::Image& image) {
  Sbom sbom;
  sbom.subject = image.input;
  sbom.sourceKind = image::sourceKindName(image.locator.kind);
  sbom.manifestDigest = image.resolved.manifestDigest.str();
  sbom.configDigest = image.resolved.configDigest.str();
  sbom.repoTags = image.resolved.repoTags;
  sbom.architecture = image.resolved.config.architecture;
  sbom.os = image.os;
  CatalogContext context{image, sbom.warnings};
  for (const auto& cataloger : allCatalogers()) {
    std::vector<Package> found;
    auto status = cataloger->catalog(context, found);
    if (!status) return withContext(cataloger->name(), status.error());
    for (auto& p : found) {
      if (p.cataloger.empty()) p.cataloger = std::string(cataloger->name());
      sbom.packages.push_back(std::move(p));
    }
  }
  // Which OS package installed each file: language packages inside those are the
  // distribution's copies (patched by it, judged by its advisories).
  std::unordered_map<std::string, const Package*> owner;
  for (const auto& p : sbom.packages) {
    for (const auto& f : p.files) owner.emplace(clean(f), &p);
  }
  const std::string distro = distroQualifier(image.os);
  for (auto& p : sbom.packages) {
    const bool os = p.ecosystem == eco::kDeb || p.ecosystem == eco::kRpm || p.ecosystem == eco::kApk;
    if (!os && p.ownedBy.empty()) {
      for (const auto& location : p.locations) {
        auto it = owner.find(clean(location));
        if (it != owner.end()) {
          p.ownedBy = std::string(it->second->ecosystem) + ":" + it->second->name;
          break;
        }
      }
    }
    if (p.layer < 0 && !p.locations.empty()) {
      if (const auto* node = image.fs.find(clean(p.locations.front()))) p.layer = node->layer;
    }
    if (p.layer >= 0 && static_cast<size_t>(p.layer) < image.layers.size()) {
      p.layerDiffId = image.layers[static_cast<size_t>(p.layer)].diffId.str();
    }
    if (p.purl.empty()) p.purl = makePurl(p, os ? distro : std::string());
  }
  std::sort(sbom.packages.begin(), sbom.packages.end());
  return sbom;
}

}  // namespace bulkhead::sbom
