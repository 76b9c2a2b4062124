// Go binaries: the module build info the Go linker embeds (what `go version -m` prints),
// kept by the shared "elf-packages" capture rule (binary_capture.h) while layers stream.
// Packages: the main module (version "(devel)" for a plain `go build`), every dependency
// (a replaced one as its replacement, the original kept in metadata), and the toolchain as
// `stdlib`, versioned like the Go vulnerability database does (go1.19.8 -> v1.19.8), so
// that advisories against the standard library match the binaries built with it.

#include "sbom/catalogers/binary_capture.h"
#include "sbom/catalogers/catalogers.h"
#include "sbom/go_buildinfo.h"

namespace bulkhead::sbom {
namespace {

constexpr size_t kMaxSettingsKept = 32;

class GoCataloger final : public Cataloger {
 public:
  std::string_view name() const override { return "go-binary"; }

  // The binaries come through the shared rule, which binary_capture adds last.
  void addCaptureRules(image::CaptureSpec&) const override {}

  Status catalog(const CatalogContext& ctx, std::vector<Package>& out) const override {
    for (const auto& [path, node] : ctx.image.fs.nodes()) {
      if (node.type != image::EntryType::kFile || (node.mode & 0111u) == 0) continue;
      auto extracted = binaryExtract(ctx.image, path, kGoBuildInfo);
      if (!extracted) continue;
      const std::string location = "/" + path;
      auto strings = decodeGoBuildInfo(*extracted, location);
      if (!strings) {
        ctx.warnings.push_back(strings.error().message);
        continue;
      }
      auto info = parseGoModInfo(strings->goVersion, strings->modInfo, location);
      if (!info) {
        // The toolchain version alone still matters for stdlib advisories.
        ctx.warnings.push_back(info.error().message);
        info = GoBuildInfo{strings->goVersion, {}, std::nullopt, {}, {}};
      }
      addPackages(*info, location, ctx.warnings, out);
    }
    return {};
  }

 private:
  static void addPackages(const GoBuildInfo& info, const std::string& location,
                          std::vector<std::string>& warnings, std::vector<Package>& out) {
    std::string goos;
    std::string goarch;
    for (const auto& [key, value] : info.settings) {
      if (key == "GOOS") goos = value;
      if (key == "GOARCH") goarch = value;
    }
    auto base = [&] {
      Package p;
      p.ecosystem = eco::kGo;
      p.locations.push_back(location);
      p.metadata["goVersion"] = info.goVersion;
      if (!info.path.empty()) p.metadata["mainPackage"] = info.path;
      if (info.main) p.metadata["mainModule"] = info.main->module.path;
      if (!goos.empty()) p.metadata["GOOS"] = goos;
      if (!goarch.empty()) p.metadata["GOARCH"] = goarch;
      return p;
    };
    auto module = [&](const GoDependency& dep) {
      Package p = base();
      const GoModule& used = dep.replacement ? *dep.replacement : dep.module;
      p.name = used.path;
      p.version = used.version;
      if (!used.sum.empty()) p.metadata["h1Digest"] = used.sum;
      if (dep.replacement) {
        p.metadata["replaces"] = dep.module.path;
        p.metadata["replacesVersion"] = dep.module.version;
      }
      return p;
    };
    if (info.main && !info.main->module.path.empty()) {
      Package p = module(*info.main);
      p.metadata["main"] = "true";
      size_t kept = 0;
      for (const auto& [key, value] : info.settings) {
        if (kept++ == kMaxSettingsKept) break;
        p.metadata["build:" + key] = value;
      }
      out.push_back(std::move(p));
    }
    for (const auto& dep : info.deps) {
      if ((dep.replacement ? dep.replacement->path : dep.module.path).empty()) continue;
      out.push_back(module(dep));
    }
    const std::string stdlib = goStdlibVersion(info.goVersion);
    if (stdlib.empty()) {
      warnings.push_back(fmt::format("{}: Go toolchain version '{}' is not a release; no stdlib "
                                     "package",
                                     location, info.goVersion));
      return;
    }
    Package p = base();
    p.name = "stdlib";
    p.version = stdlib;
    out.push_back(std::move(p));
  }
};

}  // namespace

std::unique_ptr<Cataloger> makeGoCataloger() { return std::make_unique<GoCataloger>(); }

}  // namespace bulkhead::sbom
