// .NET packages from *.deps.json files (NuGet: pkg:nuget/Name@Version).

#include "sbom/catalogers/dotnet.h"

#include "core/json.h"
#include "sbom/catalogers/catalogers.h"

namespace bulkhead::sbom {
namespace dotnet {
namespace {

using nlohmann::json;

constexpr size_t kMaxLibraries = 100'000;

}  // namespace

Result<lang::Parsed> parseDepsJson(std::string_view text, std::string_view what) {
  auto doc = parseJson(text, what, JsonLimits{kMaxDepsJsonBytes, 32});
  if (!doc) return std::move(doc).error();
  if (!doc->is_object()) return makeError("{}: deps.json is not a JSON object", what);
  const json* libraries = jsonObject(*doc, "libraries");
  if (libraries == nullptr) return makeError("{}: no \"libraries\" object", what);
  const json* target = nullptr;
  if (const json* targets = jsonObject(*doc, "targets")) {
    std::string name;
    if (const json* runtime = jsonObject(*doc, "runtimeTarget"))
      name = jsonString(*runtime, "name");
    if (!name.empty()) target = jsonObject(*targets, name);
    if (target == nullptr && targets->size() == 1 && targets->begin()->is_object())
      target = &*targets->begin();
  }
  lang::Parsed out;
  for (const auto& [key, library] : libraries->items()) {
    if (out.packages.size() >= kMaxLibraries) {
      out.warnings.push_back(
          fmt::format("{}: more than {} libraries; the rest ignored", what, kMaxLibraries));
      break;
    }
    const std::string type = jsonString(library, "type");
    if (type != "package" && type != "runtimepack") continue;
    const auto slash = key.rfind('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == key.size()) {
      out.warnings.push_back(fmt::format("{}: library \"{}\" is not \"Name/Version\"", what, key));
      continue;
    }
    Package p;
    p.name = key.substr(0, slash);
    p.version = key.substr(slash + 1);
    if (type == "runtimepack") {
      if (p.name.starts_with("runtimepack.")) p.name = p.name.substr(12);
      p.metadata["type"] = type;
    }
    if (auto path = jsonString(library, "path"); !path.empty()) p.metadata["path"] = path;
    if (auto sha = jsonString(library, "sha512"); !sha.empty()) p.metadata["sha512"] = sha;
    if (target != nullptr) {
      const json* entry = jsonObject(*target, key);
      const bool assets = entry != nullptr && (jsonObject(*entry, "runtime") != nullptr ||
                                               jsonObject(*entry, "native") != nullptr);
      p.metadata["assets"] = assets ? "true" : "false";
    }
    out.packages.push_back(std::move(p));
  }
  return out;
}

}  // namespace dotnet

namespace {

class DotnetCataloger final : public Cataloger {
 public:
  std::string_view name() const override { return "dotnet-deps"; }

  void addCaptureRules(image::CaptureSpec& spec) const override {
    auto rule =
        lang::parsingRule("dotnet-deps-json", 1, dotnet::kMaxDepsJsonBytes, &dotnet::parseDepsJson);
    rule.suffixes = {".deps.json"};
    spec.add(std::move(rule));
  }

  Status catalog(const CatalogContext& ctx, std::vector<Package>& out) const override {
    for (const auto& path : lang::filesEndingWith(ctx.image, {".deps.json"})) {
      auto parsed = lang::parsedFile(ctx, path, dotnet::kMaxDepsJsonBytes);
      if (!parsed) continue;
      for (auto& p : parsed->packages) {
        p.ecosystem = eco::kNuget;
        p.locations = {"/" + path};
        out.push_back(std::move(p));
      }
    }
    return {};
  }
};

}  // namespace

std::unique_ptr<Cataloger> makeDotnetCataloger() { return std::make_unique<DotnetCataloger>(); }

}  // namespace bulkhead::sbom
