// PHP Composer packages. What is installed (vendor/composer/installed.json) wins: an app's
// composer.lock is read only when the app has no installed.json beside it in vendor/
// (declared, not installed: metadata "source" = "lockfile"). composer.lock files inside a
// vendor/ tree belong to installed packages' sources and are not read.

#include "sbom/catalogers/php.h"

#include <set>

#include "core/json.h"
#include "sbom/catalogers/catalogers.h"

namespace bulkhead::sbom {
namespace php {
namespace {

using nlohmann::json;

constexpr size_t kMaxPackages = 100'000;
constexpr std::string_view kInstalled = "vendor/composer/installed.json";

void addPackages(const json& list, bool dev, const std::set<std::string>& devNames,
                 std::string_view what, lang::Parsed& out) {
  for (const auto& item : list) {
    if (out.packages.size() >= kMaxPackages) {
      out.warnings.push_back(
          fmt::format("{}: more than {} packages; the rest ignored", what, kMaxPackages));
      return;
    }
    const std::string full = jsonString(item, "name");
    Package p;
    p.version = jsonString(item, "version");
    if (full.empty() || p.version.empty()) {
      out.warnings.push_back(fmt::format("{}: a package without name or version", what));
      continue;
    }
    lang::splitNamespace(full, p.nameSpace, p.name);
    if (auto it = item.find("license"); it != item.end()) {
      if (it->is_string()) {
        p.licenses.push_back(it->get<std::string>());
      } else if (it->is_array()) {
        for (const auto& l : *it) {
          if (l.is_string() && !l.get<std::string>().empty())
            p.licenses.push_back(l.get<std::string>());
        }
      }
    }
    if (dev || devNames.contains(full)) p.metadata["dev"] = "true";
    if (auto type = jsonString(item, "type"); !type.empty() && type != "library")
      p.metadata["type"] = type;
    out.packages.push_back(std::move(p));
  }
}

}  // namespace

Result<lang::Parsed> parseComposerLock(std::string_view text, std::string_view what) {
  auto doc = parseJson(text, what, JsonLimits{kMaxComposerBytes, 64});
  if (!doc) return std::move(doc).error();
  if (!doc->is_object()) return makeError("{}: composer.lock is not a JSON object", what);
  lang::Parsed out;
  const json* packages = jsonArray(*doc, "packages");
  const json* dev = jsonArray(*doc, "packages-dev");
  if (packages == nullptr && dev == nullptr) {
    return makeError("{}: neither \"packages\" nor \"packages-dev\" is a list", what);
  }
  if (packages != nullptr) addPackages(*packages, false, {}, what, out);
  if (dev != nullptr) addPackages(*dev, true, {}, what, out);
  return out;
}

Result<lang::Parsed> parseInstalledJson(std::string_view text, std::string_view what) {
  auto doc = parseJson(text, what, JsonLimits{kMaxComposerBytes, 64});
  if (!doc) return std::move(doc).error();
  lang::Parsed out;
  if (doc->is_array()) {  // Composer 1
    addPackages(*doc, false, {}, what, out);
    return out;
  }
  const json* packages = jsonArray(*doc, "packages");
  if (packages == nullptr) return makeError("{}: installed.json has no \"packages\" list", what);
  std::set<std::string> devNames;
  if (const json* names = jsonArray(*doc, "dev-package-names")) {
    for (const auto& n : *names) {
      if (n.is_string()) devNames.insert(n.get<std::string>());
    }
  }
  addPackages(*packages, false, devNames, what, out);
  return out;
}

}  // namespace php

namespace {

bool insideVendor(std::string_view path) {
  return path.starts_with("vendor/") || path.find("/vendor/") != std::string_view::npos;
}

class PhpCataloger final : public Cataloger {
 public:
  std::string_view name() const override { return "php-composer"; }

  void addCaptureRules(image::CaptureSpec& spec) const override {
    auto installed = lang::parsingRule("php-installed-json", 1, php::kMaxComposerBytes,
                                       &php::parseInstalledJson);
    installed.exact = {std::string(php::kInstalled)};
    installed.suffixes = {"/" + std::string(php::kInstalled)};
    spec.add(std::move(installed));
    auto lock =
        lang::parsingRule("php-composer-lock", 1, php::kMaxComposerBytes, &php::parseComposerLock,
                          [](std::string_view path) { return !insideVendor(path); });
    lock.exact = {"composer.lock"};
    lock.suffixes = {"/composer.lock"};
    spec.add(std::move(lock));
  }

  Status catalog(const CatalogContext& ctx, std::vector<Package>& out) const override {
    const auto& img = ctx.image;
    std::set<std::string, std::less<>> installedApps;
    for (const auto& path : lang::filesEndingWith(img, {"/" + std::string(php::kInstalled)})) {
      const std::string_view app =
          path.size() == php::kInstalled.size()
              ? std::string_view()
              : std::string_view(path).substr(0, path.size() - php::kInstalled.size() - 1);
      installedApps.emplace(app);
      auto parsed = lang::parsedFile(ctx, path, php::kMaxComposerBytes);
      if (!parsed) continue;
      for (auto& p : parsed->packages) {
        p.ecosystem = eco::kComposer;
        p.locations = {"/" + path};
        out.push_back(std::move(p));
      }
    }
    for (const auto& path : lang::filesEndingWith(img, {"/composer.lock"})) {
      if (insideVendor(path) || installedApps.contains(lang::parentOf(path))) continue;
      auto parsed = lang::parsedFile(ctx, path, php::kMaxComposerBytes);
      if (!parsed) continue;
      for (auto& p : parsed->packages) {
        p.ecosystem = eco::kComposer;
        p.locations = {"/" + path};
        p.metadata["source"] = "lockfile";
        out.push_back(std::move(p));
      }
    }
    return {};
  }
};

}  // namespace

std::unique_ptr<Cataloger> makePhpCataloger() { return std::make_unique<PhpCataloger>(); }

}  // namespace bulkhead::sbom
