// npm packages. The installed tree is what runs, so it wins: every package directory under
// a node_modules folder (node_modules/<name>/package.json, node_modules/@scope/<name>/
// package.json, at any depth, pnpm's .pnpm store included) is one package at its path,
// which is what `npm ls --all` lists. A lockfile adds the dev/optional flags of those
// packages; its entries become packages on their own only when the app has no
// node_modules at all (declared, not installed: metadata "source" = "lockfile"). The app
// root itself (the folder holding node_modules) is recorded as metadata, not a package.
//
// Lockfiles: npm-shrinkwrap.json, else package-lock.json, else yarn.lock (classic or
// Berry, which Plug'n'Play apps without node_modules leave as the only record). Not
// handled: pnpm-lock.yaml (a pnpm install is still found through its .pnpm store).

#include "sbom/catalogers/npm.h"

#include <map>
#include <set>

#include "core/json.h"
#include "sbom/catalogers/catalogers.h"

namespace bulkhead::sbom {
namespace npm {
namespace {

using nlohmann::json;

constexpr std::string_view kNodeModules = "node_modules/";

void addLicense(const json& value, std::vector<std::string>& out) {
  std::string text;
  if (value.is_string()) {
    text = value.get<std::string>();
  } else if (value.is_object()) {
    text = jsonString(value, "type");
    if (text.empty()) text = jsonString(value, "name");
  }
  const auto trimmed = lang::trim(text);
  if (!trimmed.empty() && trimmed.size() <= 512) out.emplace_back(trimmed);
}

std::vector<std::string> licensesOf(const json& manifest) {
  std::vector<std::string> out;
  for (const char* key : {"license", "licenses"}) {
    auto it = manifest.find(key);
    if (it == manifest.end()) continue;
    if (it->is_array()) {
      for (const auto& item : *it) addLicense(item, out);
    } else {
      addLicense(*it, out);
    }
  }
  return out;
}

// "@scope/name" -> namespace "@scope", name "name" (purl: pkg:npm/%40scope/name).
void setName(Package& p, std::string_view full) {
  if (full.starts_with('@')) {
    lang::splitNamespace(full, p.nameSpace, p.name);
  } else {
    p.nameSpace.clear();
    p.name = std::string(full);
  }
}

// The package name in an install path: what follows the last "node_modules/".
std::string_view nameFromInstallPath(std::string_view key) {
  const auto at = key.rfind(kNodeModules);
  if (at == std::string_view::npos || (at > 0 && key[at - 1] != '/')) return {};
  return key.substr(at + kNodeModules.size());
}

void setFlag(Package& p, const json& entry, const char* key, const char* as) {
  if (jsonBool(entry, key)) p.metadata[as] = "true";
}

class LockReader {
 public:
  LockReader(std::string_view what, lang::Parsed& out) : what_(what), out_(out) {}

  // v2/v3: { "packages": { "node_modules/a": {...}, ... } }
  void packagesMap(const json& packages) {
    for (const auto& [key, entry] : packages.items()) {
      if (key.empty() || !entry.is_object() || jsonBool(entry, "link")) continue;
      const std::string_view fromPath = nameFromInstallPath(key);
      if (fromPath.empty()) continue;  // a workspace folder: the app's own code
      if (!room()) return;
      std::string full = jsonString(entry, "name");
      if (full.empty()) full = std::string(fromPath);
      add(full, jsonString(entry, "version"), key, entry);
    }
  }

  // v1: { "dependencies": { "a": { "version", "dependencies": {...} } } }, nested by path.
  void dependencyTree(const json& dependencies, const std::string& parentPath, int depth) {
    if (depth > 64) return;  // parseJson's depth bound makes this unreachable
    for (const auto& [name, entry] : dependencies.items()) {
      if (!entry.is_object() || name.empty()) continue;
      if (!room()) return;
      const std::string path = parentPath + std::string(kNodeModules) + name;
      std::string full = name;
      std::string version = jsonString(entry, "version");
      // An alias ("b": {"version": "npm:real-name@1.2.3"}) installs real-name.
      if (version.starts_with("npm:")) {
        const auto at = version.rfind('@');
        if (at != std::string::npos && at > 4) {
          full = version.substr(4, at - 4);
          version = version.substr(at + 1);
        }
      }
      add(full, version, path, entry);
      if (const json* nested = jsonObject(entry, "dependencies")) {
        dependencyTree(*nested, path + "/", depth + 1);
      }
    }
  }

 private:
  bool room() {
    if (out_.packages.size() < kMaxLockfilePackages) return true;
    if (!truncated_) {
      out_.warnings.push_back(
          fmt::format("{}: more than {} packages; the rest ignored", what_, kMaxLockfilePackages));
      truncated_ = true;
    }
    return false;
  }

  void add(std::string_view full, std::string version, const std::string& path, const json& entry) {
    if (version.empty()) {
      out_.warnings.push_back(fmt::format("{}: package at \"{}\" has no version", what_, path));
      return;
    }
    Package p;
    setName(p, full);
    p.version = std::move(version);
    p.metadata["path"] = path;
    setFlag(p, entry, "dev", "dev");
    setFlag(p, entry, "optional", "optional");
    setFlag(p, entry, "devOptional", "devOptional");
    setFlag(p, entry, "inBundle", "bundled");
    setFlag(p, entry, "bundled", "bundled");
    if (auto resolved = jsonString(entry, "resolved");
        !resolved.empty() && resolved.size() < 2048) {
      p.metadata["resolved"] = std::move(resolved);
    }
    p.licenses = licensesOf(entry);
    out_.packages.push_back(std::move(p));
  }

  std::string_view what_;
  lang::Parsed& out_;
  bool truncated_ = false;
};

}  // namespace

Result<lang::Parsed> parsePackageJson(std::string_view text, std::string_view what) {
  auto doc = parseJson(text, what, JsonLimits{kMaxPackageJsonBytes, 64});
  if (!doc) return std::move(doc).error();
  if (!doc->is_object()) return makeError("{}: package.json is not a JSON object", what);
  lang::Parsed out;
  Package p;
  setName(p, jsonString(*doc, "name"));
  p.version = jsonString(*doc, "version");
  p.licenses = licensesOf(*doc);
  if (jsonBool(*doc, "private")) p.metadata["private"] = "true";
  out.packages.push_back(std::move(p));
  return out;
}

Result<lang::Parsed> parsePackageLock(std::string_view text, std::string_view what) {
  auto doc = parseJson(text, what, JsonLimits{kMaxLockfileBytes, 128});
  if (!doc) return std::move(doc).error();
  if (!doc->is_object()) return makeError("{}: lockfile is not a JSON object", what);
  lang::Parsed out;
  LockReader reader(what, out);
  if (const json* packages = jsonObject(*doc, "packages")) {
    reader.packagesMap(*packages);
  } else if (const json* dependencies = jsonObject(*doc, "dependencies")) {
    reader.dependencyTree(*dependencies, "", 0);
  }
  return out;
}

namespace {

// Strips spaces and one pair of quotes.
std::string_view unquote(std::string_view text) {
  text = lang::trim(text);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
    text = text.substr(1, text.size() - 2);
  else if (!text.empty() && text.front() == '"')
    text.remove_prefix(1);
  else if (!text.empty() && text.back() == '"')
    text.remove_suffix(1);
  return lang::trim(text);
}

// "name@range" -> name (the '@' of a scope is not the separator).
std::string_view specName(std::string_view spec) {
  const auto at = spec.find('@', 1);
  return at == std::string_view::npos ? spec : spec.substr(0, at);
}

bool localProtocol(std::string_view range) {
  for (std::string_view p : {"workspace:", "link:", "portal:", "file:"}) {
    if (range.starts_with(p)) return true;
  }
  return false;
}

struct YarnEntry {
  std::string spec;  // the first "name@range" of the header
  std::string version;
  std::string resolution;  // Berry
  std::string resolved;    // classic
  bool metadata = false;
  size_t line = 0;
};

}  // namespace

Result<lang::Parsed> parseYarnLock(std::string_view text, std::string_view what) {
  if (text.size() > kMaxLockfileBytes) {
    return makeError("{}: {} bytes exceed the limit of {}", what, text.size(), kMaxLockfileBytes);
  }
  lang::Parsed out;
  std::set<std::string> seen;
  std::optional<YarnEntry> entry;
  bool truncated = false;
  auto finish = [&]() {
    if (!entry || entry->metadata) return;
    std::string_view name = specName(entry->spec);
    std::string_view range = entry->spec.size() > name.size()
                                 ? std::string_view(entry->spec).substr(name.size() + 1)
                                 : "";
    if (!entry->resolution.empty()) {  // Berry: "real-name@npm:1.2.3"
      const std::string_view resolution = entry->resolution;
      name = specName(resolution);
      range = resolution.size() > name.size() ? resolution.substr(name.size() + 1) : "";
    } else if (range.starts_with("npm:") && range.find('@', 5) != std::string_view::npos) {
      name = specName(range.substr(4));  // classic alias: "alias@npm:real@1.2.3"
    }
    if (localProtocol(range) || name.empty()) return;
    if (entry->version.empty()) {
      out.warnings.push_back(
          fmt::format("{}: line {}: entry \"{}\" has no version", what, entry->line, entry->spec));
      return;
    }
    if (!seen.insert(std::string(name) + "@" + entry->version).second) return;
    if (out.packages.size() >= kMaxLockfilePackages) {
      truncated = true;
      return;
    }
    Package p;
    setName(p, name);
    p.version = entry->version;
    if (!entry->resolved.empty() && entry->resolved.size() < 2048)
      p.metadata["resolved"] = entry->resolved;
    out.packages.push_back(std::move(p));
  };
  size_t start = 0;
  size_t lineNumber = 0;
  bool sawEntry = false;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++lineNumber;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (lang::trim(line).empty() || line.front() == '#') continue;
    if (line.front() != ' ') {
      finish();
      entry.reset();
      if (!line.ends_with(':')) {
        return makeError("{}: line {}: expected an entry header ending in ':'", what, lineNumber);
      }
      line.remove_suffix(1);
      YarnEntry next;
      next.line = lineNumber;
      next.metadata = unquote(line) == "__metadata";
      const auto comma = line.find(',');
      next.spec = std::string(unquote(line.substr(0, comma)));
      entry = std::move(next);
      sawEntry = true;
      continue;
    }
    // Only the entry's own fields (two spaces in); deeper lines are dependency lists.
    if (!entry || line.size() < 3 || line[1] != ' ' || line[2] == ' ') continue;
    line = lang::trim(line);
    const auto split = line.find_first_of(" :");
    if (split == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, split);
    std::string_view value = line.substr(split + 1);
    if (line[split] == ':') value = lang::trim(value);
    value = unquote(value);
    if (key == "version")
      entry->version = std::string(value);
    else if (key == "resolution")
      entry->resolution = std::string(value);
    else if (key == "resolved")
      entry->resolved = std::string(value);
  }
  finish();
  if (!sawEntry && !lang::trim(text).empty() &&
      text.find("yarn lockfile") == std::string_view::npos) {
    return makeError("{}: no entries", what);
  }
  if (truncated) {
    out.warnings.push_back(
        fmt::format("{}: more than {} packages; the rest ignored", what, kMaxLockfilePackages));
  }
  return out;
}

bool isInstalledPackageJson(std::string_view path) {
  if (lang::baseName(path) != "package.json") return false;
  std::string_view dir = lang::parentOf(path);
  const std::string_view name = lang::baseName(dir);
  // "." folders are npm's own (.bin, .cache); "@x" directly under node_modules is a scope.
  if (name.empty() || name.starts_with('.') || name.starts_with('@')) return false;
  dir = lang::parentOf(dir);
  std::string_view above = lang::baseName(dir);
  if (above.starts_with('@') && above.size() > 1) above = lang::baseName(lang::parentOf(dir));
  return above == "node_modules";
}

std::string_view appRootOf(std::string_view path) {
  if (path.starts_with(kNodeModules)) return {};
  const auto at = path.find("/" + std::string(kNodeModules));
  return at == std::string_view::npos ? std::string_view() : path.substr(0, at);
}

}  // namespace npm

namespace {

constexpr std::string_view kLockNames[] = {"npm-shrinkwrap.json", "package-lock.json"};
constexpr std::string_view kHiddenLock = "node_modules/.package-lock.json";

std::string join(std::string_view dir, std::string_view name) {
  return dir.empty() ? std::string(name) : std::string(dir) + "/" + std::string(name);
}

bool insideNodeModules(std::string_view dir) {
  return dir == "node_modules" || dir.starts_with("node_modules/") ||
         dir.find("/node_modules/") != std::string_view::npos || dir.ends_with("/node_modules");
}

class NpmCataloger final : public Cataloger {
 public:
  std::string_view name() const override { return "npm"; }

  void addCaptureRules(image::CaptureSpec& spec) const override {
    auto manifests =
        lang::parsingRule("npm-package-json", 1, npm::kMaxPackageJsonBytes, &npm::parsePackageJson);
    manifests.exact = {"package.json"};
    manifests.suffixes = {"/package.json"};
    spec.add(std::move(manifests));
    auto locks =
        lang::parsingRule("npm-lockfile", 1, npm::kMaxLockfileBytes, &npm::parsePackageLock);
    locks.exact = {"package-lock.json", "npm-shrinkwrap.json", std::string(kHiddenLock)};
    locks.suffixes = {"/package-lock.json", "/npm-shrinkwrap.json", "/" + std::string(kHiddenLock)};
    spec.add(std::move(locks));
    auto yarn = lang::parsingRule(
        "npm-yarn-lock", 1, npm::kMaxLockfileBytes, &npm::parseYarnLock,
        [](std::string_view path) { return !insideNodeModules(lang::parentOf(path)); });
    yarn.exact = {"yarn.lock"};
    yarn.suffixes = {"/yarn.lock"};
    spec.add(std::move(yarn));
  }

  Status catalog(const CatalogContext& ctx, std::vector<Package>& out) const override {
    const auto& img = ctx.image;
    // App folder -> lockfile packages by install path (for the flags of installed ones).
    std::map<std::string, std::map<std::string, Package>, std::less<>> locks;
    std::set<std::string, std::less<>> appsWithTree;

    for (const auto& path : lang::filesEndingWith(img, {"/package.json"})) {
      if (!npm::isInstalledPackageJson(path)) continue;
      auto parsed = lang::parsedFile(ctx, path, npm::kMaxPackageJsonBytes);
      if (!parsed || parsed->packages.empty()) continue;
      Package p = std::move(parsed->packages.front());
      const std::string_view dir = lang::parentOf(path);
      if (p.name.empty()) {
        // No "name": npm goes by the folder ("node_modules/@scope/x" -> "@scope/x").
        const std::string_view folder = npm::nameFromInstallPath(dir);
        if (folder.starts_with('@')) {
          lang::splitNamespace(folder, p.nameSpace, p.name);
        } else {
          p.name = std::string(folder);
        }
      }
      if (p.version.empty()) {
        ctx.warnings.push_back(
            fmt::format("/{}: installed package without a version; skipped", path));
        continue;
      }
      p.ecosystem = eco::kNpm;
      p.locations = {"/" + path};
      const std::string_view app = npm::appRootOf(path);
      appsWithTree.emplace(app);
      p.metadata["app"] = "/" + std::string(app);
      p.metadata["path"] = std::string(app.empty() ? dir : dir.substr(app.size() + 1));
      out.push_back(std::move(p));
    }

    // Lockfiles of apps: npm-shrinkwrap.json, else package-lock.json, else yarn.lock, else
    // the hidden one.
    std::map<std::string, std::string, std::less<>> lockOfApp;  // app -> lockfile path
    for (const auto& path :
         lang::filesEndingWith(img, {"/package-lock.json", "/npm-shrinkwrap.json", "/yarn.lock",
                                     "/" + std::string(kHiddenLock)})) {
      const bool hidden = path == kHiddenLock || path.ends_with("/" + std::string(kHiddenLock));
      const std::string_view app =
          hidden ? lang::parentOf(lang::parentOf(path)) : lang::parentOf(path);
      if (insideNodeModules(app)) continue;  // a package's own lockfile: npm ignores it
      auto [it, inserted] = lockOfApp.emplace(std::string(app), path);
      if (!inserted && rank(path) < rank(it->second)) it->second = path;
    }
    for (const auto& [app, lockPath] : lockOfApp) {
      const bool installed =
          appsWithTree.contains(app) || lang::hasDirectory(img, join(app, "node_modules"));
      if (installed && lang::baseName(lockPath) == "yarn.lock") continue;  // no flags to add
      auto parsed = lang::parsedFile(ctx, lockPath, npm::kMaxLockfileBytes);
      if (!parsed) continue;
      if (installed) {
        auto& byPath = locks[app];
        for (auto& p : parsed->packages) {
          auto path = p.metadata.find("path");
          if (path == p.metadata.end()) continue;  // yarn.lock: no install paths
          std::string key = path->second;
          byPath.emplace(std::move(key), std::move(p));
        }
        continue;
      }
      for (auto& p : parsed->packages) {
        p.ecosystem = eco::kNpm;
        p.locations = {"/" + lockPath};
        p.metadata["source"] = "lockfile";
        p.metadata["app"] = "/" + app;
        out.push_back(std::move(p));
      }
    }

    // Flags from the lockfile, and the app's own name, onto installed packages.
    std::map<std::string, std::string, std::less<>> appPackage;
    for (const auto& app : appsWithTree) {
      const std::string manifest = join(app, "package.json");
      if (img.fs.find(manifest) == nullptr) continue;
      std::vector<std::string> ignored;  // the app's own manifest is not a package to warn on
      CatalogContext quiet{img, ignored};
      if (auto parsed = lang::parsedFile(quiet, manifest, npm::kMaxPackageJsonBytes);
          parsed && !parsed->packages.empty() && !parsed->packages.front().name.empty()) {
        const auto& root = parsed->packages.front();
        std::string label = root.nameSpace.empty() ? root.name : root.nameSpace + "/" + root.name;
        if (!root.version.empty()) label += "@" + root.version;
        appPackage.emplace(app, std::move(label));
      }
    }
    for (auto& p : out) {
      if (p.ecosystem != eco::kNpm || p.metadata.contains("source")) continue;
      const std::string app = p.metadata["app"].substr(1);
      if (auto it = appPackage.find(app); it != appPackage.end())
        p.metadata["appPackage"] = it->second;
      auto lock = locks.find(app);
      if (lock == locks.end()) continue;
      auto entry = lock->second.find(p.metadata["path"]);
      if (entry == lock->second.end()) continue;
      for (const char* flag : {"dev", "optional", "devOptional", "bundled", "resolved"}) {
        auto it = entry->second.metadata.find(flag);
        if (it != entry->second.metadata.end()) p.metadata[flag] = it->second;
      }
    }
    return {};
  }

 private:
  // npm reads npm-shrinkwrap.json first, then package-lock.json, then the hidden lockfile;
  // an app with both an npm and a yarn lockfile is installed by one of them, npm's first.
  static int rank(std::string_view path) {
    if (path.ends_with(kHiddenLock)) return 3;
    const std::string_view name = lang::baseName(path);
    return name == kLockNames[0] ? 0 : name == kLockNames[1] ? 1 : 2;
  }
};

}  // namespace

std::unique_ptr<Cataloger> makeNpmCataloger() { return std::make_unique<NpmCataloger>(); }

}  // namespace bulkhead::sbom
