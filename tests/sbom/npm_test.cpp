// npm: the parsers on hand-written manifests and lockfiles (every license form, scopes,
// aliases, links, v1/v2/v3), the cataloger on images built in the test (installed tree
// against lockfile, broken files as warnings), and the accuracy bar of the issue: the
// packages of an app installed from the npm registry at pinned versions equal what
// `npm ls --all --json --long` lists, and its lockfile alone (v3, v2, v1) gives the same.

#include "sbom/catalogers/npm.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "core/json.h"
#include "core/sha256.h"
#include "sbom/catalogers/catalogers.h"
#include "sbom/sbom.h"
#include "support/layout_builder.h"
#include "support/node_tool.h"
#include "support/tar_builder.h"
#include "support/testbed.h"

namespace bulkhead::sbom {
namespace {

namespace tb = bulkhead::testing;
namespace fs = std::filesystem;
using nlohmann::json;

struct Catalogued {
  std::vector<Package> packages;
  std::vector<std::string> warnings;
};

const Cataloger& catalogerNamed(std::string_view name) {
  for (const auto& c : allCatalogers()) {
    if (c->name() == name) return *c;
  }
  throw std::runtime_error("no cataloger " + std::string(name));
}

Catalogued catalogImage(const std::string& input, std::string_view cataloger) {
  image::ReadOptions options;
  options.useCache = false;
  options.capture = sbomCapture();
  auto image = image::openImage(input, options);
  if (!image) throw std::runtime_error(image.error().message);
  Catalogued out;
  CatalogContext context{*image, out.warnings};
  auto status = catalogerNamed(cataloger).catalog(context, out.packages);
  if (!status) throw std::runtime_error(status.error().message);
  return out;
}

Catalogued catalogLayers(const std::vector<std::vector<tb::TarEntry>>& layers,
                         std::string_view cataloger) {
  const std::string dir = tb::makeTempDir("image");
  tb::LayoutBuilder builder(dir + "/layout");
  std::vector<std::string> tars;
  for (const auto& entries : layers) tars.push_back(tb::makeTar(entries));
  builder.writeIndexJson({builder.image(tars)});
  return catalogImage("oci:" + dir + "/layout", cataloger);
}

std::string fullName(const Package& p) {
  return p.nameSpace.empty() ? p.name : p.nameSpace + "/" + p.name;
}

const Package* find(const std::vector<Package>& packages, std::string_view name,
                    std::string_view location) {
  for (const auto& p : packages) {
    if (fullName(p) == name && (location.empty() || p.locations.front() == location)) return &p;
  }
  return nullptr;
}

bool anyContains(const std::vector<std::string>& items, std::string_view a,
                 std::string_view b = {}) {
  for (const auto& i : items) {
    if (i.find(a) != std::string::npos && i.find(b) != std::string::npos) return true;
  }
  return false;
}

TEST(NpmPackageJson, LicenseFormsScopesAndFlags) {
  auto one = [](std::string_view text) {
    auto parsed = npm::parsePackageJson(text, "/x/package.json");
    if (!parsed) throw std::runtime_error(parsed.error().message);
    return parsed->packages.at(0);
  };
  EXPECT_EQ(one(R"({"name":"a","version":"1.0.0","license":"MIT"})").licenses,
            std::vector<std::string>{"MIT"});
  EXPECT_EQ(one(R"({"name":"a","version":"1","license":{"type":"ISC","url":"x"}})").licenses,
            std::vector<std::string>{"ISC"});
  EXPECT_EQ(one(R"({"name":"a","version":"1","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]})")
                .licenses,
            (std::vector<std::string>{"MIT", "Apache-2.0"}));
  EXPECT_EQ(one(R"j({"name":"a","version":"1","licenses":["BSD"],"license":"(MIT OR GPL-3.0)"})j")
                .licenses,
            (std::vector<std::string>{"(MIT OR GPL-3.0)", "BSD"}));
  EXPECT_TRUE(one(R"({"name":"a","version":"1","license":42})").licenses.empty());
  const Package scoped = one(R"({"name":"@babel/core","version":"7.0.0","private":true})");
  EXPECT_EQ(scoped.nameSpace, "@babel");
  EXPECT_EQ(scoped.name, "core");
  EXPECT_EQ(scoped.metadata.at("private"), "true");
  Package purl = scoped;
  purl.ecosystem = eco::kNpm;
  EXPECT_EQ(makePurl(purl), "pkg:npm/%40babel/core@7.0.0");
  // Name and version of other types are as absent.
  const Package odd = one(R"({"name":["x"],"version":1.5})");
  EXPECT_TRUE(odd.name.empty());
  EXPECT_TRUE(odd.version.empty());
}

TEST(NpmPackageJson, MalformedIsAnErrorNamingTheFile) {
  for (std::string_view text : {"", "{", "[1,2]", "\"str\"", "{\"name\": \"a\",}", "\xff\xfe{}"}) {
    auto parsed = npm::parsePackageJson(text, "/app/node_modules/x/package.json");
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().message.find("/app/node_modules/x/package.json"), std::string::npos);
  }
  // Deeply nested JSON is refused before the parser recurses.
  auto deep = npm::parsePackageJson(std::string(100'000, '[') + std::string(100'000, ']'), "/deep");
  ASSERT_FALSE(deep);
}

TEST(NpmLockfile, Version3PackagesMap) {
  const char* text = R"({
    "name": "app", "lockfileVersion": 3,
    "packages": {
      "": {"name": "app", "version": "1.0.0"},
      "node_modules/a": {"version": "1.0.0", "license": "MIT", "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz"},
      "node_modules/a/node_modules/b": {"version": "2.0.0", "dev": true},
      "node_modules/@s/c": {"version": "3.0.0", "optional": true},
      "node_modules/alias": {"name": "real", "version": "4.0.0"},
      "node_modules/ws-link": {"resolved": "packages/ws", "link": true},
      "packages/ws": {"name": "ws", "version": "0.0.1"},
      "node_modules/noversion": {"resolved": "x"},
      "node_modules/junk": 5
    }})";
  auto parsed = npm::parsePackageLock(text, "/app/package-lock.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  std::set<std::tuple<std::string, std::string, std::string>> got;
  for (const auto& p : parsed->packages) got.emplace(fullName(p), p.version, p.metadata.at("path"));
  EXPECT_EQ(got, (std::set<std::tuple<std::string, std::string, std::string>>{
                     {"a", "1.0.0", "node_modules/a"},
                     {"b", "2.0.0", "node_modules/a/node_modules/b"},
                     {"@s/c", "3.0.0", "node_modules/@s/c"},
                     {"real", "4.0.0", "node_modules/alias"}}));
  const Package* b = find(parsed->packages, "b", "");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->metadata.at("dev"), "true");
  EXPECT_EQ(find(parsed->packages, "a", "")->licenses, std::vector<std::string>{"MIT"});
  EXPECT_EQ(find(parsed->packages, "@s/c", "")->metadata.at("optional"), "true");
  ASSERT_EQ(parsed->warnings.size(), 1u);
  EXPECT_NE(parsed->warnings[0].find("/app/package-lock.json"), std::string::npos);
  EXPECT_NE(parsed->warnings[0].find("node_modules/noversion"), std::string::npos);
}

TEST(NpmLockfile, Version1DependencyTree) {
  const char* text = R"({
    "name": "app", "lockfileVersion": 1,
    "dependencies": {
      "a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0", "dev": true,
              "dependencies": {"c": {"version": "3.0.0", "bundled": true}}}}},
      "x": {"version": "npm:@s/real@5.0.0"},
      "y": {"version": "github:user/y#abc123"}
    }})";
  auto parsed = npm::parsePackageLock(text, "/app/package-lock.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  std::set<std::tuple<std::string, std::string, std::string>> got;
  for (const auto& p : parsed->packages) got.emplace(fullName(p), p.version, p.metadata.at("path"));
  EXPECT_EQ(got, (std::set<std::tuple<std::string, std::string, std::string>>{
                     {"a", "1.0.0", "node_modules/a"},
                     {"b", "2.0.0", "node_modules/a/node_modules/b"},
                     {"c", "3.0.0", "node_modules/a/node_modules/b/node_modules/c"},
                     {"@s/real", "5.0.0", "node_modules/x"},
                     {"y", "github:user/y#abc123", "node_modules/y"}}));
  EXPECT_EQ(find(parsed->packages, "c", "")->metadata.at("bundled"), "true");
}

TEST(NpmLockfile, MalformedAndHostile) {
  EXPECT_FALSE(npm::parsePackageLock("[]", "/l"));
  EXPECT_FALSE(npm::parsePackageLock("{\"packages\":", "/l"));
  auto empty = npm::parsePackageLock(R"({"packages": [], "dependencies": 7})", "/l");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->packages.empty());
  // v1 nesting as deep as the JSON bound allows is read without trouble.
  std::string deep = "{\"dependencies\":";
  for (int i = 0; i < 60; ++i) deep += "{\"d\":{\"version\":\"1\",\"dependencies\":";
  deep += "{}";
  for (int i = 0; i < 60; ++i) deep += "}}";
  deep += "}";
  auto parsed = npm::parsePackageLock(deep, "/deep-lock");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->packages.size(), 60u);
}

TEST(NpmPaths, InstalledManifestsAndAppRoots) {
  EXPECT_TRUE(npm::isInstalledPackageJson("app/node_modules/a/package.json"));
  EXPECT_TRUE(npm::isInstalledPackageJson("node_modules/a/package.json"));
  EXPECT_TRUE(npm::isInstalledPackageJson("app/node_modules/@s/a/package.json"));
  EXPECT_TRUE(npm::isInstalledPackageJson("app/node_modules/a/node_modules/b/package.json"));
  EXPECT_TRUE(
      npm::isInstalledPackageJson("app/node_modules/.pnpm/a@1.0.0/node_modules/a/package.json"));
  EXPECT_FALSE(npm::isInstalledPackageJson("app/package.json"));
  EXPECT_FALSE(npm::isInstalledPackageJson("app/node_modules/a/dist/package.json"));
  EXPECT_FALSE(npm::isInstalledPackageJson("app/node_modules/@s/package.json"));
  EXPECT_FALSE(npm::isInstalledPackageJson("app/node_modules/.bin/package.json"));
  EXPECT_FALSE(npm::isInstalledPackageJson("app/node_modules/a/package.json.bak"));
  EXPECT_EQ(npm::appRootOf("srv/app/node_modules/a/node_modules/b/package.json"), "srv/app");
  EXPECT_EQ(npm::appRootOf("node_modules/a/package.json"), "");
}

std::string manifest(std::string_view name, std::string_view version, std::string_view extra = "") {
  return fmt::format(R"({{"name":"{}","version":"{}"{}}})", name, version, extra);
}

TEST(NpmCataloger, InstalledTreeWinsAndLockfileAddsFlags) {
  const std::string lock = R"({"lockfileVersion":3,"packages":{
      "":{"name":"web"},
      "node_modules/a":{"version":"1.0.0"},
      "node_modules/d":{"version":"9.9.9","dev":true},
      "node_modules/never-installed":{"version":"1.0.0"}}})";
  auto result = catalogLayers(
      {{tb::file("app/package.json", manifest("web", "2.0.0")),
        tb::file("app/package-lock.json", lock),
        tb::file("app/node_modules/a/package.json", manifest("a", "1.0.0", R"(,"license":"MIT")")),
        tb::file("app/node_modules/a/dist/package.json", R"({"type":"module"})"),
        tb::file("app/node_modules/a/package-lock.json", lock),
        tb::file("app/node_modules/a/node_modules/b/package.json", manifest("b", "2.0.0")),
        tb::file("app/node_modules/@s/c/package.json", manifest("@s/c", "3.0.0"))},
       // A later layer adds a dev package and a broken one.
       {tb::file("app/node_modules/d/package.json", manifest("d", "9.9.9")),
        tb::file("app/node_modules/broken/package.json", "{\"name\": \"broken\", "),
        tb::file("app/node_modules/nover/package.json", R"({"name":"nover"})"),
        tb::file("app/node_modules/noname/package.json", R"({"version":"0.1.0"})")}},
      "npm");
  std::set<std::string> got;
  for (const auto& p : result.packages)
    got.insert(fullName(p) + "@" + p.version + " " + p.locations.at(0));
  EXPECT_EQ(got, (std::set<std::string>{"a@1.0.0 /app/node_modules/a/package.json",
                                        "b@2.0.0 /app/node_modules/a/node_modules/b/package.json",
                                        "@s/c@3.0.0 /app/node_modules/@s/c/package.json",
                                        "d@9.9.9 /app/node_modules/d/package.json",
                                        "noname@0.1.0 /app/node_modules/noname/package.json"}));
  const Package* d = find(result.packages, "d", "");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->metadata.at("dev"), "true");
  EXPECT_EQ(d->metadata.at("app"), "/app");
  EXPECT_EQ(d->metadata.at("appPackage"), "web@2.0.0");
  EXPECT_EQ(d->ecosystem, eco::kNpm);
  EXPECT_FALSE(find(result.packages, "a", "")->metadata.contains("dev"));
  EXPECT_EQ(find(result.packages, "a", "")->licenses, std::vector<std::string>{"MIT"});
  EXPECT_EQ(find(result.packages, "b", "")->metadata.at("path"), "node_modules/a/node_modules/b");
  EXPECT_TRUE(
      anyContains(result.warnings, "/app/node_modules/broken/package.json", "invalid JSON"));
  EXPECT_TRUE(
      anyContains(result.warnings, "/app/node_modules/nover/package.json", "without a version"));
}

TEST(NpmCataloger, LockfileOnlyWhenNothingIsInstalled) {
  auto result = catalogLayers(
      {{tb::file("srv/api/package.json", manifest("api", "1.0.0")),
        tb::file(
            "srv/api/package-lock.json",
            R"({"lockfileVersion":2,"packages":{"":{},"node_modules/x":{"version":"1.2.3","dev":true}},
                     "dependencies":{"x":{"version":"0.0.0"}}})"),
        // npm-shrinkwrap.json wins over package-lock.json in the same folder.
        tb::file("srv/cli/package-lock.json",
                 R"({"lockfileVersion":3,"packages":{"node_modules/y":{"version":"1.0.0"}}})"),
        tb::file("srv/cli/npm-shrinkwrap.json",
                 R"({"lockfileVersion":3,"packages":{"node_modules/y":{"version":"2.0.0"}}})"),
        tb::file("srv/bad/package-lock.json", "not json")}},
      "npm");
  std::set<std::string> got;
  for (const auto& p : result.packages)
    got.insert(fullName(p) + "@" + p.version + " " + p.locations.at(0));
  EXPECT_EQ(got, (std::set<std::string>{"x@1.2.3 /srv/api/package-lock.json",
                                        "y@2.0.0 /srv/cli/npm-shrinkwrap.json"}));
  const Package* x = find(result.packages, "x", "");
  EXPECT_EQ(x->metadata.at("source"), "lockfile");
  EXPECT_EQ(x->metadata.at("dev"), "true");
  EXPECT_TRUE(anyContains(result.warnings, "/srv/bad/package-lock.json"));
}

constexpr const char* kYarnClassic =
    R"y(# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#dcfc826beef65e75c50e21d3837d7d95798dd658"
  integrity sha512-HV1Cm0Q3ZrpCR93tkWOYiuYIgLxZXZFVG2VgK+MBWjUqZTundupbfx2aXarXuw5Ko5aMcjtJgbSs4vUGBS5v6g==
  dependencies:
    "@babel/highlight" "^7.12.13"

accepts@~1.3.4, accepts@~1.3.5:
  version "1.3.8"
  resolved "https://registry.yarnpkg.com/accepts/-/accepts-1.3.8.tgz"

accepts@^1.0.0:
  version "1.3.8"

"my-lodash@npm:lodash@4.17.21":
  version "4.17.21"

local@file:./local:
  version "0.0.1"

broken@^1.0.0:
  resolved "https://registry.yarnpkg.com/broken/-/broken-1.0.0.tgz"
)y";

constexpr const char* kYarnBerry =
    R"y(# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 8
  cacheKey: 10c0

"@types/node@npm:18.0.0":
  version: 18.0.0
  resolution: "@types/node@npm:18.0.0"
  checksum: 10c0/1481061b322bc72544944cd038cc1b037b013336fb63775638d48231a3e9ddf5f99af6f8719b970ccfff60701d86afd0cecfc27cd7ccf78c845f53079dc78ed4
  languageName: node
  linkType: hard

"accepts@npm:~1.3.4, accepts@npm:~1.3.5":
  version: 1.3.8
  resolution: "accepts@npm:1.3.8"
  dependencies:
    mime-types: "npm:~2.1.34"
  languageName: node
  linkType: hard

"my-lodash@npm:lodash@4.17.21":
  version: 4.17.21
  resolution: "lodash@npm:4.17.21"
  languageName: node
  linkType: hard

"resolve@npm:^1.22.0":
  version: 1.22.8
  resolution: "resolve@npm:1.22.8"

"resolve@patch:resolve@npm%3A^1.22.0#optional!builtin<compat/resolve>":
  version: 1.22.8
  resolution: "resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d"

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  languageName: unknown
  linkType: soft
)y";

std::set<std::string> nameVersions(const std::vector<Package>& packages) {
  std::set<std::string> out;
  for (const auto& p : packages) out.insert(fullName(p) + "@" + p.version);
  return out;
}

TEST(YarnLock, ClassicAndBerry) {
  auto classic = npm::parseYarnLock(kYarnClassic, "/app/yarn.lock");
  ASSERT_TRUE(classic) << classic.error().message;
  EXPECT_EQ(
      nameVersions(classic->packages),
      (std::set<std::string>{"@babel/code-frame@7.12.13", "accepts@1.3.8", "lodash@4.17.21"}));
  EXPECT_EQ(classic->packages.size(), 3u);  // accepts once
  ASSERT_EQ(classic->warnings.size(), 1u);
  EXPECT_NE(classic->warnings[0].find("/app/yarn.lock: line 25"), std::string::npos)
      << classic->warnings[0];
  EXPECT_EQ(find(classic->packages, "@babel/code-frame", "")->nameSpace, "@babel");
  auto berry = npm::parseYarnLock(kYarnBerry, "/app/yarn.lock");
  ASSERT_TRUE(berry) << berry.error().message;
  EXPECT_EQ(nameVersions(berry->packages),
            (std::set<std::string>{"@types/node@18.0.0", "accepts@1.3.8", "lodash@4.17.21",
                                   "resolve@1.22.8"}));
  EXPECT_EQ(berry->packages.size(), 4u);  // the patched resolve is the same package
  EXPECT_TRUE(berry->warnings.empty());
}

TEST(YarnLock, MalformedAndHostile) {
  for (std::string_view text : {"not a lockfile", "a@1:\n  version \"1\"\nstray line\n"}) {
    auto parsed = npm::parseYarnLock(text, "/srv/yarn.lock");
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().message.find("/srv/yarn.lock"), std::string::npos);
  }
  for (std::string_view text :
       {"", "# yarn lockfile v1\n", ":\n", "\"\":\n  version \"1\"\n", "@:\n  version 1\n",
        "a@1:\n   version \"deeper\"\n", "a@npm:@:\n  version \"1\"\n"}) {
    EXPECT_TRUE(npm::parseYarnLock(text, "/srv/yarn.lock")) << text;
  }
}

TEST(NpmCataloger, YarnLockOnlyWithoutNodeModulesAndAfterNpmLockfiles) {
  auto result = catalogLayers(
      {{tb::file("srv/pnp/package.json", manifest("pnp", "1.0.0")),
        tb::file("srv/pnp/yarn.lock", kYarnBerry), tb::file("srv/both/yarn.lock", kYarnClassic),
        tb::file("srv/both/package-lock.json",
                 R"({"lockfileVersion":3,"packages":{"node_modules/z":{"version":"1.0.0"}}})"),
        tb::file("srv/installed/yarn.lock", kYarnClassic),
        tb::file("srv/installed/node_modules/accepts/package.json", manifest("accepts", "1.3.8")),
        tb::file("srv/installed/node_modules/accepts/yarn.lock", kYarnClassic)}},
      "npm");
  std::multiset<std::string> locations;
  for (const auto& p : result.packages) locations.insert(p.locations.at(0));
  EXPECT_EQ(locations.count("/srv/pnp/yarn.lock"), 4u);
  EXPECT_EQ(locations.count("/srv/both/package-lock.json"), 1u);
  EXPECT_EQ(locations.count("/srv/installed/node_modules/accepts/package.json"), 1u);
  EXPECT_EQ(result.packages.size(), 6u);
  EXPECT_TRUE(result.warnings.empty()) << ::testing::PrintToString(result.warnings);
}

// --- The accuracy bar: a registry install against npm ls. -------------------------------

// The app: pinned old versions with transitive dependencies, a scope, an alias, a dev
// dependency, and "ms" at the top so that older copies nest under their dependents.
constexpr const char* kOracleManifest = R"({
  "name": "bulkhead-npm-oracle", "version": "1.0.0", "private": true,
  "dependencies": {
    "express": "4.16.0", "lodash": "4.17.4", "minimist": "0.0.8", "ms": "2.1.3",
    "@types/node": "18.0.0", "my-lodash": "npm:lodash@4.17.21"
  },
  "devDependencies": { "left-pad": "1.3.0" }
})";

using Entry = std::tuple<std::string, std::string, std::string, bool>;  // name, version, path, dev

std::string selfDirectory() {
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::temp_directory_path().string() : exe.parent_path().string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string installOracle(const std::string& root, std::string& skipReason);

// The installed app, cached beside the test binary under the manifest's hash so that
// reruns need no network; an flock keeps parallel test processes from installing into the
// same directory at once. Empty when npm or the registry is unavailable.
std::string oracleRoot(std::string& skipReason) {
  const std::string root =
      selfDirectory() + "/npm-oracle-" + Sha256::hex(kOracleManifest).substr(0, 16);
  const int lockFd = ::open((root + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (lockFd < 0 || ::flock(lockFd, LOCK_EX) != 0) {
    skipReason = "cannot lock " + root + ".lock";
    if (lockFd >= 0) ::close(lockFd);
    return {};
  }
  std::string out = installOracle(root, skipReason);
  ::close(lockFd);
  return out;
}

std::string installOracle(const std::string& root, std::string& skipReason) {
  const std::string app = root + "/rootfs/srv/app";
  if (fs::exists(root + "/complete")) return root;
  if (tb::runCommand({"npm", "--version"}).exitCode != 0) {
    skipReason = "npm is not installed";
    return {};
  }
  fs::remove_all(root);
  fs::create_directories(app);
  std::ofstream(app + "/package.json") << kOracleManifest;
  const std::string cache = root + "/npm-cache";
  const std::string flags =
      "--no-audit --no-fund --ignore-scripts --loglevel=error --cache '" + cache + "'";
  auto install = tb::runCommand({"sh", "-c", "cd '" + app + "' && npm install " + flags});
  if (install.exitCode != 0) {
    skipReason = "npm install failed (no registry access?): " + install.err.substr(0, 500);
    fs::remove_all(root);
    return {};
  }
  auto ls = tb::runCommand({"sh", "-c", "cd '" + app + "' && npm ls --all --json --long"});
  std::ofstream(root + "/npm-ls.json") << ls.out;
  // The same resolution as a v2 lockfile (which also holds the v1 "dependencies" tree).
  fs::create_directories(root + "/v2");
  std::ofstream(root + "/v2/package.json") << kOracleManifest;
  auto v2 = tb::runCommand(
      {"sh", "-c",
       "cd '" + root + "/v2' && npm install --package-lock-only --lockfile-version=2 --offline " +
           flags});
  if (v2.exitCode != 0 || ls.out.empty()) {
    skipReason =
        "npm ls or the v2 lockfile failed: " + ls.err.substr(0, 300) + v2.err.substr(0, 300);
    fs::remove_all(root);
    return {};
  }
  std::ofstream(root + "/complete") << "ok\n";
  return root;
}

void flattenNpmLs(const json& node, const std::string& appPrefix, std::set<Entry>& out) {
  const json* deps = jsonObject(node, "dependencies");
  if (deps == nullptr) return;
  for (const auto& [key, child] : deps->items()) {
    const std::string path = jsonString(child, "path");
    if (!path.empty() && !jsonBool(child, "missing")) {
      ASSERT_TRUE(path.starts_with(appPrefix)) << path;
      out.emplace(jsonString(child, "name", key), jsonString(child, "version"),
                  path.substr(appPrefix.size()), jsonBool(child, "dev"));
    }
    flattenNpmLs(child, appPrefix, out);
  }
}

std::set<Entry> entriesOf(const std::vector<Package>& packages, std::string_view locationPrefix) {
  std::set<Entry> out;
  for (const auto& p : packages) {
    std::string path = p.metadata.contains("path") ? p.metadata.at("path") : "";
    if (p.metadata.contains("source")) {
      EXPECT_TRUE(p.locations.at(0).starts_with(locationPrefix)) << p.locations.at(0);
    } else {
      EXPECT_EQ(p.locations.at(0), std::string(locationPrefix) + path + "/package.json");
    }
    out.emplace(fullName(p), p.version, path, p.metadata.contains("dev"));
  }
  return out;
}

TEST(NpmOracle, InstalledTreeEqualsNpmLs) {
  std::string skip;
  const std::string root = oracleRoot(skip);
  if (root.empty() && tb::testbedRequired()) FAIL() << skip;
  if (root.empty()) GTEST_SKIP() << skip;
  auto ls = parseJson(slurp(root + "/npm-ls.json"), "npm ls output", JsonLimits{64u << 20, 512});
  ASSERT_TRUE(ls) << ls.error().message;
  std::set<Entry> expected;
  const std::string appPath = fs::canonical(root + "/rootfs/srv/app").string() + "/";
  flattenNpmLs(*ls, appPath, expected);
  ASSERT_GE(expected.size(), 50u);  // express alone brings ~50

  auto result = catalogImage("rootfs:" + root + "/rootfs", "npm");
  const std::set<Entry> got = entriesOf(result.packages, "/srv/app/");
  EXPECT_EQ(got.size(), result.packages.size()) << "a package counted twice";
  EXPECT_EQ(got, expected);
  for (const auto& w : result.warnings) ADD_FAILURE() << "warning: " << w;
  // The scoped package and the alias, as purls.
  const Package* types = find(result.packages, "@types/node", "");
  ASSERT_NE(types, nullptr);
  Package withPurl = *types;
  EXPECT_EQ(makePurl(withPurl), "pkg:npm/%40types/node@18.0.0");
  EXPECT_NE(find(result.packages, "lodash", "/srv/app/node_modules/my-lodash/package.json"),
            nullptr);
  EXPECT_EQ(types->metadata.at("appPackage"), "bulkhead-npm-oracle@1.0.0");
}

// With node_modules gone, each lockfile version on its own gives the same packages.
TEST(NpmOracle, LockfilesAloneEqualNpmLs) {
  std::string skip;
  const std::string root = oracleRoot(skip);
  if (root.empty() && tb::testbedRequired()) FAIL() << skip;
  if (root.empty()) GTEST_SKIP() << skip;
  auto ls = parseJson(slurp(root + "/npm-ls.json"), "npm ls output", JsonLimits{64u << 20, 512});
  ASSERT_TRUE(ls) << ls.error().message;
  std::set<Entry> expected;
  flattenNpmLs(*ls, fs::canonical(root + "/rootfs/srv/app").string() + "/", expected);

  auto v2 =
      parseJson(slurp(root + "/v2/package-lock.json"), "v2 lockfile", JsonLimits{64u << 20, 512});
  ASSERT_TRUE(v2) << v2.error().message;
  json v1 = *v2;
  v1.erase("packages");
  v1["lockfileVersion"] = 1;
  const std::vector<std::pair<std::string, std::string>> locks = {
      {"v3", slurp(root + "/rootfs/srv/app/package-lock.json")},
      {"v2", v2->dump()},
      {"v1", v1.dump()}};
  for (const auto& [version, text] : locks) {
    SCOPED_TRACE(version);
    auto result = catalogLayers({{tb::file("srv/app/package.json", kOracleManifest),
                                  tb::file("srv/app/package-lock.json", text)}},
                                "npm");
    EXPECT_EQ(entriesOf(result.packages, "/srv/app/package-lock.json"), expected);
    EXPECT_TRUE(result.warnings.empty());
  }
}

// --- yarn: the same app installed by yarn classic and by yarn Berry (node-modules linker),
// both from the npm registry. What each left in node_modules (the installed-tree reading,
// checked against npm ls above) equals what its yarn.lock alone gives.

std::string yarnRoot(const std::string& flavor, std::string& skipReason) {
  const std::string root =
      selfDirectory() + "/yarn-oracle-" + flavor + "-" + Sha256::hex(kOracleManifest).substr(0, 16);
  if (fs::exists(root + "/complete")) return root;
  fs::remove_all(root);
  const std::string app = root + "/rootfs/srv/app";
  fs::create_directories(app);
  fs::create_directories(root + "/tools");
  std::ofstream(app + "/package.json") << kOracleManifest;
  const std::string npmFlags =
      "--no-audit --no-fund --ignore-scripts --loglevel=error --cache '" + root + "/npm-cache'";
  const std::string tool = flavor == "classic" ? "yarn@1.22.22" : "@yarnpkg/cli-dist@4.5.3";
  auto tools =
      tb::runCommand({"sh", "-c",
                      "cd '" + root + "/tools' && echo '{}' > package.json && npm install " +
                          npmFlags + " " + tool});
  if (tools.exitCode != 0) {
    skipReason =
        "installing " + tool + " failed (no registry access?): " + tools.err.substr(0, 300);
    fs::remove_all(root);
    return {};
  }
  std::string command;
  if (flavor == "classic") {
    command = "'" + root +
              "/tools/node_modules/yarn/bin/yarn.js' install --ignore-scripts --non-interactive "
              "--no-progress "
              "--registry https://registry.npmjs.org --cache-folder '" +
              root + "/yarn-cache'";
  } else {
    std::ofstream(app + "/.yarnrc.yml")
        << "npmRegistryServer: \"https://registry.npmjs.org\"\nnodeLinker: node-modules\n"
           "enableScripts: false\nenableTelemetry: false\nenableGlobalCache: false\n"
           "cacheFolder: \"" +
               root + "/yarn-cache\"\n";
    command = "node '" + root +
              "/tools/node_modules/@yarnpkg/cli-dist/bin/yarn.js' install --no-immutable";
  }
  auto install = tb::runCommand({"sh", "-c", "cd '" + app + "' && " + command},
                                {{"YARN_ENABLE_TELEMETRY", "0"}});
  if (install.exitCode != 0 || !fs::exists(app + "/yarn.lock") ||
      !fs::exists(app + "/node_modules")) {
    skipReason = "yarn install failed: " + install.out.substr(0, 300) + install.err.substr(0, 300);
    fs::remove_all(root);
    return {};
  }
  fs::remove_all(root + "/yarn-cache");
  std::ofstream(root + "/complete") << "ok\n";
  return root;
}

class YarnOracle : public ::testing::TestWithParam<std::string> {};

TEST_P(YarnOracle, LockfileEqualsWhatYarnInstalled) {
  std::string skip;
  const std::string root = yarnRoot(GetParam(), skip);
  if (root.empty() && tb::testbedRequired()) FAIL() << skip;
  if (root.empty()) GTEST_SKIP() << skip;
  auto installed = catalogImage("rootfs:" + root + "/rootfs", "npm");
  for (const auto& w : installed.warnings) ADD_FAILURE() << "warning: " << w;
  const auto expected = nameVersions(installed.packages);
  ASSERT_GE(expected.size(), 50u);
  auto locked =
      catalogLayers({{tb::file("srv/app/package.json", kOracleManifest),
                      tb::file("srv/app/yarn.lock", slurp(root + "/rootfs/srv/app/yarn.lock"))}},
                    "npm");
  EXPECT_EQ(nameVersions(locked.packages), expected);
  EXPECT_EQ(locked.packages.size(), expected.size());
  EXPECT_TRUE(locked.warnings.empty()) << ::testing::PrintToString(locked.warnings);
  for (const auto& p : locked.packages) EXPECT_EQ(p.locations.at(0), "/srv/app/yarn.lock");
}

INSTANTIATE_TEST_SUITE_P(Flavors, YarnOracle, ::testing::Values("classic", "berry"));

}  // namespace
}  // namespace bulkhead::sbom
