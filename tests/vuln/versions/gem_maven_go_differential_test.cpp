// RubyGems, Maven and Go module versions against their real implementations, each in one
// process for 100,000 generated pairs, zero disagreements:
//   gem   ↔ Gem::Version (ruby, Debian package ruby)
//   maven ↔ org.apache.maven.artifact.versioning.ComparableVersion (Debian's
//           libmaven3-core-java jar, run as a single-file program by default-jdk-headless)
//   go    ↔ golang.org/x/mod/semver (golang-golang-x-mod-dev, run with golang-go)

#include <gtest/gtest.h>

#include <filesystem>

#include "vuln/versions/differential.h"
#include "vuln/versions/scheme.h"

namespace bulkhead::vuln {
namespace {

namespace stdfs = std::filesystem;
using ::bulkhead::testing::runCommand;
using testing::Random;

std::string mutate(Random& r, std::string v, const std::vector<std::string>& bits) {
  const size_t at = r.below(v.size() + 1);
  switch (r.below(3)) {
    case 0: v.insert(at, r.pick(bits)); break;
    case 1: if (at < v.size()) v.erase(at, 1); break;
    default: if (at < v.size()) v[at] = r.pick(bits)[0]; break;
  }
  return v;
}

void runDifferential(const std::string& what, const std::string& schemeName, const std::vector<std::string>& argv,
                     const std::function<std::string(Random&)>& generate, const std::vector<std::string>& bits,
                     const std::map<std::string, std::string>& env = {}) {
  const VersionScheme& scheme = *findScheme(schemeName);
  Random r(testing::kDifferentialSeed);
  std::vector<testing::Case> cases;
  for (size_t i = 0; i < testing::kDifferentialPairs; ++i) {
    const std::string a = generate(r);
    std::string b = r.chance(50) ? mutate(r, a, bits) : generate(r);
    if (b.empty()) b = "1";  // an empty version is an error here, "0" for some references
    cases.push_back({"C", a, b});
  }
  std::string failure;
  const auto reference = testing::runReference(argv, cases, failure, env);
  ASSERT_TRUE(failure.empty()) << failure;
  testing::expectAgreement(what, testing::kDifferentialSeed, cases, reference,
                           [&](const testing::Case& c) -> std::string {
                             auto result = scheme.compare(c.a, c.b);
                             return result ? testing::signOf(*result) : "E";
                           });
}

bool runs(const std::vector<std::string>& argv) { return runCommand(argv).exitCode == 0; }

TEST(GemDifferential, AgreesWithGemVersion) {
  BULKHEAD_REQUIRE_REFERENCE(runs({"ruby", "-e", "Gem::Version"}), "ruby is needed (Debian package ruby)");
  static const std::vector<std::string> segments = {"0", "1", "2", "10", "01", "00", "a", "b", "pre", "rc",
                                                    "beta", "Alpha", "1a", "2b3", "123456789012345678901234567890"};
  const auto generate = [](Random& r) {
    std::string v = r.chance(2) ? " " : "";
    v += r.chance(95) ? r.digits(r.chance(5) ? 25 : 2) : r.pick(segments);
    const size_t n = r.below(5);
    for (size_t i = 0; i < n; ++i) v += "." + r.pick(segments);
    if (r.chance(20)) {
      v += "-" + r.pick(segments);
      if (r.chance(50)) v += "." + r.pick(segments);
    }
    if (r.chance(3)) v += r.chance(50) ? ".." : "_";
    return v;
  };
  runDifferential("RubyGems vs Gem::Version", "gem",
                  {"ruby", BULKHEAD_VERSION_ORACLES "/gem_oracle.rb"}, generate,
                  {"0", "1", ".", "a", "-", "b", "9", "z"});
}

TEST(MavenDifferential, AgreesWithComparableVersion) {
  const std::string jar = "/usr/share/java/maven-artifact-3.x.jar";
  BULKHEAD_REQUIRE_REFERENCE(stdfs::exists(jar) && runs({"java", "-version"}),
                             "java and " + jar + " are needed (Debian packages default-jdk-headless, libmaven3-core-java)");
  static const std::vector<std::string> items = {
      "1",    "0",     "2",         "10",  "00",       "alpha",    "a",     "b",   "m",        "beta",
      "rc",   "cr",    "milestone", "snapshot", "SNAPSHOT", "ga", "final", "release", "RELEASE", "sp",
      "abc",  "jre",   "Final",     "1a1", "123456789012345678901234567890", "v20231009"};
  const auto generate = [](Random& r) {
    static const std::vector<std::string> seps = {".", ".", "-", "-", ""};
    std::string v = r.pick(items);
    const size_t n = r.below(5);
    for (size_t i = 0; i < n; ++i) v += r.pick(seps) + r.pick(items);
    if (r.chance(3)) v += r.chance(50) ? "." : "-";
    return v;
  };
  runDifferential("Maven vs ComparableVersion", "maven",
                  {"java", "-cp", jar, BULKHEAD_VERSION_ORACLES "/MavenOracle.java"}, generate,
                  {"0", "1", ".", "-", "a", "b", "9", "m"});
}

TEST(GoDifferential, AgreesWithXModSemver) {
  const std::string gopath = "/usr/share/gocode";
  BULKHEAD_REQUIRE_REFERENCE(stdfs::exists(gopath + "/src/golang.org/x/mod/semver/semver.go") && runs({"go", "version"}),
                             "go and golang.org/x/mod are needed (Debian packages golang-go, golang-golang-x-mod-dev)");
  const auto generate = [](Random& r) {
    static const std::vector<std::string> pre = {"alpha", "beta.1", "rc.2", "0", "1", "01", "x-y", "pre",
                                                 "0.20191109021931-daa7c04131f5", "20191109021931-daa7c04131f5"};
    auto number = [&]() { return r.chance(5) ? r.digits(25) : (r.chance(2) ? "0" + r.digits(1) : std::to_string(r.below(4))); };
    std::string v = r.chance(85) ? "v" : "";
    v += number();
    const size_t parts = r.chance(10) ? r.below(4) : 2;
    if (parts >= 1) v += "." + number();
    if (parts >= 2) v += "." + number();
    if (parts >= 3) v += "." + number();
    if (r.chance(30)) v += "-" + r.pick(pre);
    if (r.chance(10)) v += r.chance(70) ? "+incompatible" : "+build.1";
    return v;
  };
  const std::string cache = (stdfs::temp_directory_path() / "bulkhead-gocache").string();
  runDifferential("Go vs golang.org/x/mod/semver", "go", {"go", "run", BULKHEAD_VERSION_ORACLES "/go_oracle.go"},
                  generate, {"0", "1", ".", "-", "+", "a", "9", "v"},
                  {{"GO111MODULE", "off"}, {"GOPATH", gopath}, {"GOCACHE", cache}, {"GOFLAGS", ""}});
}

}  // namespace
}  // namespace bulkhead::vuln
