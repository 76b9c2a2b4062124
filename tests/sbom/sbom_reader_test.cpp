// Reading SBOMs back: purl parsing, format detection, write -> read -> the same packages for
// CycloneDX, SPDX and Bulkhead JSON, documents from other tools, and hostile documents.

#include <gtest/gtest.h>

#include <fmt/ranges.h>

#include <random>
#include <set>
#include <tuple>

#include "sbom/cyclonedx.h"
#include "sbom/sbom_json.h"
#include "sbom/sbom_reader.h"
#include "sbom/spdx.h"

namespace bulkhead::sbom {
namespace {

using nlohmann::json;

// Everything the writers keep of a package (not `files`: an OS package's file list stays
// inside the scan that used it for ownership).
using Key = std::tuple<std::string, std::string, std::string, std::string, std::string, std::string,
                       std::string, std::string, std::vector<std::string>, std::vector<std::string>,
                       int, std::string, std::string, std::string, std::map<std::string, std::string>>;

Key keyOf(const Package& p) {
  return {p.ecosystem, p.nameSpace, p.name,       p.version,     p.purl,
          p.architecture, p.sourceName, p.sourceVersion, p.licenses, p.locations,
          p.layer,     p.layerDiffId, p.ownedBy,   p.cataloger,   p.metadata};
}

std::vector<Key> keysOf(const Sbom& s) {
  std::vector<Key> out;
  for (const auto& p : s.packages) out.push_back(keyOf(p));
  std::sort(out.begin(), out.end());
  return out;
}

std::string show(const Key& k) {
  return fmt::format("{}/{}/{}@{} purl={} arch={} src={}@{} layer={} owner={} cataloger={} licenses={} "
                     "locations={}",
                     std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k), std::get<4>(k),
                     std::get<5>(k), std::get<6>(k), std::get<7>(k), std::get<10>(k), std::get<12>(k),
                     std::get<13>(k), fmt::join(std::get<8>(k), "|"), fmt::join(std::get<9>(k), "|"));
}

// Names the first packages that differ, so a failure says what was lost.
std::string difference(const std::vector<Key>& a, const std::vector<Key>& b) {
  std::string out;
  for (const auto& k : a) {
    if (!std::binary_search(b.begin(), b.end(), k)) out += "written, not read: " + show(k) + "\n";
  }
  for (const auto& k : b) {
    if (!std::binary_search(a.begin(), a.end(), k)) out += "read, not written: " + show(k) + "\n";
  }
  return out;
}

Package make(const std::string& ecosystem, const std::string& nameSpace, const std::string& name,
             const std::string& version) {
  Package p;
  p.ecosystem = ecosystem;
  p.nameSpace = nameSpace;
  p.name = name;
  p.version = version;
  return p;
}

// Packages of every shape the catalogers make, with what the driver fills in.
Sbom sample() {
  Sbom s;
  s.subject = "/srv/images/app:1.0";
  s.sourceKind = "oci-layout";
  s.manifestDigest = "sha256:" + std::string(64, '1');
  s.configDigest = "sha256:" + std::string(64, '2');
  s.repoTags = {"app:1.0", "app:latest"};
  s.architecture = "amd64";
  s.os = {"debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)", "etc/os-release"};
  const std::string distro = "debian-12";
  const std::string diff0 = "sha256:" + std::string(64, 'a');
  const std::string diff1 = "sha256:" + std::string(64, 'b');

  Package adduser = make(eco::kDeb, "debian", "adduser", "3.134");
  adduser.architecture = "all";
  adduser.sourceName = "adduser";
  adduser.licenses = {"GPL-2+"};
  adduser.metadata["maintainer"] = "Debian Adduser Developers <adduser@packages.debian.org>";
  Package libc = make(eco::kDeb, "debian", "libc6", "2.36-9+deb12u4");
  libc.architecture = "amd64";
  libc.sourceName = "glibc";
  libc.licenses = {"LGPL-2.1", "GPL-2.0+", "public-domain"};
  Package python = make(eco::kDeb, "debian", "python3-yaml", "6.0-3+b2");
  python.architecture = "amd64";
  python.sourceName = "pyyaml";
  python.sourceVersion = "6.0-3";
  for (Package* p : {&adduser, &libc, &python}) {
    p->locations = {"/var/lib/dpkg/status"};
    p->layer = 0;
    p->layerDiffId = diff0;
    p->cataloger = "dpkg";
    p->purl = makePurl(*p, distro);
    s.packages.push_back(*p);
  }

  Package yaml = make(eco::kPypi, "", "PyYAML", "6.0");
  yaml.licenses = {"MIT"};
  yaml.ownedBy = "deb:python3-yaml";
  yaml.locations = {"/usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO"};
  yaml.layer = 0;
  yaml.layerDiffId = diff0;
  yaml.cataloger = "python";
  Package babel = make(eco::kNpm, "@babel", "core", "7.24.0");
  babel.licenses = {"MIT OR Apache-2.0"};
  babel.locations = {"/app/node_modules/@babel/core/package.json", "/app/package-lock.json"};
  Package lodash1 = make(eco::kNpm, "", "lodash", "4.17.21");
  lodash1.locations = {"/app/node_modules/lodash/package.json"};
  Package lodash2 = lodash1;
  lodash2.locations = {"/app/vendor/node_modules/lodash/package.json"};
  lodash2.licenses = {"MIT", "Custom: see LICENSE"};
  Package commons = make(eco::kMaven, "org.apache.commons", "commons-lang3", "3.12.0");
  commons.licenses = {"Apache-2.0"};
  commons.locations = {"/app/lib/commons-lang3-3.12.0.jar"};
  Package logrus = make(eco::kGo, "", "github.com/sirupsen/logrus", "v1.9.0");
  logrus.locations = {"/usr/local/bin/app"};
  logrus.metadata = {{"goVersion", "go1.21.5"}, {"k=ey", "v\\al\nue"}};
  Package weird = make(eco::kGem, "", "w\xc3\xa9ird name&x=1", "1.0+build/7?#");
  weird.licenses = {"Custom license\nsecond line", "GPL-2+"};
  weird.locations = {"/a b/c\nd=e"};
  Package noVersion = make(eco::kCargo, "", "no-version", "");
  for (Package* p : {&babel, &lodash1, &lodash2, &commons, &logrus, &weird, &noVersion}) {
    p->layer = 1;
    p->layerDiffId = diff1;
    p->cataloger = p->ecosystem;
  }
  for (Package* p : {&yaml, &babel, &lodash1, &lodash2, &commons, &logrus, &weird, &noVersion}) {
    p->purl = makePurl(*p);
    s.packages.push_back(*p);
  }
  std::sort(s.packages.begin(), s.packages.end());
  return s;
}

void expectSameSubject(const Sbom& written, const Sbom& read) {
  EXPECT_EQ(read.subject, written.subject);
  EXPECT_EQ(read.sourceKind, written.sourceKind);
  EXPECT_EQ(read.manifestDigest, written.manifestDigest);
  EXPECT_EQ(read.configDigest, written.configDigest);
  EXPECT_EQ(read.repoTags, written.repoTags);
  EXPECT_EQ(read.architecture, written.architecture);
  EXPECT_EQ(read.os.id, written.os.id);
  EXPECT_EQ(read.os.versionId, written.os.versionId);
  EXPECT_EQ(read.os.codename, written.os.codename);
  EXPECT_EQ(read.os.prettyName, written.os.prettyName);
}

ReadSbom readBack(const std::string& text) {
  auto read = readSbom(text, "test document");
  if (!read) {
    ADD_FAILURE() << read.error().message;
    return {};
  }
  return std::move(*read);
}

// --- purls ----------------------------------------------------------------------------

TEST(Purl, ParsesEveryPart) {
  auto p = parsePurl("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc%402.36#sub/dir");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->type, "deb");
  EXPECT_EQ(p->nameSpace, "debian");
  EXPECT_EQ(p->name, "libc6");
  EXPECT_EQ(p->version, "2.36-9+deb12u4");
  EXPECT_EQ(p->qualifiers, (std::map<std::string, std::string>{
                               {"arch", "amd64"}, {"distro", "debian-12"}, {"upstream", "glibc@2.36"}}));
  EXPECT_EQ(p->subpath, "sub/dir");
  const Package pkg = packageFromPurl(*p, "x");
  EXPECT_EQ(pkg.ecosystem, "deb");
  EXPECT_EQ(pkg.architecture, "amd64");
  EXPECT_EQ(pkg.sourceName, "glibc");
  EXPECT_EQ(pkg.sourceVersion, "2.36");
  EXPECT_EQ(pkg.purl, "x");
}

TEST(Purl, ScopesNamespacesAndEncodings) {
  auto scoped = parsePurl("pkg:npm/%40babel/core@7.24.0");
  ASSERT_TRUE(scoped.ok());
  EXPECT_EQ(scoped->nameSpace, "@babel");
  EXPECT_EQ(scoped->name, "core");
  EXPECT_EQ(scoped->version, "7.24.0");
  auto literalAt = parsePurl("pkg:npm/@angular/core");  // an unencoded scope, no version
  ASSERT_TRUE(literalAt.ok());
  EXPECT_EQ(literalAt->nameSpace, "@angular");
  EXPECT_EQ(literalAt->name, "core");
  EXPECT_EQ(literalAt->version, "");
  auto go = parsePurl("PKG:Golang/github.com/sirupsen/logrus@v1.9.0");
  ASSERT_TRUE(go.ok());
  EXPECT_EQ(go->type, "golang");
  EXPECT_EQ(go->nameSpace, "github.com/sirupsen");
  EXPECT_EQ(go->name, "logrus");
  auto slashes = parsePurl("pkg://maven//org.apache.commons//commons-lang3@3.12.0/");
  ASSERT_TRUE(slashes.ok());
  EXPECT_EQ(slashes->nameSpace, "org.apache.commons");
  EXPECT_EQ(slashes->name, "commons-lang3");
  auto encoded = parsePurl("pkg:gem/w%C3%A9ird%20name%26x%3D1@1.0%2Bbuild%2F7%3F%23?Arch=X&empty=");
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->name, "w\xc3\xa9ird name&x=1");
  EXPECT_EQ(encoded->version, "1.0+build/7?#");
  EXPECT_EQ(encoded->qualifiers, (std::map<std::string, std::string>{{"arch", "X"}}));
}

TEST(Purl, RejectsWhatIsNotAPurl) {
  for (const char* bad : {"", "pkg", "deb/debian/x@1", "pkg:deb", "pkg:/x", "pkg:deb/", "pkg:deb/debian/@1",
                          "pkg:deb/x%2", "pkg:deb/x%zz", "pkg:d$b/x", "pkg:deb/x?=1", "pkg:deb/x?novalue"}) {
    EXPECT_FALSE(parsePurl(bad).ok()) << bad;
  }
}

TEST(Purl, WhatTheDriverWritesParsesBack) {
  for (const Package& p : sample().packages) {
    auto parsed = parsePurl(p.purl);
    ASSERT_TRUE(parsed.ok()) << p.purl << ": " << parsed.error().message;
    EXPECT_EQ(parsed->type, p.ecosystem);
    EXPECT_EQ(parsed->version, p.version) << p.purl;
  }
}

// --- round trips ----------------------------------------------------------------------

TEST(RoundTrip, BulkheadJson) {
  const Sbom written = sample();
  const ReadSbom read = readBack(writeBulkheadJson(written));
  EXPECT_EQ(read.format, SbomFormat::kBulkhead);
  EXPECT_EQ(keysOf(read.sbom), keysOf(written)) << difference(keysOf(written), keysOf(read.sbom));
  expectSameSubject(written, read.sbom);
  EXPECT_EQ(read.sbom.os.source, written.os.source);
}

TEST(RoundTrip, CycloneDx) {
  const Sbom written = sample();
  const ReadSbom read = readBack(writeCycloneDx(written));
  EXPECT_EQ(read.format, SbomFormat::kCycloneDx);
  EXPECT_EQ(keysOf(read.sbom), keysOf(written)) << difference(keysOf(written), keysOf(read.sbom));
  expectSameSubject(written, read.sbom);
  EXPECT_TRUE(read.sbom.warnings.empty()) << fmt::format("{}", fmt::join(read.sbom.warnings, "\n"));
}

TEST(RoundTrip, Spdx) {
  const Sbom written = sample();
  const ReadSbom read = readBack(writeSpdx(written));
  EXPECT_EQ(read.format, SbomFormat::kSpdx);
  EXPECT_EQ(keysOf(read.sbom), keysOf(written)) << difference(keysOf(written), keysOf(read.sbom));
  expectSameSubject(written, read.sbom);
  EXPECT_TRUE(read.sbom.warnings.empty()) << fmt::format("{}", fmt::join(read.sbom.warnings, "\n"));
}

TEST(RoundTrip, LicenseIdsComeBackInCanonicalSpelling) {
  Sbom s;
  Package p = make(eco::kNpm, "", "x", "1");
  p.licenses = {"mit", "apache-2.0 or mit"};
  p.purl = makePurl(p);
  s.packages.push_back(p);
  const std::vector<std::string> canonical = {"MIT", "Apache-2.0 OR MIT"};
  EXPECT_EQ(readBack(writeSpdx(s)).sbom.packages.at(0).licenses, canonical);
  // CycloneDX takes one expression, or ids and names: the expression stays a name here.
  EXPECT_EQ(readBack(writeCycloneDx(s)).sbom.packages.at(0).licenses,
            (std::vector<std::string>{"MIT", "apache-2.0 or mit"}));
}

// --- documents from other tools -------------------------------------------------------

TEST(ForeignDocuments, CycloneDxFromAnotherTool) {
  const char* doc = R"({
    "bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1,
    "metadata": {"component": {"type": "container", "name": "alpine:3.19", "version": "sha256:abc"}},
    "components": [
      {"type": "library", "name": "musl", "version": "1.2.4-r2",
       "purl": "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&upstream=musl&distro=3.19.0",
       "licenses": [{"license": {"id": "MIT"}}]},
      {"type": "operating-system", "name": "alpine", "version": "3.19.0", "description": "Alpine Linux v3.19"},
      {"type": "application", "name": "app", "components": [
        {"type": "library", "name": "express", "version": "4.18.2", "purl": "pkg:npm/express@4.18.2",
         "licenses": [{"expression": "MIT"}]}]},
      {"type": "file", "name": "/etc/passwd"},
      {"type": "library", "name": "broken", "purl": "pkg:npm/%zz"}
    ]})";
  const ReadSbom read = readBack(doc);
  EXPECT_EQ(read.format, SbomFormat::kCycloneDx);
  EXPECT_EQ(read.sbom.subject, "alpine:3.19");
  EXPECT_EQ(read.sbom.os.id, "alpine");
  EXPECT_EQ(read.sbom.os.versionId, "3.19.0");
  ASSERT_EQ(read.sbom.packages.size(), 2u);
  const Package& musl = read.sbom.packages[0];
  EXPECT_EQ(musl.ecosystem, "apk");
  EXPECT_EQ(musl.nameSpace, "alpine");
  EXPECT_EQ(musl.architecture, "x86_64");
  EXPECT_EQ(musl.sourceName, "musl");
  EXPECT_EQ(musl.licenses, std::vector<std::string>{"MIT"});
  EXPECT_EQ(read.sbom.packages[1].name, "express");
  // The file without a purl and the broken purl are warnings naming the component.
  ASSERT_EQ(read.sbom.warnings.size(), 3u) << fmt::format("{}", fmt::join(read.sbom.warnings, "\n"));
  EXPECT_NE(read.sbom.warnings[2].find("broken"), std::string::npos);
}

TEST(ForeignDocuments, SpdxFromAnotherTool) {
  const char* doc = R"json({
    "spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "debian:12",
    "documentDescribes": ["SPDXRef-DocumentRoot-Image-debian"],
    "hasExtractedLicensingInfos": [{"licenseId": "LicenseRef-GPL-2", "extractedText": "GPL-2"}],
    "packages": [
      {"SPDXID": "SPDXRef-DocumentRoot-Image-debian", "name": "debian", "versionInfo": "sha256:abc"},
      {"SPDXID": "SPDXRef-Package-deb-bash-1", "name": "bash", "versionInfo": "5.2.15-2+b2",
       "licenseConcluded": "NOASSERTION", "licenseDeclared": "GPL-3.0-or-later AND LicenseRef-GPL-2",
       "externalRefs": [{"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:bash:bash:5.2.15:*:*:*:*:*:*:*"},
                        {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                         "referenceLocator": "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&upstream=bash&distro=debian-12"}]},
      {"SPDXID": "SPDXRef-Package-x", "name": "no purl", "licenseConcluded": "(MIT OR BSD-2-Clause)"}
    ]})json";
  const ReadSbom read = readBack(doc);
  EXPECT_EQ(read.format, SbomFormat::kSpdx);
  EXPECT_EQ(read.sbom.subject, "debian");
  ASSERT_EQ(read.sbom.packages.size(), 1u);
  const Package& bash = read.sbom.packages[0];
  EXPECT_EQ(bash.name, "bash");
  EXPECT_EQ(bash.version, "5.2.15-2+b2");
  EXPECT_EQ(bash.sourceName, "bash");
  EXPECT_EQ(bash.licenses, (std::vector<std::string>{"GPL-3.0-or-later", "GPL-2"}));
  EXPECT_EQ(read.sbom.warnings.size(), 1u);
}

// --- hostile documents ----------------------------------------------------------------

TEST(Hostile, RejectsWhatIsNoSbom) {
  for (const char* doc : {"", "[]", "42", "{}", R"({"bomFormat": "SWID"})", R"({"spdxVersion": "SPDX-3.0"})",
                          R"({"bomFormat": 7})", "{\"bomFormat\": \"CycloneDX\"", "\xff\xfe"}) {
    auto read = readSbom(doc, "doc.json");
    EXPECT_FALSE(read.ok()) << doc;
    if (!read.ok()) {
      EXPECT_NE(read.error().message.find("doc.json"), std::string::npos);
    }
  }
}

TEST(Hostile, BoundsSizeDepthAndCount) {
  const std::string deep = R"({"bomFormat":"CycloneDX","components":)" + std::string(200, '[') +
                           std::string(200, ']') + "}";
  EXPECT_FALSE(readSbom(deep, "deep").ok());
  SbomReadLimits small;
  small.maxBytes = 100;
  EXPECT_FALSE(readSbom(writeCycloneDx(sample()), "big", small).ok());
  SbomReadLimits few;
  few.maxPackages = 3;
  for (const std::string& text : {writeCycloneDx(sample()), writeSpdx(sample()), writeBulkheadJson(sample())}) {
    auto read = readSbom(text, "many", few);
    ASSERT_FALSE(read.ok());
    EXPECT_NE(read.error().message.find("more than 3 packages"), std::string::npos) << read.error().message;
  }
  // Nested CycloneDX components count as well.
  json nested = {{"bomFormat", "CycloneDX"}, {"components", json::array()}};
  json* level = &nested["components"];
  for (int i = 0; i < 20; ++i) {
    level->push_back({{"type", "library"}, {"name", "x"}, {"purl", "pkg:npm/x@" + std::to_string(i)},
                      {"components", json::array()}});
    level = &(*level)[0]["components"];
  }
  auto read = readSbom(nested.dump(), "nested");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->sbom.packages.size(), 20u);
}

TEST(Hostile, TooManyProblemsAreCountedNotListed) {
  json doc = {{"bomFormat", "CycloneDX"}, {"components", json::array()}};
  for (int i = 0; i < 1000; ++i) doc["components"].push_back({{"type", "library"}, {"name", "x"}});
  auto read = readSbom(doc.dump(), "noisy");
  ASSERT_TRUE(read.ok());
  EXPECT_LE(read->sbom.warnings.size(), 51u);
  EXPECT_NE(read->sbom.warnings.back().find("more problems"), std::string::npos);
  SbomReadLimits limits;
  limits.maxPurlBytes = 16;
  auto longPurl = readSbom(R"({"bomFormat":"CycloneDX","components":[{"name":"x","purl":"pkg:npm/xxxxxxxxxxxxxxxxxxxxxx"}]})",
                           "long", limits);
  ASSERT_TRUE(longPurl.ok());
  EXPECT_TRUE(longPurl->sbom.packages.empty());
}

// Any value or container of any of our documents replaced by one of the wrong type: the
// reader neither throws nor crashes; it fails with a message or reads what it can.
TEST(Hostile, WrongTypesEverywhere) {
  const std::vector<json> replacements = {nullptr, 1, -1, 1.5, true, "", "x", json::array(),
                                          json::object(), json::array({1, "a", nullptr})};
  std::mt19937 random(1234);
  for (const std::string& text : {writeCycloneDx(sample()), writeSpdx(sample()), writeBulkheadJson(sample())}) {
    const json original = json::parse(text);
    // Every leaf and every container above it.
    std::set<std::string> all;
    const json flat = original.flatten();
    for (const auto& [pointer, value] : flat.items()) {
      std::string prefix = pointer;
      while (!prefix.empty() && prefix.front() == '/') {
        all.insert(prefix);
        prefix.resize(prefix.rfind('/'));
      }
    }
    const std::vector<std::string> pointers(all.begin(), all.end());
    for (int round = 0; round < 300; ++round) {
      json mutated = original;
      for (int edits = 0; edits < 3; ++edits) {
        const auto& pointer = pointers[random() % pointers.size()];
        try {
          mutated[json::json_pointer(pointer)] = replacements[random() % replacements.size()];
        } catch (const json::exception&) {
          // An earlier edit replaced a container on this path.
        }
      }
      ASSERT_NO_THROW((void)readSbom(mutated.dump(), "mutated"));
    }
  }
}

}  // namespace
}  // namespace bulkhead::sbom
