// .NET: deps.json as `dotnet publish` writes it (framework-dependent and self-contained),
// hostile JSON, and the cataloger.

#include "sbom/catalogers/dotnet.h"

#include <gtest/gtest.h>

#include <set>

#include "sbom/catalogers/catalogers.h"
#include "sbom/sbom.h"
#include "support/layout_builder.h"
#include "support/tar_builder.h"

namespace bulkhead::sbom {
namespace {

namespace tb = bulkhead::testing;

constexpr const char* kDeps = R"({
  "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0/linux-x64", "signature": ""},
  "compilationOptions": {},
  "targets": {
    ".NETCoreApp,Version=v8.0": {},
    ".NETCoreApp,Version=v8.0/linux-x64": {
      "WebApp/1.0.0": {
        "dependencies": {"Newtonsoft.Json": "13.0.1", "Serilog": "3.1.1", "Shared": "1.0.0"},
        "runtime": {"WebApp.dll": {}}
      },
      "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {
        "runtime": {"System.Private.CoreLib.dll": {"assemblyVersion": "8.0.0.0", "fileVersion": "8.0.23.53103"}},
        "native": {"libclrjit.so": {"fileVersion": "0.0.0.0"}}
      },
      "Newtonsoft.Json/13.0.1": {
        "runtime": {"lib/net6.0/Newtonsoft.Json.dll": {"assemblyVersion": "13.0.0.0", "fileVersion": "13.0.1.25517"}}
      },
      "Serilog/3.1.1": {"runtime": {"lib/net7.0/Serilog.dll": {}}},
      "Microsoft.NETCore.Platforms/1.1.0": {},
      "Shared/1.0.0": {"runtime": {"Shared.dll": {}}}
    }
  },
  "libraries": {
    "WebApp/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {"type": "runtimepack", "serviceable": false, "sha512": ""},
    "Newtonsoft.Json/13.0.1": {"type": "package", "serviceable": true,
      "sha512": "sha512-ppPFpBcvxdsfUonNcvITKqLl3bqxWbDCZIzDWHzjpdAHRFfZe0Dw9HmA0+za13IdyrgJwpkDTDA9fHaxOrt20A==",
      "path": "newtonsoft.json/13.0.1", "hashPath": "newtonsoft.json.13.0.1.nupkg.sha512"},
    "Serilog/3.1.1": {"type": "package", "serviceable": true, "sha512": "sha512-x", "path": "serilog/3.1.1"},
    "Microsoft.NETCore.Platforms/1.1.0": {"type": "package", "serviceable": true, "sha512": "sha512-y"},
    "Shared/1.0.0": {"type": "reference", "serviceable": false, "sha512": ""},
    "NoVersion": {"type": "package"},
    "Odd/": {"type": "package"}
  }
})";

TEST(DepsJson, PackagesRuntimePacksAndAssets) {
  auto parsed = dotnet::parseDepsJson(kDeps, "/app/WebApp.deps.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  std::set<std::string> got;
  for (const auto& p : parsed->packages)
    got.insert(p.name + "@" + p.version + " assets=" + p.metadata.at("assets"));
  EXPECT_EQ(
      got, (std::set<std::string>{"Microsoft.NETCore.App.Runtime.linux-x64@8.0.0 assets=true",
                                  "Newtonsoft.Json@13.0.1 assets=true", "Serilog@3.1.1 assets=true",
                                  "Microsoft.NETCore.Platforms@1.1.0 assets=false"}));
  ASSERT_EQ(parsed->warnings.size(), 2u);
  EXPECT_NE(parsed->warnings[0].find("/app/WebApp.deps.json"), std::string::npos);
  for (const auto& p : parsed->packages) {
    if (p.name == "Newtonsoft.Json") {
      EXPECT_EQ(p.metadata.at("path"), "newtonsoft.json/13.0.1");
      Package withPurl = p;
      withPurl.ecosystem = eco::kNuget;
      EXPECT_EQ(makePurl(withPurl), "pkg:nuget/Newtonsoft.Json@13.0.1");
    }
  }
}

TEST(DepsJson, WithoutTargetsAndMalformed) {
  auto bare =
      dotnet::parseDepsJson(R"({"libraries": {"A/1.0": {"type": "package"}}})", "/a.deps.json");
  ASSERT_TRUE(bare);
  ASSERT_EQ(bare->packages.size(), 1u);
  EXPECT_FALSE(bare->packages[0].metadata.contains("assets"));
  for (std::string_view text :
       {"", "[]", "{}", "{\"libraries\": []}", "{\"libraries\": {", "nul"}) {
    auto parsed = dotnet::parseDepsJson(text, "/srv/x.deps.json");
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().message.find("/srv/x.deps.json"), std::string::npos);
  }
  auto odd = dotnet::parseDepsJson(
      R"({"libraries": {"A/1": 5, "B/2": {"type": 7}}, "targets": []})", "/o");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->packages.empty());
}

TEST(DotnetCataloger, EveryDepsJson) {
  const std::string dir = tb::makeTempDir("image");
  tb::LayoutBuilder builder(dir + "/layout");
  // Windows build contexts make every file executable: still this cataloger's.
  builder.writeIndexJson({builder.image({tb::makeTar(
      {tb::file("app/WebApp.deps.json", kDeps, 0755),
       tb::file(
           "usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json",
           R"({"libraries": {"Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {"type": "package"}}})"),
       tb::file("app/broken.deps.json", "{")})})});
  image::ReadOptions options;
  options.useCache = false;
  options.capture = sbomCapture();
  auto image = image::openImage("oci:" + dir + "/layout", options);
  ASSERT_TRUE(image) << image.error().message;
  std::vector<std::string> warnings;
  std::vector<Package> packages;
  ASSERT_TRUE(makeDotnetCataloger()->catalog(CatalogContext{*image, warnings}, packages));
  std::multiset<std::string> locations;
  for (const auto& p : packages) {
    EXPECT_EQ(p.ecosystem, eco::kNuget);
    locations.insert(p.locations.at(0));
  }
  EXPECT_EQ(locations.count("/app/WebApp.deps.json"), 4u);
  EXPECT_EQ(
      locations.count(
          "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json"),
      1u);
  ASSERT_EQ(warnings.size(), 3u);  // two odd libraries, the broken file
  bool broken = false;
  for (const auto& w : warnings) broken |= w.find("/app/broken.deps.json") != std::string::npos;
  EXPECT_TRUE(broken);
}

}  // namespace
}  // namespace bulkhead::sbom
