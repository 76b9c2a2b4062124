// The SPDX 2.3 writer and the license handling it shares with CycloneDX: required fields,
// SPDXIDs, relationships, license expressions with LicenseRef-s, and the property lines
// that carry Bulkhead's facts. Validation against a JSON schema and an SPDX expression
// parser is in tests/e2e/sbom_e2e_test.cpp.

#include <gtest/gtest.h>

#include <set>

#include "sbom/sbom_json.h"
#include "sbom/spdx.h"

namespace bulkhead::sbom {
namespace {

using nlohmann::json;

Package pkg(const std::string& ecosystem, const std::string& name, const std::string& version,
            std::vector<std::string> licenses) {
  Package p;
  p.ecosystem = ecosystem;
  p.name = name;
  p.version = version;
  p.licenses = std::move(licenses);
  p.purl = makePurl(p);
  return p;
}

Sbom sample() {
  Sbom s;
  s.subject = "/srv/layout:bookworm";
  s.sourceKind = "oci-layout";
  s.manifestDigest = "sha256:" + std::string(64, 'd');
  s.architecture = "amd64";
  s.os = {"debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)", "etc/os-release"};
  Package adduser = pkg(eco::kDeb, "adduser", "3.134", {"GPL-2+", "GPL-2.0-or-later"});
  adduser.nameSpace = "debian";
  adduser.layer = 0;
  adduser.layerDiffId = "sha256:" + std::string(64, 'e');
  adduser.cataloger = "dpkg";
  adduser.locations = {"/var/lib/dpkg/status"};
  adduser.purl = makePurl(adduser, "debian-12");
  s.packages.push_back(adduser);
  s.packages.push_back(pkg(eco::kNpm, "dual", "1.0.0", {"MIT OR Apache-2.0"}));
  s.packages.push_back(pkg(eco::kNpm, "none", "1.0.0", {}));
  s.packages.push_back(pkg(eco::kNpm, "none", "1.0.0", {}));  // same name twice
  s.packages.push_back(pkg(eco::kGem, "odd name/with:chars", "1.0+b", {"GPL-2-", "GPL-2+", "Public Domain"}));
  return s;
}

DocumentOptions fixed() {
  DocumentOptions o;
  o.timestamp = "2024-05-01T12:00:00Z";
  o.uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
  return o;
}

const json& byName(const json& doc, const std::string& name) {
  for (const auto& p : doc["packages"]) {
    if (p["name"] == name) return p;
  }
  static const json none;
  ADD_FAILURE() << "no package " << name;
  return none;
}

TEST(Spdx, HasTheRequiredDocumentFields) {
  const json doc = spdxJson(sample(), fixed());
  EXPECT_EQ(doc["spdxVersion"], "SPDX-2.3");
  EXPECT_EQ(doc["dataLicense"], "CC0-1.0");
  EXPECT_EQ(doc["SPDXID"], "SPDXRef-DOCUMENT");
  EXPECT_EQ(doc["name"], "/srv/layout:bookworm");
  EXPECT_EQ(doc["documentNamespace"],
            "https://bulkhead.invalid/spdx/srv-layout-bookworm-0f8fad5b-d9cb-469f-a165-70867728950e");
  EXPECT_EQ(doc["creationInfo"]["created"], "2024-05-01T12:00:00Z");
  EXPECT_EQ(doc["creationInfo"]["creators"], json::array({std::string("Tool: bulkhead-") + BULKHEAD_VERSION}));
}

TEST(Spdx, EveryDocumentHasItsOwnNamespace) {
  EXPECT_NE(spdxJson(sample())["documentNamespace"], spdxJson(sample())["documentNamespace"]);
}

TEST(Spdx, IdsAreSanitisedAndUnique) {
  const json doc = spdxJson(sample(), fixed());
  std::set<std::string> ids;
  for (const auto& p : doc["packages"]) {
    const std::string id = p["SPDXID"];
    EXPECT_TRUE(id.starts_with("SPDXRef-")) << id;
    for (char c : id.substr(8)) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') << id;
    }
    EXPECT_TRUE(ids.insert(id).second) << id;
  }
  EXPECT_TRUE(ids.count("SPDXRef-Package-gem-odd-name-with-chars-1.0-b"));
  EXPECT_TRUE(ids.count("SPDXRef-Package-npm-none-1.0.0"));
  EXPECT_TRUE(ids.count("SPDXRef-Package-npm-none-1.0.0-2"));
  EXPECT_EQ(spdxIdString("a b/c_d.e-f\xc3\xa9"), "a-b-c-d.e-f--");
  EXPECT_EQ(spdxIdString(""), "unnamed");
}

TEST(Spdx, PackagesCarryTheFieldsTheSpecAsksFor) {
  const json doc = spdxJson(sample(), fixed());
  for (const auto& p : doc["packages"]) {
    EXPECT_TRUE(p.contains("SPDXID"));
    EXPECT_TRUE(p.contains("name"));
    EXPECT_EQ(p["downloadLocation"], "NOASSERTION");
    EXPECT_EQ(p["filesAnalyzed"], false);
    EXPECT_EQ(p["licenseConcluded"], "NOASSERTION");
    EXPECT_TRUE(p.contains("licenseDeclared"));
    EXPECT_TRUE(p.contains("primaryPackagePurpose"));
  }
  const json& image = doc["packages"][0];
  EXPECT_EQ(image["SPDXID"], kSpdxImageId);
  EXPECT_EQ(image["primaryPackagePurpose"], "CONTAINER");
  EXPECT_EQ(image["checksums"], json::parse(R"([{"algorithm":"SHA256","checksumValue":")" +
                                            std::string(64, 'd') + R"("}])"));
  EXPECT_EQ(image["externalRefs"][0]["referenceLocator"],
            "pkg:oci/layout@sha256%3A" + std::string(64, 'd') + "?arch=amd64&tag=bookworm");
  const json& os = doc["packages"][1];
  EXPECT_EQ(os["SPDXID"], kSpdxOsId);
  EXPECT_EQ(os["primaryPackagePurpose"], "OPERATING-SYSTEM");
  EXPECT_EQ(os["name"], "debian");
  EXPECT_EQ(os["versionInfo"], "12");
  const json& adduser = byName(doc, "adduser");
  EXPECT_EQ(adduser["primaryPackagePurpose"], "LIBRARY");
  EXPECT_EQ(adduser["versionInfo"], "3.134");
  EXPECT_EQ(adduser["externalRefs"], json::parse(R"([{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl",
      "referenceLocator":"pkg:deb/debian/adduser@3.134?distro=debian-12"}])"));
  EXPECT_EQ(adduser["sourceInfo"], "acquired package info from the dpkg cataloger: /var/lib/dpkg/status");
  const Properties props = propertiesFromLines(adduser["comment"].get<std::string>());
  EXPECT_NE(std::find(props.begin(), props.end(), std::pair<std::string, std::string>("bulkhead:layer", "0")),
            props.end());
}

TEST(Spdx, RelationshipsDescribeTheImageThatContainsEverything) {
  const Sbom s = sample();
  const json doc = spdxJson(s, fixed());
  const json& rels = doc["relationships"];
  ASSERT_EQ(rels.size(), 2 + s.packages.size());
  EXPECT_EQ(rels[0], json::parse(R"({"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES",
      "relatedSpdxElement":"SPDXRef-Image"})"));
  std::set<std::string> ids;
  for (const auto& p : doc["packages"]) ids.insert(p["SPDXID"]);
  std::set<std::string> contained;
  for (size_t i = 1; i < rels.size(); ++i) {
    EXPECT_EQ(rels[i]["spdxElementId"], kSpdxImageId);
    EXPECT_EQ(rels[i]["relationshipType"], "CONTAINS");
    contained.insert(rels[i]["relatedSpdxElement"]);
  }
  ids.erase(std::string(kSpdxImageId));
  EXPECT_EQ(contained, ids);
}

TEST(Spdx, LicensesBecomeOneValidExpression) {
  const json doc = spdxJson(sample(), fixed());
  EXPECT_EQ(byName(doc, "adduser")["licenseDeclared"], "LicenseRef-GPL-2- AND GPL-2.0-or-later");
  EXPECT_EQ(byName(doc, "dual")["licenseDeclared"], "(MIT OR Apache-2.0)");
  EXPECT_EQ(byName(doc, "none")["licenseDeclared"], "NOASSERTION");
  // "GPL-2-" and "GPL-2+" sanitise alike: the second gets its own reference.
  EXPECT_EQ(byName(doc, "odd name/with:chars")["licenseDeclared"],
            "LicenseRef-GPL-2--2 AND LicenseRef-GPL-2- AND LicenseRef-Public-Domain");
  const json& infos = doc["hasExtractedLicensingInfos"];
  ASSERT_EQ(infos.size(), 3u);
  std::map<std::string, std::string> names;
  for (const auto& i : infos) {
    EXPECT_FALSE(i["extractedText"].get<std::string>().empty());
    names[i["licenseId"]] = i["name"];
  }
  EXPECT_EQ(names["LicenseRef-GPL-2-"], "GPL-2+");
  EXPECT_EQ(names["LicenseRef-GPL-2--2"], "GPL-2-");
  EXPECT_EQ(names["LicenseRef-Public-Domain"], "Public Domain");
}

TEST(Spdx, NoExtractedLicensesNoField) {
  Sbom s;
  s.packages.push_back(pkg(eco::kNpm, "a", "1", {"MIT"}));
  const json doc = spdxJson(s, fixed());
  EXPECT_FALSE(doc.contains("hasExtractedLicensingInfos"));
  EXPECT_EQ(doc["name"], "unknown");
  EXPECT_EQ(doc["packages"].size(), 2u);  // the subject and the package
}

TEST(Spdx, ARootFileSystemIsAFile) {
  Sbom s = sample();
  s.sourceKind = "rootfs";
  s.manifestDigest.clear();
  const json doc = spdxJson(s, fixed());
  const json& image = doc["packages"][0];
  EXPECT_EQ(image["primaryPackagePurpose"], "FILE");
  EXPECT_FALSE(image.contains("checksums"));
  EXPECT_FALSE(image.contains("externalRefs"));
}

TEST(SpdxLicenses, KnownIdsInCanonicalSpelling) {
  EXPECT_EQ(spdxLicenseId("MIT"), "MIT");
  EXPECT_EQ(spdxLicenseId("apache-2.0"), "Apache-2.0");
  EXPECT_EQ(spdxLicenseId("GPL-2.0+"), "GPL-2.0+");
  EXPECT_EQ(spdxLicenseId("GPL-2+"), "");
  EXPECT_EQ(spdxLicenseId("Expat"), "");
  EXPECT_EQ(spdxLicenseId(""), "");
}

TEST(SpdxLicenses, CompoundExpressions) {
  EXPECT_EQ(spdxExpression("MIT OR Apache-2.0"), "MIT OR Apache-2.0");
  EXPECT_EQ(spdxExpression("mit or apache-2.0"), "MIT OR Apache-2.0");
  EXPECT_EQ(spdxExpression("(MIT AND BSD-3-Clause) OR GPL-2.0-only WITH Classpath-exception-2.0"),
            "(MIT AND BSD-3-Clause) OR GPL-2.0-only WITH Classpath-exception-2.0");
  EXPECT_EQ(spdxExpression("GPL-2.0-or-later AND LicenseRef-foo.1"), "GPL-2.0-or-later AND LicenseRef-foo.1");
  EXPECT_EQ(spdxExpression("Apache-2.0+ OR MIT"), "Apache-2.0+ OR MIT");
  EXPECT_EQ(spdxExpression("MIT"), "") << "a single id is not compound";
  EXPECT_EQ(spdxExpression("GPL-2+ OR MIT"), "") << "unknown id";
  EXPECT_EQ(spdxExpression("MIT OR"), "");
  EXPECT_EQ(spdxExpression("(MIT OR Apache-2.0"), "");
  EXPECT_EQ(spdxExpression("MIT WITH MIT"), "");
  EXPECT_EQ(spdxExpression("MIT OR\nApache-2.0"), "");
  EXPECT_EQ(spdxExpression(std::string(10000, '(')), "");
}

TEST(PropertyLines, AnyValueSurvives) {
  const Properties in = {{"bulkhead:location", "/a\nb\\n=c"},
                         {"bulkhead:metadata:k=ey", "v\r\\"},
                         {"bulkhead:layer", ""}};
  EXPECT_EQ(propertiesFromLines(propertiesToLines(in)), in);
  EXPECT_EQ(propertiesFromLines("not ours=1\nbulkhead:x=1\nbulkhead:noequals\n"),
            (Properties{{"bulkhead:x", "1"}}));
}

}  // namespace
}  // namespace bulkhead::sbom
