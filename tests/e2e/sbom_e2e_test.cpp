// `bulkhead sbom` on the test bed's real Debian image, through the binary: the CycloneDX
// and SPDX documents it writes are checked by a real validator (tests/tools/sbom-validate:
// the CycloneDX project's own validator over the official CycloneDX 1.5 schema, and ajv
// over an SPDX 2.3 schema with an SPDX expression parser), which must also reject
// deliberately broken copies; every package dpkg-query saw is in both; and each format
// reads back into the same packages.
//
// The validator is installed with `npm ci` from its committed lockfile into the build
// tree, once per lockfile. Without npm or the registry the tests skip with the reason, and
// fail when BULKHEAD_REQUIRE_TESTBED=1 (scripts/test.sh).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <tuple>

#include "sbom/cyclonedx.h"
#include "sbom/sbom_json.h"
#include "sbom/sbom_reader.h"
#include "sbom/spdx.h"
#include "support/layout_builder.h"
#include "support/node_tool.h"
#include "support/testbed.h"

namespace bulkhead::sbom {
namespace {

namespace stdfs = std::filesystem;
using nlohmann::json;
using testing::runCommand;
using testing::testbedValue;

using testing::testbedRequired;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// --- the validator --------------------------------------------------------------------

struct Validator {
  std::string dir;    // holds validate.js and node_modules
  std::string error;  // why it could not be installed
};

Validator installValidator() {
  auto tool = testing::installNodeTool(BULKHEAD_SBOM_VALIDATOR_SOURCE, BULKHEAD_SBOM_VALIDATOR_BUILD,
                                       {"validate.js", "spdx-2.3-document.schema.json"});
  return {tool.dir, tool.error};
}

const Validator& validator() {
  static const Validator v = installValidator();
  return v;
}

#define REQUIRE_VALIDATOR()                                                                   \
  do {                                                                                        \
    if (!validator().error.empty()) {                                                         \
      if (testbedRequired()) FAIL() << "SBOM validator unavailable: " << validator().error;   \
      GTEST_SKIP() << "SBOM validator unavailable: " << validator().error;                    \
    }                                                                                         \
  } while (0)

struct Verdicts {
  int exitCode = -1;
  std::map<std::string, std::string> lines;  // file -> "VALID" or "INVALID: reasons"
  std::string output;

  std::string of(const std::string& file) const {
    auto it = lines.find(file);
    return it == lines.end() ? "MISSING" : it->second;
  }
};

Verdicts validate(const std::string& type, const std::vector<std::string>& files) {
  std::vector<std::string> argv = {"node", validator().dir + "/validate.js", "--type", type};
  argv.insert(argv.end(), files.begin(), files.end());
  auto r = runCommand(argv);
  Verdicts out;
  out.exitCode = r.exitCode;
  out.output = r.out + r.err;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VALID ")) {
      out.lines[line.substr(6)] = "VALID";
    } else if (line.starts_with("INVALID ")) {
      const auto colon = line.find(": ", 8);
      out.lines[line.substr(8, colon - 8)] = "INVALID" + (colon == std::string::npos ? "" : line.substr(colon));
    }
  }
  return out;
}

// --- the binary -----------------------------------------------------------------------

class SbomE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    BULKHEAD_REQUIRE_TESTBED();
    dir_ = testing::makeTempDir("sbom-e2e");
  }

  std::string image() const { return testbedValue("TESTBED_OCI") + ":bookworm"; }
  std::string rootfs() const { return "rootfs:" + testbedValue("TESTBED_ROOTFS"); }

  // Runs `bulkhead sbom` into a file of the temporary directory and returns its path.
  std::string sbom(const std::string& ref, const std::string& format, const std::string& name) {
    const std::string path = dir_ + "/" + name;
    auto r = runCommand({testing::bulkheadBinary(), "sbom", "--cache-dir", dir_ + "/cache", "-f", format,
                         "-o", path, ref});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return path;
  }

  std::string dir_;
};

// The expected packages (dpkg-query on the test bed's root file system): name, version, arch.
std::set<std::tuple<std::string, std::string, std::string>> expectedPackages() {
  std::set<std::tuple<std::string, std::string, std::string>> out;
  std::ifstream in(testbedValue("TESTBED_EXPECTED"));
  const json expected = json::parse(in);
  for (const auto& p : expected["packages"]) out.emplace(p["name"], p["version"], p["architecture"]);
  return out;
}

std::set<std::tuple<std::string, std::string, std::string>> debPackagesOf(const Sbom& s) {
  std::set<std::tuple<std::string, std::string, std::string>> out;
  for (const auto& p : s.packages) {
    if (p.ecosystem == eco::kDeb) out.emplace(p.name, p.version, p.architecture);
  }
  return out;
}

TEST_F(SbomE2e, CycloneDxOfTheTestBedImageIsValid) {
  REQUIRE_VALIDATOR();
  const std::string path = sbom(image(), "cyclonedx", "image.cdx.json");
  const Verdicts v = validate("cyclonedx", {path});
  EXPECT_EQ(v.exitCode, 0) << v.output;
  EXPECT_EQ(v.of(path), "VALID") << v.output;
  const json bom = json::parse(slurp(path));
  EXPECT_EQ(bom["metadata"]["component"]["type"], "container");
  EXPECT_EQ(bom["metadata"]["component"]["version"], testbedValue("TESTBED_MANIFEST_DIGEST"));
  auto read = readSbomFile(path);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(debPackagesOf(read->sbom), expectedPackages());
}

TEST_F(SbomE2e, SpdxOfTheTestBedImageIsValid) {
  REQUIRE_VALIDATOR();
  const std::string path = sbom(image(), "spdx", "image.spdx.json");
  const Verdicts v = validate("spdx", {path});
  EXPECT_EQ(v.exitCode, 0) << v.output;
  EXPECT_EQ(v.of(path), "VALID") << v.output;
  auto read = readSbomFile(path);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->format, SbomFormat::kSpdx);
  EXPECT_EQ(debPackagesOf(read->sbom), expectedPackages());
  EXPECT_EQ(read->sbom.manifestDigest, testbedValue("TESTBED_MANIFEST_DIGEST"));
}

TEST_F(SbomE2e, TheRootFileSystemGivesValidDocumentsWithTheSamePackages) {
  REQUIRE_VALIDATOR();
  const std::string cdx = sbom(rootfs(), "cyclonedx", "rootfs.cdx.json");
  const std::string spdx = sbom(rootfs(), "spdx", "rootfs.spdx.json");
  const Verdicts c = validate("cyclonedx", {cdx});
  EXPECT_EQ(c.of(cdx), "VALID") << c.output;
  const Verdicts s = validate("spdx", {spdx});
  EXPECT_EQ(s.of(spdx), "VALID") << s.output;
  const json bom = json::parse(slurp(cdx));
  EXPECT_EQ(bom["metadata"]["component"]["type"], "file");
  for (const auto& path : {cdx, spdx}) {
    auto read = readSbomFile(path);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(debPackagesOf(read->sbom), expectedPackages()) << path;
  }
}

// Each format read back gives the packages the Bulkhead JSON lists, field for field.
TEST_F(SbomE2e, EveryFormatReadsBackIntoTheSamePackages) {
  auto keys = [](const Sbom& s) {
    std::vector<std::tuple<std::string, std::string, std::string, std::string, std::string, std::string,
                           std::vector<std::string>, std::vector<std::string>, int, std::string, std::string>>
        out;
    for (const auto& p : s.packages) {
      // SPDX ids come back in their canonical spelling, once (Debian writes "BSD-3-clause"
      // beside "BSD-3-Clause").
      std::vector<std::string> licenses;
      for (const auto& l : p.licenses) {
        const std::string id = spdxLicenseId(l);
        const std::string expression = spdxExpression(l);
        std::string canonical = !id.empty() ? id : !expression.empty() ? expression : l;
        if (std::find(licenses.begin(), licenses.end(), canonical) == licenses.end()) {
          licenses.push_back(std::move(canonical));
        }
      }
      out.emplace_back(p.ecosystem, p.name, p.version, p.purl, p.architecture, p.sourceName, licenses,
                       p.locations, p.layer, p.layerDiffId, p.cataloger);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  auto own = readSbomFile(sbom(image(), "json", "image.json"));
  ASSERT_TRUE(own.ok()) << own.error().message;
  ASSERT_GE(own->sbom.packages.size(), expectedPackages().size());
  for (const auto& [format, name] : {std::pair<std::string, std::string>{"cyclonedx", "rt.cdx.json"},
                                     {"spdx", "rt.spdx.json"}}) {
    auto read = readSbomFile(sbom(image(), format, name));
    ASSERT_TRUE(read.ok()) << read.error().message;
    const auto got = keys(read->sbom);
    const auto want = keys(own->sbom);
    EXPECT_EQ(got.size(), want.size()) << format;
    for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
      if (got[i] == want[i]) continue;
      ADD_FAILURE() << format << ": " << std::get<1>(want[i]) << " " << std::get<2>(want[i])
                    << " differs after the round trip (first of possibly more)";
      break;
    }
    EXPECT_EQ(read->sbom.os.id, "debian");
    EXPECT_EQ(read->sbom.os.versionId, "12");
  }
}

// The validator is only worth something if it says no: copies of the real documents with
// one required thing broken each must all be rejected, beside the intact original.
TEST_F(SbomE2e, TheValidatorRejectsBrokenCycloneDx) {
  REQUIRE_VALIDATOR();
  const std::string path = sbom(image(), "cyclonedx", "good.cdx.json");
  const json good = json::parse(slurp(path));
  ASSERT_GE(good["components"].size(), 3u);
  std::vector<std::pair<std::string, std::function<void(json&)>>> breaks = {
      {"no-bomFormat", [](json& d) { d.erase("bomFormat"); }},
      {"no-specVersion", [](json& d) { d.erase("specVersion"); }},
      {"component-without-name", [](json& d) { d["components"][1].erase("name"); }},
      {"component-without-type", [](json& d) { d["components"][1].erase("type"); }},
      {"unknown-component-type", [](json& d) { d["components"][1]["type"] = "gadget"; }},
      {"bad-serial", [](json& d) { d["serialNumber"] = "not-a-urn"; }},
      {"bad-timestamp", [](json& d) { d["metadata"]["timestamp"] = "yesterday"; }},
      {"unknown-license-id", [](json& d) { d["components"][1]["licenses"] = json::parse(R"([{"license":{"id":"Not-A-License"}}])"); }},
      {"mixed-license-choice", [](json& d) {
         d["components"][1]["licenses"] = json::parse(R"([{"license":{"id":"MIT"}},{"expression":"MIT OR Apache-2.0"}])");
       }},
      {"property-value-not-a-string", [](json& d) { d["components"][1]["properties"][0]["value"] = 5; }},
      {"unknown-field", [](json& d) { d["components"][1]["colour"] = "blue"; }},
      {"duplicate-bom-ref", [](json& d) { d["components"][2]["bom-ref"] = d["components"][1]["bom-ref"]; }},
      {"dangling-dependency", [](json& d) { d["dependencies"][0]["dependsOn"].push_back("pkg:npm/nowhere@1"); }},
  };
  std::vector<std::string> files = {path};
  for (auto& [name, change] : breaks) {
    json broken = good;
    change(broken);
    files.push_back(dir_ + "/" + name + ".cdx.json");
    spit(files.back(), broken.dump());
  }
  const Verdicts v = validate("cyclonedx", files);
  EXPECT_EQ(v.exitCode, 1) << v.output;
  EXPECT_EQ(v.of(path), "VALID") << v.output;
  for (size_t i = 1; i < files.size(); ++i) {
    EXPECT_TRUE(v.of(files[i]).starts_with("INVALID")) << files[i] << " was accepted:\n" << v.output;
  }
}

TEST_F(SbomE2e, TheValidatorRejectsBrokenSpdx) {
  REQUIRE_VALIDATOR();
  const std::string path = sbom(image(), "spdx", "good.spdx.json");
  const json good = json::parse(slurp(path));
  ASSERT_GE(good["packages"].size(), 3u);
  std::vector<std::pair<std::string, std::function<void(json&)>>> breaks = {
      {"no-spdxVersion", [](json& d) { d.erase("spdxVersion"); }},
      {"no-namespace", [](json& d) { d.erase("documentNamespace"); }},
      {"no-created", [](json& d) { d["creationInfo"].erase("created"); }},
      {"bad-created", [](json& d) { d["creationInfo"]["created"] = "2024-05-01"; }},
      {"package-without-spdxid", [](json& d) { d["packages"][2].erase("SPDXID"); }},
      {"package-without-downloadLocation", [](json& d) { d["packages"][2].erase("downloadLocation"); }},
      {"bad-spdxid", [](json& d) { d["packages"][2]["SPDXID"] = "SPDXRef-has space"; }},
      {"duplicate-spdxid", [](json& d) { d["packages"][3]["SPDXID"] = d["packages"][2]["SPDXID"]; }},
      {"bad-purpose", [](json& d) { d["packages"][2]["primaryPackagePurpose"] = "GADGET"; }},
      {"bad-reference-category", [](json& d) { d["packages"][2]["externalRefs"][0]["referenceCategory"] = "PACKAGE"; }},
      {"not-an-expression", [](json& d) { d["packages"][2]["licenseDeclared"] = "GPL-2+"; }},
      {"undeclared-licenseref", [](json& d) { d["packages"][2]["licenseDeclared"] = "LicenseRef-nowhere"; }},
      {"unknown-field", [](json& d) { d["packages"][2]["colour"] = "blue"; }},
      {"dangling-relationship", [](json& d) { d["relationships"][1]["relatedSpdxElement"] = "SPDXRef-nowhere"; }},
      {"describes-nothing", [](json& d) { d["relationships"].erase(0); }},
  };
  std::vector<std::string> files = {path};
  for (auto& [name, change] : breaks) {
    json broken = good;
    change(broken);
    files.push_back(dir_ + "/" + name + ".spdx.json");
    spit(files.back(), broken.dump());
  }
  const Verdicts v = validate("spdx", files);
  EXPECT_EQ(v.exitCode, 1) << v.output;
  EXPECT_EQ(v.of(path), "VALID") << v.output;
  for (size_t i = 1; i < files.size(); ++i) {
    EXPECT_TRUE(v.of(files[i]).starts_with("INVALID")) << files[i] << " was accepted:\n" << v.output;
  }
}

// What the test bed image does not have: every license id of the writers' table, compound
// expressions, repeated purls, names no registry would allow, invalid UTF-8, and every
// ecosystem. Written by the library, checked by the same validator.
Sbom edgeCases() {
  Sbom s;
  s.subject = "registry.example:5000/team/app@sha256:" + std::string(64, '3');
  s.sourceKind = "registry";
  s.manifestDigest = "sha256:" + std::string(64, '3');
  s.architecture = "arm64";
  s.os = {"alpine", "3.19.1", "", "Alpine Linux v3.19", "etc/os-release"};
  auto add = [&](std::string ecosystem, std::string ns, std::string name, std::string version,
                 std::vector<std::string> licenses) {
    Package p;
    p.ecosystem = std::move(ecosystem);
    p.nameSpace = std::move(ns);
    p.name = std::move(name);
    p.version = std::move(version);
    p.licenses = std::move(licenses);
    p.locations = {"/lib/apk/db/installed", "/weird path/\n\t\"quoted\"\\"};
    p.layer = 2;
    p.layerDiffId = "sha256:" + std::string(64, '4');
    p.cataloger = "test";
    p.metadata = {{"key with spaces", "value\nwith line"}};
    p.purl = makePurl(p, p.ecosystem == eco::kApk ? "alpine-3.19.1" : "");
    s.packages.push_back(std::move(p));
  };
  std::vector<std::string> ids(knownSpdxLicenseIds().begin(), knownSpdxLicenseIds().end());
  add(eco::kApk, "alpine", "musl", "1.2.4-r2", ids);
  for (const auto exception : knownSpdxExceptionIds()) {
    add(eco::kApk, "alpine", "with-" + std::string(exception), "1", {"GPL-2.0-only WITH " + std::string(exception)});
  }
  add(eco::kNpm, "@scope", "pkg", "1.0.0", {"(MIT OR Apache-2.0) AND BSD-3-Clause"});
  add(eco::kNpm, "", "dup", "1.0.0", {"MIT"});
  add(eco::kNpm, "", "dup", "1.0.0", {"mit"});
  add(eco::kMaven, "org.example", "lib", "2.0", {"Apache-2.0", "Custom License 1.0", "GPL-2+ with exception"});
  add(eco::kPypi, "", "Py_Name.Dots", "1.0.post1", {"BSD"});
  add(eco::kGo, "", "github.com/x/y/v2", "v2.0.0-20240101000000-abcdef012345", {});
  add(eco::kGem, "", "sp ace/sl\xc3\xa9sh", "1.0 beta", {"Ruby OR BSD-2-Clause", "(unbalanced"});
  add(eco::kCargo, "", std::string("bad\xff\xfeutf8\x01"), "", {std::string("\xff")});
  add(eco::kRpm, "redhat", "openssl-libs", "1:3.0.7-27.el9", {"ASL 2.0"});
  s.packages.back().sourceName = "openssl";
  s.packages.back().sourceVersion = "3.0.7-27.el9";
  add(eco::kDeb, "debian", std::string(300, 'n'), std::string(200, '9'), {std::string(500, 'L')});
  return s;
}

TEST_F(SbomE2e, EdgeCasesWrittenByTheLibraryAreValid) {
  REQUIRE_VALIDATOR();
  Sbom s = edgeCases();
  const std::string cdx = dir_ + "/edge.cdx.json";
  const std::string spdx = dir_ + "/edge.spdx.json";
  spit(cdx, writeCycloneDx(s));
  spit(spdx, writeSpdx(s));
  Sbom rootfsVariant = s;
  rootfsVariant.sourceKind = "rootfs";
  rootfsVariant.manifestDigest.clear();
  rootfsVariant.os = {};
  const std::string cdxRootfs = dir_ + "/edge-rootfs.cdx.json";
  const std::string spdxRootfs = dir_ + "/edge-rootfs.spdx.json";
  spit(cdxRootfs, writeCycloneDx(rootfsVariant));
  spit(spdxRootfs, writeSpdx(rootfsVariant));
  const std::string empty = dir_ + "/empty.cdx.json";
  const std::string emptySpdx = dir_ + "/empty.spdx.json";
  spit(empty, writeCycloneDx(Sbom{}));
  spit(emptySpdx, writeSpdx(Sbom{}));
  const Verdicts c = validate("cyclonedx", {cdx, cdxRootfs, empty});
  EXPECT_EQ(c.exitCode, 0) << c.output;
  const Verdicts p = validate("spdx", {spdx, spdxRootfs, emptySpdx});
  EXPECT_EQ(p.exitCode, 0) << p.output;
  for (const auto& file : {cdx, cdxRootfs, empty}) EXPECT_EQ(c.of(file), "VALID") << c.output;
  for (const auto& file : {spdx, spdxRootfs, emptySpdx}) EXPECT_EQ(p.of(file), "VALID") << p.output;
}

TEST_F(SbomE2e, TableAndErrors) {
  auto table = runCommand({testing::bulkheadBinary(), "sbom", "--cache-dir", dir_ + "/cache", image()});
  ASSERT_EQ(table.exitCode, 0) << table.err;
  EXPECT_TRUE(table.out.starts_with("NAME")) << table.out.substr(0, 200);
  for (const auto& [name, version, arch] : expectedPackages()) {
    EXPECT_NE(table.out.find("\n" + name + " "), std::string::npos) << name;
  }
  EXPECT_NE(table.out.find(std::to_string(expectedPackages().size()) + " packages"), std::string::npos);
  auto missing = runCommand({testing::bulkheadBinary(), "sbom", "/nonexistent/image"});
  EXPECT_EQ(missing.exitCode, 2);
  EXPECT_NE(missing.err.find("/nonexistent/image"), std::string::npos) << missing.err;
  auto badFormat = runCommand({testing::bulkheadBinary(), "sbom", "-f", "xml", image()});
  EXPECT_EQ(badFormat.exitCode, 2);
  auto unwritable = runCommand({testing::bulkheadBinary(), "sbom", "--cache-dir", dir_ + "/cache", "-o",
                                "/nonexistent/dir/out.json", image()});
  EXPECT_EQ(unwritable.exitCode, 2);
  EXPECT_NE(unwritable.err.find("/nonexistent/dir/out.json"), std::string::npos) << unwritable.err;
}

}  // namespace
}  // namespace bulkhead::sbom
