// The CycloneDX 1.5 writer: required fields, identity, licenses, properties and
// dependencies on SBOMs built here. Schema validation of the same documents against the
// official schema is in tests/e2e/sbom_e2e_test.cpp.

#include <gtest/gtest.h>

#include <set>

#include "sbom/cyclonedx.h"
#include "sbom/sbom_json.h"

namespace bulkhead::sbom {
namespace {

using nlohmann::json;

Package deb(const std::string& name, const std::string& version, std::vector<std::string> licenses = {}) {
  Package p;
  p.ecosystem = eco::kDeb;
  p.nameSpace = "debian";
  p.name = name;
  p.version = version;
  p.architecture = "amd64";
  p.sourceName = name;
  p.licenses = std::move(licenses);
  p.locations = {"/var/lib/dpkg/status"};
  p.layer = 0;
  p.layerDiffId = "sha256:" + std::string(64, 'a');
  p.cataloger = "dpkg";
  p.purl = makePurl(p, "debian-12");
  return p;
}

Package npm(const std::string& scope, const std::string& name, const std::string& version,
            const std::string& location) {
  Package p;
  p.ecosystem = eco::kNpm;
  p.nameSpace = scope;
  p.name = name;
  p.version = version;
  p.locations = {location};
  p.layer = 1;
  p.cataloger = "npm";
  p.purl = makePurl(p);
  return p;
}

Sbom sample() {
  Sbom s;
  s.subject = "registry.example/team/app:1.2";
  s.sourceKind = "registry";
  s.manifestDigest = "sha256:" + std::string(64, 'b');
  s.configDigest = "sha256:" + std::string(64, 'c');
  s.repoTags = {"registry.example/team/app:1.2"};
  s.architecture = "amd64";
  s.os = {"debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)", "etc/os-release"};
  s.packages.push_back(deb("adduser", "3.134", {"GPL-2+"}));
  s.packages.push_back(deb("python3-urllib3", "1.26.12-1", {"mit", "Apache-2.0", "Custom"}));
  s.packages.push_back(deb("libgcc-s1", "12.2.0-14", {"GPL-3.0-or-later WITH GCC-exception-3.1"}));
  Package owned;
  owned.ecosystem = eco::kPypi;
  owned.name = "urllib3";
  owned.version = "1.26.12";
  owned.ownedBy = "deb:python3-urllib3";
  owned.locations = {"/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO"};
  owned.purl = makePurl(owned);
  s.packages.push_back(owned);
  s.packages.push_back(npm("@babel", "core", "7.24.0", "/app/node_modules/@babel/core/package.json"));
  s.packages.push_back(npm("", "lodash", "4.17.21", "/app/node_modules/lodash/package.json"));
  s.packages.push_back(npm("", "lodash", "4.17.21", "/app/vendor/node_modules/lodash/package.json"));
  Package maven;
  maven.ecosystem = eco::kMaven;
  maven.nameSpace = "org.apache.commons";
  maven.name = "commons-lang3";
  maven.version = "3.12.0";
  maven.purl = makePurl(maven);
  s.packages.push_back(maven);
  return s;
}

DocumentOptions fixed() {
  DocumentOptions o;
  o.timestamp = "2024-05-01T12:00:00Z";
  o.uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
  return o;
}

const json* component(const json& bom, const std::string& ref) {
  for (const auto& c : bom["components"]) {
    if (c.value("bom-ref", "") == ref) return &c;
  }
  return nullptr;
}

std::vector<std::string> propertyValues(const json& c, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& p : c.value("properties", json::array())) {
    if (p["name"] == name) out.push_back(p["value"]);
  }
  return out;
}

TEST(CycloneDx, HasTheRequiredTopLevelFields) {
  const json bom = cycloneDxJson(sample(), fixed());
  EXPECT_EQ(bom["bomFormat"], "CycloneDX");
  EXPECT_EQ(bom["specVersion"], "1.5");
  EXPECT_EQ(bom["serialNumber"], "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e");
  EXPECT_EQ(bom["version"], 1);
  EXPECT_EQ(bom["metadata"]["timestamp"], "2024-05-01T12:00:00Z");
  const auto& tool = bom["metadata"]["tools"]["components"].at(0);
  EXPECT_EQ(tool["type"], "application");
  EXPECT_EQ(tool["name"], "bulkhead");
  EXPECT_EQ(tool["version"], BULKHEAD_VERSION);
}

TEST(CycloneDx, GeneratesARandomVersion4SerialNumber) {
  const json a = cycloneDxJson(sample());
  const json b = cycloneDxJson(sample());
  const std::string serial = a["serialNumber"];
  ASSERT_EQ(serial.size(), 9u + 36u) << serial;
  EXPECT_TRUE(serial.starts_with("urn:uuid:"));
  const std::string uuid = serial.substr(9);
  EXPECT_EQ(uuid[14], '4') << uuid;
  EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos) << uuid;
  for (size_t i : {8u, 13u, 18u, 23u}) EXPECT_EQ(uuid[i], '-');
  EXPECT_NE(a["serialNumber"], b["serialNumber"]);
  const std::string stamp = a["metadata"]["timestamp"];
  EXPECT_EQ(stamp.size(), 20u) << stamp;
  EXPECT_EQ(stamp.back(), 'Z');
}

TEST(CycloneDx, DescribesTheImageAsAContainerWithItsDigest) {
  const json subject = cycloneDxJson(sample(), fixed())["metadata"]["component"];
  EXPECT_EQ(subject["type"], "container");
  EXPECT_EQ(subject["name"], "registry.example/team/app:1.2");
  EXPECT_EQ(subject["version"], "sha256:" + std::string(64, 'b'));
  EXPECT_EQ(subject["hashes"].at(0)["alg"], "SHA-256");
  EXPECT_EQ(subject["hashes"].at(0)["content"], std::string(64, 'b'));
  EXPECT_EQ(subject["purl"], "pkg:oci/app@sha256%3A" + std::string(64, 'b') +
                                 "?arch=amd64&repository_url=registry.example%2Fteam%2Fapp&tag=1.2");
  EXPECT_EQ(propertyValues(subject, "bulkhead:os:id"), std::vector<std::string>{"debian"});
  EXPECT_EQ(propertyValues(subject, "bulkhead:configDigest"),
            std::vector<std::string>{"sha256:" + std::string(64, 'c')});
}

TEST(CycloneDx, ARootFileSystemIsAFileWithoutDigest) {
  Sbom s = sample();
  s.sourceKind = "rootfs";
  s.subject = "/srv/rootfs";
  s.manifestDigest.clear();
  const json subject = cycloneDxJson(s, fixed())["metadata"]["component"];
  EXPECT_EQ(subject["type"], "file");
  EXPECT_FALSE(subject.contains("hashes"));
  EXPECT_FALSE(subject.contains("purl"));
}

TEST(CycloneDx, ListsTheOsAndEveryPackage) {
  const Sbom s = sample();
  const json bom = cycloneDxJson(s, fixed());
  ASSERT_EQ(bom["components"].size(), s.packages.size() + 1);
  const json& os = bom["components"][0];
  EXPECT_EQ(os["type"], "operating-system");
  EXPECT_EQ(os["name"], "debian");
  EXPECT_EQ(os["version"], "12");
  for (size_t i = 1; i < bom["components"].size(); ++i) {
    const json& c = bom["components"][i];
    EXPECT_EQ(c["type"], "library");
    EXPECT_EQ(c["name"], s.packages[i - 1].name);
    EXPECT_EQ(c["purl"], s.packages[i - 1].purl);
  }
}

TEST(CycloneDx, BomRefsAreUniqueEvenWhenPurlsRepeat) {
  const json bom = cycloneDxJson(sample(), fixed());
  std::set<std::string> refs;
  for (const auto& c : bom["components"]) EXPECT_TRUE(refs.insert(c["bom-ref"]).second) << c["bom-ref"];
  EXPECT_TRUE(refs.count("pkg:npm/lodash@4.17.21"));
  EXPECT_TRUE(refs.count("pkg:npm/lodash@4.17.21#2"));
}

TEST(CycloneDx, GroupIsTheMavenGroupIdOrNpmScopeOnly) {
  const json bom = cycloneDxJson(sample(), fixed());
  EXPECT_EQ((*component(bom, "pkg:maven/org.apache.commons/commons-lang3@3.12.0"))["group"],
            "org.apache.commons");
  EXPECT_EQ((*component(bom, "pkg:npm/%40babel/core@7.24.0"))["group"], "@babel");
  EXPECT_FALSE(component(bom, "pkg:deb/debian/adduser@3.134?arch=amd64&distro=debian-12")->contains("group"));
}

TEST(CycloneDx, LicensesAreIdsNamesOrOneExpression) {
  const json bom = cycloneDxJson(sample(), fixed());
  const json* adduser = component(bom, "pkg:deb/debian/adduser@3.134?arch=amd64&distro=debian-12");
  ASSERT_NE(adduser, nullptr);
  EXPECT_EQ((*adduser)["licenses"], json::parse(R"([{"license":{"name":"GPL-2+"}}])"));
  const json* urllib3 =
      component(bom, "pkg:deb/debian/python3-urllib3@1.26.12-1?arch=amd64&distro=debian-12");
  ASSERT_NE(urllib3, nullptr);
  // "mit" is the SPDX id MIT in its canonical spelling.
  EXPECT_EQ((*urllib3)["licenses"],
            json::parse(R"([{"license":{"id":"MIT"}},{"license":{"id":"Apache-2.0"}},{"license":{"name":"Custom"}}])"));
  const json* gcc = component(bom, "pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=debian-12");
  ASSERT_NE(gcc, nullptr);
  EXPECT_EQ((*gcc)["licenses"], json::parse(R"([{"expression":"GPL-3.0-or-later WITH GCC-exception-3.1"}])"));
  EXPECT_FALSE(component(bom, "pkg:npm/lodash@4.17.21")->contains("licenses"));
}

TEST(CycloneDx, BulkheadFactsAreProperties) {
  const json bom = cycloneDxJson(sample(), fixed());
  const json& adduser = *component(bom, "pkg:deb/debian/adduser@3.134?arch=amd64&distro=debian-12");
  EXPECT_EQ(propertyValues(adduser, "bulkhead:layer"), std::vector<std::string>{"0"});
  EXPECT_EQ(propertyValues(adduser, "bulkhead:layerDiffId"), std::vector<std::string>{"sha256:" + std::string(64, 'a')});
  EXPECT_EQ(propertyValues(adduser, "bulkhead:location"), std::vector<std::string>{"/var/lib/dpkg/status"});
  EXPECT_EQ(propertyValues(adduser, "bulkhead:cataloger"), std::vector<std::string>{"dpkg"});
  EXPECT_EQ(propertyValues(adduser, "bulkhead:sourceName"), std::vector<std::string>{"adduser"});
  const json& urllib3 = *component(bom, "pkg:pypi/urllib3@1.26.12");
  EXPECT_EQ(propertyValues(urllib3, "bulkhead:ownedBy"), std::vector<std::string>{"deb:python3-urllib3"});
}

TEST(CycloneDx, TheImageDependsOnTopLevelPackagesAndOwnersOnWhatTheyOwn) {
  const json bom = cycloneDxJson(sample(), fixed());
  const json& deps = bom["dependencies"];
  ASSERT_GE(deps.size(), 2u);
  EXPECT_EQ(deps[0]["ref"], kCycloneDxImageRef);
  std::set<std::string> top(deps[0]["dependsOn"].begin(), deps[0]["dependsOn"].end());
  EXPECT_TRUE(top.count("bulkhead:os"));
  EXPECT_TRUE(top.count("pkg:npm/lodash@4.17.21#2"));
  EXPECT_FALSE(top.count("pkg:pypi/urllib3@1.26.12")) << "owned by an OS package";
  bool found = false;
  for (const auto& d : deps) {
    if (d["ref"] == "pkg:deb/debian/python3-urllib3@1.26.12-1?arch=amd64&distro=debian-12") {
      EXPECT_EQ(d["dependsOn"], json::array({"pkg:pypi/urllib3@1.26.12"}));
      found = true;
    }
  }
  EXPECT_TRUE(found);
  // Every reference names a component.
  std::set<std::string> refs = {std::string(kCycloneDxImageRef)};
  for (const auto& c : bom["components"]) refs.insert(c["bom-ref"]);
  for (const auto& d : deps) {
    EXPECT_TRUE(refs.count(d["ref"])) << d["ref"];
    for (const auto& t : d["dependsOn"]) EXPECT_TRUE(refs.count(t)) << t;
  }
}

TEST(CycloneDx, HostileStringsNeitherThrowNorBreakTheDocument) {
  Sbom s = sample();
  Package p = deb(std::string("bad\xff\xfe name\n\x1b[31m"), "1.0\"\\", {std::string("\xc3(")});
  s.packages.push_back(p);
  s.subject = "\xff";
  std::string text;
  ASSERT_NO_THROW(text = writeCycloneDx(s, fixed()));
  json parsed;
  ASSERT_NO_THROW(parsed = json::parse(text));
  EXPECT_EQ(parsed["components"].size(), s.packages.size() + 1);
}

TEST(CycloneDx, AnEmptySbomIsStillADocument) {
  Sbom s;
  const json bom = cycloneDxJson(s, fixed());
  EXPECT_EQ(bom["components"], json::array());
  EXPECT_EQ(bom["metadata"]["component"]["name"], "unknown");
  EXPECT_EQ(bom["dependencies"].at(0)["dependsOn"], json::array());
}

}  // namespace
}  // namespace bulkhead::sbom
