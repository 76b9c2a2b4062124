// Alpine (and Wolfi, Chainguard) packages: lib/apk/db/installed, parsed by apk_db.cpp.
// The origin is the source package; the files a package owns come from its F:/R: lines,
// and the layer that wrote most of them is the layer that installed it (the database
// itself is rewritten by every layer that adds a package).


#include "sbom/apk_db.h"
#include "sbom/catalogers/catalogers.h"
#include "sbom/catalogers/os_support.h"

namespace bulkhead::sbom {
namespace {

constexpr std::string_view kInstalled = "lib/apk/db/installed";
constexpr size_t kMaxInstalledBytes = 64u << 20;

// Current Alpine writes SPDX expressions ("MIT AND BSD-2-Clause"), kept whole; older
// releases wrote space-separated names ("MIT BSD"), split into one license each.
std::vector<std::string> licensesOf(std::string_view license) {
  std::vector<std::string> out;
  const bool expression = license.find(" AND ") != std::string_view::npos ||
                          license.find(" OR ") != std::string_view::npos ||
                          license.find(" WITH ") != std::string_view::npos ||
                          license.find('(') != std::string_view::npos;
  if (expression) {
    if (!license.empty()) out.emplace_back(license);
    return out;
  }
  size_t start = 0;
  while (start < license.size()) {
    const size_t space = std::min(license.find(' ', start), license.size());
    if (space > start) out.emplace_back(license.substr(start, space - start));
    start = space + 1;
  }
  return out;
}

class ApkCataloger final : public Cataloger {
 public:
  std::string_view name() const override { return "apk"; }
  bool osPackages() const override { return true; }

  void addCaptureRules(image::CaptureSpec& spec) const override {
    image::CaptureRule db;
    db.name = "apk-db";
    db.exact = {std::string(kInstalled)};
    db.maxBytes = kMaxInstalledBytes;
    spec.add(std::move(db));
  }

  Status catalog(const CatalogContext& ctx, std::vector<Package>& out) const override {
    const auto& img = ctx.image;
    if (img.fs.find(kInstalled) == nullptr) return {};
    const std::string where = "/" + std::string(kInstalled);
    auto text = img.readFile(kInstalled, kMaxInstalledBytes);
    if (!text) {
      ctx.warnings.push_back(text.error().message);
      return {};
    }
    auto db = parseApkInstalled(*text, where);
    if (!db) {
      ctx.warnings.push_back(db.error().message);
      return {};
    }
    for (auto& w : db->warnings) ctx.warnings.push_back(std::move(w));
    for (auto& a : db->packages) {
      Package p;
      p.ecosystem = eco::kApk;
      p.name = std::move(a.name);
      p.version = std::move(a.version);
      p.nameSpace = img.os.id.empty() ? "alpine" : img.os.id;
      p.architecture = std::move(a.architecture);
      p.sourceName = a.origin.empty() ? p.name : std::move(a.origin);
      p.licenses = licensesOf(a.license);
      p.locations.push_back(where);
      if (!a.maintainer.empty()) p.metadata["maintainer"] = std::move(a.maintainer);
      if (!a.url.empty()) p.metadata["url"] = std::move(a.url);
      if (!a.commit.empty()) p.metadata["commit"] = std::move(a.commit);
      p.files = std::move(a.files);
      p.layer = layerOfFiles(img.fs, p.files);
      out.push_back(std::move(p));
    }
    return {};
  }
};

}  // namespace

std::unique_ptr<Cataloger> makeApkCataloger() { return std::make_unique<ApkCataloger>(); }

}  // namespace bulkhead::sbom
