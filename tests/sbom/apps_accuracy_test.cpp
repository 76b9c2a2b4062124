// Accuracy on the test bed's "apps" image (tests/testbed/testbed.sh): what the catalogers
// find must equal what the ecosystems' own tools say about the same files.
//   * Go: `go version -m` (Debian's go) of a Debian-packaged binary (GOPATH build: the
//     toolchain only) and of a binary the test bed builds with modules and replacements;
//   * npm: the flattened `npm ls --all --json --long` tree of /app (name, version, path);
//   * Python: importlib.metadata over the image's dist-packages;
//   * dpkg: `dpkg-query -W`; Java: the Debian-packaged commons-lang3 jar.
// Distribution copies must carry `ownedBy` (the Debian package that installed their files);
// /app's npm packages and the test-built Go binary must not.
// Each check runs on the OCI layout (layers read once, capture rules, layer cache) and on
// the unpacked root file system (derived data computed on demand).

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/json.h"
#include "image/image_reader.h"
#include "sbom/sbom.h"
#include "support/layout_builder.h"
#include "support/testbed.h"

namespace bulkhead::sbom {
namespace {

namespace tb = bulkhead::testing;

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::vector<std::string> splitOn(const std::string& text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const auto at = text.find(separator, start);
    out.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

// "a b c" differences, for failure messages.
std::string difference(const std::multiset<std::string>& expected, const std::multiset<std::string>& actual) {
  std::vector<std::string> missing;
  std::vector<std::string> extra;
  std::set_difference(expected.begin(), expected.end(), actual.begin(), actual.end(),
                      std::back_inserter(missing));
  std::set_difference(actual.begin(), actual.end(), expected.begin(), expected.end(),
                      std::back_inserter(extra));
  std::string out = "\n  missing (the tool lists them, we do not):";
  for (const auto& m : missing) out += "\n    " + m;
  out += "\n  extra (we list them, the tool does not):";
  for (const auto& e : extra) out += "\n    " + e;
  return out;
}

// `go version -m` output: "<file>: <go version>", then tab-indented "path", "mod", "dep",
// "=>" and "build" lines. Per binary: the modules as name@version, the way the catalog
// records them (a replaced module as its replacement), plus "stdlib@v<go version>".
struct GoOracle {
  std::string goVersion;
  std::multiset<std::string> modules;
  std::map<std::string, std::string> replaced;  // replacement path -> original path
};

std::string stdlibFromGoVersion(const std::string& goVersion) {
  // Release versions only, which is what Debian's go makes: "go1.19.8" -> "v1.19.8".
  std::string v = "v" + goVersion.substr(2);
  if (std::count(v.begin(), v.end(), '.') == 1) v += ".0";
  return v;
}

std::map<std::string, GoOracle> parseGoVersionM(const std::string& text) {
  std::map<std::string, GoOracle> out;
  GoOracle* current = nullptr;
  std::string pendingDep;  // "path@version" of the last dep/mod line, until we know it is not replaced
  std::string pendingPath;
  auto flush = [&] {
    if (current != nullptr && !pendingDep.empty()) current->modules.insert(pendingDep);
    pendingDep.clear();
  };
  for (const auto& line : splitLines(text)) {
    if (line.empty()) continue;
    if (line[0] != '\t') {
      flush();
      const auto colon = line.find(": ");
      current = &out["/" + line.substr(0, colon)];
      current->goVersion = line.substr(colon + 2);
      current->modules.insert("stdlib@" + stdlibFromGoVersion(current->goVersion));
      continue;
    }
    const auto fields = splitOn(line.substr(1), '\t');
    if (fields[0] == "mod" || fields[0] == "dep") {
      flush();
      pendingDep = fields.at(1) + "@" + fields.at(2);
      pendingPath = fields.at(1);
    } else if (fields[0] == "=>") {
      pendingDep.clear();
      current->modules.insert(fields.at(1) + "@" + fields.at(2));
      current->replaced[fields.at(1)] = pendingPath;
    }
  }
  flush();
  return out;
}

// PEP 503 normalized names: what pip and importlib compare by.
std::string normalizePython(std::string name) {
  std::string out;
  for (char c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == '_' || c == '.') c = '-';
    if (c == '-' && !out.empty() && out.back() == '-') continue;
    out += c;
  }
  return out;
}

struct Scan {
  std::string what;
  Sbom sbom;
};

class AppsAccuracy : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    if (tb::testbedEnv() == nullptr || tb::testbedValue("TESTBED_APPS").empty()) return;
    // One cache per process: ctest runs the tests of this suite in parallel processes.
    cache_ = ::testing::TempDir() + "bulkhead-apps-accuracy-" + std::to_string(::getpid());
    std::error_code ec;
    std::filesystem::remove_all(cache_, ec);
    const std::string& cache = cache_;
    for (const std::string kind : {"oci", "rootfs"}) {
      const std::string input = kind == "oci"
                                    ? "oci:" + tb::testbedValue("TESTBED_APPS") + ":" +
                                          tb::testbedValue("TESTBED_APPS_TAG")
                                    : "rootfs:" + tb::testbedValue("TESTBED_APPS_ROOTFS");
      image::ReadOptions options;
      options.cacheDir = cache;
      options.capture = sbomCapture();
      auto img = image::openImage(input, options);
      if (!img) {
        errors_[kind] = img.error().message;
        continue;
      }
      auto sbom = buildSbom(*img);
      if (!sbom) {
        errors_[kind] = sbom.error().message;
        continue;
      }
      scans_[kind] = Scan{input, std::move(*sbom)};
    }
  }
  static void TearDownTestSuite() {
    scans_.clear();
    std::error_code ec;
    if (!cache_.empty()) std::filesystem::remove_all(cache_, ec);
  }

  void SetUp() override {
    BULKHEAD_REQUIRE_TESTBED();
    if (tb::testbedValue("TESTBED_APPS").empty()) {
      const char* must = std::getenv("BULKHEAD_REQUIRE_TESTBED");
      if (must && std::string(must) == "1") FAIL() << "the test bed has no apps image: rebuild it";
      GTEST_SKIP() << "the test bed has no apps image (TESTBED_APPS): run tests/testbed/testbed.sh build";
    }
    ASSERT_EQ(errors_.count(GetParam()), 0u) << errors_[GetParam()];
    scan_ = &scans_.at(GetParam());
  }

  std::vector<const Package*> packages(const char* ecosystem) const {
    std::vector<const Package*> out;
    for (const auto& p : scan_->sbom.packages) {
      if (p.ecosystem == ecosystem) out.push_back(&p);
    }
    return out;
  }

  std::string warnings() const {
    std::string out;
    for (const auto& w : scan_->sbom.warnings) out += "\n  " + w;
    return out;
  }

  const Scan* scan_ = nullptr;
  static inline std::map<std::string, Scan> scans_;
  static inline std::map<std::string, std::string> errors_;
  static inline std::string cache_;
};

TEST_P(AppsAccuracy, GoModulesEqualGoVersionM) {
  const auto oracle = parseGoVersionM(readText(tb::testbedValue("TESTBED_APPS_GO_VERSION_M")));
  const auto binaries = splitOn(tb::testbedValue("TESTBED_APPS_GO_BINARIES"), ' ');
  ASSERT_EQ(binaries.size(), 2u);
  ASSERT_EQ(oracle.size(), 2u);
  std::map<std::string, std::multiset<std::string>> found;
  std::map<std::string, std::set<std::string>> owners;
  for (const Package* p : packages(eco::kGo)) {
    found[p->locations.front()].insert(p->name + "@" + p->version);
    owners[p->locations.front()].insert(p->ownedBy);
  }
  std::set<std::string> foundBinaries;
  for (const auto& [binary, modules] : found) foundBinaries.insert(binary);
  EXPECT_EQ(foundBinaries, std::set<std::string>(binaries.begin(), binaries.end()))
      << "Go binaries found in " << scan_->what;
  for (const auto& [binary, expected] : oracle) {
    SCOPED_TRACE(binary);
    EXPECT_EQ(found[binary], expected.modules) << difference(expected.modules, found[binary]);
  }
  // The Debian binary's modules belong to its package; the built one's to nobody.
  const std::string debian = binaries[0];
  const std::string built = binaries[1];
  EXPECT_EQ(owners[debian], std::set<std::string>{"deb:umoci"});
  EXPECT_EQ(owners[built], std::set<std::string>{""});
  // Replacements: recorded as the replacement, the original kept.
  for (const Package* p : packages(eco::kGo)) {
    if (p->locations.front() != built) continue;
    const auto& replaced = oracle.at(built).replaced;
    if (auto it = replaced.find(p->name); it != replaced.end()) {
      EXPECT_EQ(p->metadata.at("replaces"), it->second) << p->name;
    }
    if (p->name == "example.com/bulkhead/app") {
      EXPECT_EQ(p->version, "(devel)");
    }
  }
}

TEST_P(AppsAccuracy, NpmPackagesEqualTheNpmLsTree) {
  auto tree = parseJson(readText(tb::testbedValue("TESTBED_APPS_NPM_LS")), "npm ls",
                        JsonLimits{64u << 20, 512});
  ASSERT_TRUE(tree) << tree.error().message;
  const std::string root = jsonString(*tree, "path");
  ASSERT_FALSE(root.empty()) << "npm ls --long gives paths";
  // Every node of the tree, once per path (a deduplicated dependency appears under each
  // parent, at the same path).
  std::set<std::string> expectedSet;
  std::vector<const nlohmann::json*> stack{&*tree};
  while (!stack.empty()) {
    const nlohmann::json* node = stack.back();
    stack.pop_back();
    const auto* deps = jsonObject(*node, "dependencies");
    if (deps == nullptr) continue;
    for (const auto& [key, dep] : deps->items()) {
      const std::string path = jsonString(dep, "path");
      const std::string version = jsonString(dep, "version");
      if (path.empty() || version.empty() || !path.starts_with(root)) {
        ADD_FAILURE() << "npm ls node without path or version: " << key;
        continue;
      }
      expectedSet.insert(jsonString(dep, "name", key) + "@" + version + "@/app" + path.substr(root.size()));
      stack.push_back(&dep);
    }
  }
  const std::multiset<std::string> expected(expectedSet.begin(), expectedSet.end());
  std::multiset<std::string> actual;
  for (const Package* p : packages(eco::kNpm)) {
    const std::string location = p->locations.front();
    const std::string dir = location.substr(0, location.rfind('/'));
    if (dir == "/app") continue;  // the app itself is npm ls's root, not one of its packages
    const std::string name = p->nameSpace.empty() ? p->name : p->nameSpace + "/" + p->name;
    actual.insert(name + "@" + p->version + "@" + dir);
    EXPECT_EQ(p->ownedBy, "") << name << " at " << dir << " is no distribution copy";
  }
  EXPECT_GT(expected.size(), 40u);
  EXPECT_EQ(actual, expected) << difference(expected, actual);
}

TEST_P(AppsAccuracy, PythonPackagesEqualImportlibMetadata) {
  auto oracle = parseJson(readText(tb::testbedValue("TESTBED_APPS_PYTHON")), "importlib.metadata");
  ASSERT_TRUE(oracle) << oracle.error().message;
  std::multiset<std::string> expected;
  const auto* distributions = jsonArray(*oracle, "distributions");
  ASSERT_NE(distributions, nullptr);
  for (const auto& d : *distributions) {
    expected.insert(normalizePython(jsonString(d, "name")) + "@" + jsonString(d, "version"));
  }
  std::multiset<std::string> actual;
  std::map<std::string, std::string> owner;
  for (const Package* p : packages(eco::kPypi)) {
    const std::string name = normalizePython(p->name);
    actual.insert(name + "@" + p->version);
    owner[name] = p->ownedBy;
    EXPECT_TRUE(p->ownedBy.starts_with("deb:")) << name << " came with a Debian package";
  }
  EXPECT_EQ(actual, expected) << difference(expected, actual) << warnings();
  EXPECT_EQ(owner["requests"], "deb:python3-requests");
  EXPECT_EQ(owner["urllib3"], "deb:python3-urllib3");
}

TEST_P(AppsAccuracy, DebianPackagesEqualDpkgQuery) {
  std::multiset<std::string> expected;
  for (const auto& line : splitLines(readText(tb::testbedValue("TESTBED_APPS_DPKG")))) {
    const auto fields = splitOn(line, '\t');
    if (fields.size() != 2 || fields[1].empty()) continue;  // not installed
    expected.insert(fields[0].substr(0, fields[0].find(':')) + "@" + fields[1]);
  }
  std::multiset<std::string> actual;
  for (const Package* p : packages(eco::kDeb)) actual.insert(p->name + "@" + p->version);
  EXPECT_EQ(actual, expected) << difference(expected, actual);
}

TEST_P(AppsAccuracy, DebianJavaLibrary) {
  std::string debVersion;
  for (const Package* p : packages(eco::kDeb)) {
    if (p->name == "libcommons-lang3-java") debVersion = p->version;
  }
  ASSERT_FALSE(debVersion.empty());
  const std::string upstream = debVersion.substr(0, debVersion.find('-'));
  const auto maven = packages(eco::kMaven);
  ASSERT_EQ(maven.size(), 1u) << "only libcommons-lang3-java ships a jar" << warnings();
  const Package& lang3 = *maven[0];
  EXPECT_EQ(lang3.purl, "pkg:maven/org.apache.commons/commons-lang3@" + upstream);
  EXPECT_EQ(lang3.locations, std::vector<std::string>{"/usr/share/java/commons-lang3.jar"});
  EXPECT_EQ(lang3.ownedBy, "deb:libcommons-lang3-java");
  EXPECT_EQ(lang3.metadata.at("source"), "pom.properties");
}

INSTANTIATE_TEST_SUITE_P(Sources, AppsAccuracy, ::testing::Values("oci", "rootfs"),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

}  // namespace
}  // namespace bulkhead::sbom
