// The matcher on advisories written here: OSV event ranges, explicit versions, npm range
// strings, distro data per release, withdrawn records, ids merged into one finding, and
// language packages an OS package owns labelled apart.

#include "vuln/matcher.h"

#include <gtest/gtest.h>

#include "vuln/affected.h"
#include "vuln/versions/scheme.h"

namespace bulkhead::vuln {
namespace {

sbom::Package pkg(std::string ecosystem, std::string name, std::string version) {
  sbom::Package p;
  p.ecosystem = std::move(ecosystem);
  p.name = std::move(name);
  p.version = std::move(version);
  return p;
}

Affected osv(std::string ecosystem, std::string name, std::vector<RangeEvent> events,
             std::string type = range_type::kEcosystem) {
  Affected a;
  a.ecosystem = std::move(ecosystem);
  a.name = std::move(name);
  a.rangeType = std::move(type);
  a.events = std::move(events);
  return a;
}

RangeEvent introduced(std::string v) { return {.introduced = std::move(v)}; }
RangeEvent fixed(std::string v) { return {.fixed = std::move(v)}; }
RangeEvent lastAffected(std::string v) { return {.lastAffected = std::move(v)}; }
RangeEvent limit(std::string v) { return {.limit = std::move(v)}; }

bool affected(const std::vector<RangeEvent>& events, std::string_view version, std::string_view scheme = "pep440") {
  auto r = inEventRange(events, version, *findScheme(scheme));
  EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message);
  return r && *r;
}

TEST(EventRange, IntroducedFixed) {
  const std::vector<RangeEvent> e = {introduced("1.0"), fixed("1.5")};
  EXPECT_FALSE(affected(e, "0.9"));
  EXPECT_TRUE(affected(e, "1.0"));
  EXPECT_TRUE(affected(e, "1.4.99"));
  EXPECT_FALSE(affected(e, "1.5"));
  EXPECT_FALSE(affected(e, "2.0"));
}

TEST(EventRange, ZeroMeansEveryEarlierVersion) {
  EXPECT_TRUE(affected({introduced("0"), fixed("2.0")}, "0.0.1"));
  EXPECT_TRUE(affected({introduced("0")}, "99.0"));
}

TEST(EventRange, SeveralRangesInOneEventList) {
  // Out of order on purpose: OSV sorts the events.
  const std::vector<RangeEvent> e = {fixed("1.2"), introduced("2.0"), introduced("0"), fixed("2.3")};
  EXPECT_TRUE(affected(e, "1.1"));
  EXPECT_FALSE(affected(e, "1.2"));
  EXPECT_FALSE(affected(e, "1.9"));
  EXPECT_TRUE(affected(e, "2.0"));
  EXPECT_TRUE(affected(e, "2.2.5"));
  EXPECT_FALSE(affected(e, "2.3"));
}

TEST(EventRange, LastAffectedIsInclusive) {
  const std::vector<RangeEvent> e = {introduced("1.0"), lastAffected("1.4")};
  EXPECT_TRUE(affected(e, "1.4"));
  EXPECT_FALSE(affected(e, "1.4.1"));
}

TEST(EventRange, LimitEndsTheRange) {
  const std::vector<RangeEvent> e = {introduced("0"), limit("3.0")};
  EXPECT_TRUE(affected(e, "2.9"));
  EXPECT_FALSE(affected(e, "3.0"));
}

TEST(EventRange, EcosystemOrderNotStringOrder) {
  // PEP 440: 1.10 > 1.9 and 2.0rc1 < 2.0.
  EXPECT_TRUE(affected({introduced("1.9"), fixed("1.10")}, "1.9.5"));
  EXPECT_TRUE(affected({introduced("0"), fixed("2.0")}, "2.0rc1"));
  // dpkg: ~ sorts before everything.
  EXPECT_TRUE(affected({introduced("0"), fixed("1.0")}, "1.0~rc1", "deb"));
}

TEST(EventRange, UnparsableVersionIsAnErrorNotAVerdict) {
  auto r = inEventRange({introduced("0"), fixed("1.0")}, "not a version!", *findScheme("pep440"));
  EXPECT_FALSE(r.ok());
}

sbom::Sbom bookworm(std::vector<sbom::Package> packages) {
  sbom::Sbom s;
  s.os.id = "debian";
  s.os.versionId = "12";
  s.os.codename = "bookworm";
  s.packages = std::move(packages);
  return s;
}

Vulnerability record(std::string id, std::vector<std::string> aliases, std::vector<Affected> affectedRows) {
  Vulnerability v;
  v.id = std::move(id);
  v.aliases = std::move(aliases);
  v.affected = std::move(affectedRows);
  return v;
}

TEST(Matcher, DistroPackagesAreJudgedBySourcePackageAndOwnRelease) {
  sbom::Package libssl = pkg("deb", "libssl3", "3.0.11-1~deb12u1");
  libssl.sourceName = "openssl";
  Affected bookwormRow;
  bookwormRow.ecosystem = "deb";
  bookwormRow.name = "openssl";
  bookwormRow.release = "debian:12";
  bookwormRow.rangeType = range_type::kDistro;
  bookwormRow.events = {fixed("3.0.11-1~deb12u2")};
  Affected bullseyeRow = bookwormRow;
  bullseyeRow.release = "debian:11";
  bullseyeRow.events = {fixed("9.9")};
  Affected trixieOnly = bookwormRow;
  trixieOnly.release = "debian:13";
  trixieOnly.status = affected_status::kUnfixed;
  MemoryAdvisories db({record("DSA-5532-1", {"CVE-2023-5363"}, {bookwormRow, bullseyeRow}),
                       record("DSA-1-1", {"CVE-2000-1"}, {trixieOnly})});
  auto r = matchSbom(bookworm({libssl}), db);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].id, "CVE-2023-5363");
  EXPECT_EQ(r->findings[0].fixedVersions, std::vector<std::string>{"3.0.11-1~deb12u2"});
  EXPECT_EQ(r->findings[0].status, "fixed");

  libssl.version = "3.0.11-1~deb12u2";  // the fixed version itself
  r = matchSbom(bookworm({libssl}), db);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->findings.empty());
}

TEST(Matcher, BinNmuIsJudgedByTheSourceVersion) {
  sbom::Package bash = pkg("deb", "bash", "5.2.15-2+b2");
  bash.sourceName = "bash";
  bash.sourceVersion = "5.2.15-2";
  Affected row;
  row.ecosystem = "deb";
  row.name = "bash";
  row.release = "debian:12";
  row.rangeType = range_type::kDistro;
  row.events = {fixed("5.2.15-2+b1")};  // a binary version never names a source fix
  MemoryAdvisories db({record("DSA-9-1", {}, {row})});
  auto r = matchSbom(bookworm({bash}), db);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->findings.size(), 1u) << "judged by 5.2.15-2, below 5.2.15-2+b1";
}

TEST(Matcher, RecordsSharingAnIdAreOneFinding) {
  auto a = osv("pypi", "requests", {introduced("0"), fixed("2.31.0")});
  Vulnerability pysec = record("PYSEC-2023-74", {"CVE-2023-32681", "GHSA-j8r2-6x86-q33q"}, {a});
  pysec.severity = "moderate";
  Vulnerability ghsa = record("GHSA-j8r2-6x86-q33q", {"CVE-2023-32681"}, {a});
  ghsa.cvssVector = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N";
  ghsa.cvssScore = 5.9;
  Vulnerability withdrawn = record("PYSEC-2099-1", {}, {a});
  withdrawn.withdrawn = "2024-01-01T00:00:00Z";
  MemoryAdvisories db({pysec, ghsa, withdrawn});
  auto r = matchSbom(bookworm({pkg("pypi", "Requests", "2.28.1")}), db);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->findings.size(), 1u);
  const Finding& f = r->findings[0];
  EXPECT_EQ(f.id, "CVE-2023-32681");
  EXPECT_EQ(f.ids, (std::vector<std::string>{"CVE-2023-32681", "GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"}));
  EXPECT_EQ(f.severity, Severity::kMedium);
  EXPECT_DOUBLE_EQ(f.score, 5.9);
  EXPECT_EQ(f.fixedVersions, std::vector<std::string>{"2.31.0"});
}

TEST(Matcher, ExplicitVersionListWithoutRanges) {
  Affected a = osv("pypi", "pyyaml", {});
  a.versions = {"5.3", "5.3.1"};
  MemoryAdvisories db({record("PYSEC-1", {}, {a})});
  EXPECT_EQ(matchSbom(bookworm({pkg("pypi", "PyYAML", "5.3.1")}), db)->findings.size(), 1u);
  EXPECT_EQ(matchSbom(bookworm({pkg("pypi", "PyYAML", "5.4")}), db)->findings.size(), 0u);
}

TEST(Matcher, NpmRangeStrings) {
  Affected a;
  a.ecosystem = "npm";
  a.name = "lodash";
  a.rangeType = range_type::kNpmRange;
  a.vulnerableRange = "<4.17.5";
  a.patchedRange = ">=4.17.5";
  MemoryAdvisories db({record("NSWG-ECO-1", {"CVE-2018-3721"}, {a})});
  auto r = matchSbom(bookworm({pkg("npm", "lodash", "4.17.4"), pkg("npm", "lodash", "4.17.5")}), db);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].package, 0u);
  EXPECT_EQ(r->findings[0].fixedVersions, std::vector<std::string>{">=4.17.5"});
}

TEST(Matcher, GoSemverRowsCompareWithoutTheVPrefix) {
  sbom::Package stdlib = pkg("golang", "stdlib", "v1.19.8");
  MemoryAdvisories db({record("GO-2023-1840", {"CVE-2023-29403"},
                              {osv("golang", "stdlib", {introduced("0"), fixed("1.19.10")}, range_type::kSemver)})});
  auto r = matchSbom(bookworm({stdlib}), db);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].id, "CVE-2023-29403");
}

TEST(Matcher, LanguagePackagesOwnedByOsPackagesAreLabelled) {
  sbom::Package urllib3 = pkg("pypi", "urllib3", "1.26.12");
  urllib3.ownedBy = "deb:python3-urllib3";
  MemoryAdvisories db({record("PYSEC-2023-192", {"CVE-2023-43804"},
                              {osv("pypi", "urllib3", {introduced("0"), fixed("1.26.17")})})});
  auto r = matchSbom(bookworm({urllib3}), db);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_TRUE(r->findings[0].upstreamOfOsPackage);
  EXPECT_EQ(r->findings[0].ownedBy, "deb:python3-urllib3");
  MatchOptions skip;
  skip.matchOsOwned = false;
  EXPECT_TRUE(matchSbom(bookworm({urllib3}), db, skip)->findings.empty());
}

TEST(Matcher, OtherEcosystemsAndNamesDoNotMatch) {
  MemoryAdvisories db({record("X-1", {}, {osv("npm", "requests", {introduced("0")})})});
  EXPECT_TRUE(matchSbom(bookworm({pkg("pypi", "requests", "1.0")}), db)->findings.empty());
  EXPECT_TRUE(matchSbom(bookworm({pkg("npm", "requestss", "1.0")}), db)->findings.empty());
}

TEST(Matcher, BadVersionsAreWarningsNotFindings) {
  MemoryAdvisories db({record("PYSEC-2", {}, {osv("pypi", "x", {introduced("0"), fixed("2")})})});
  auto r = matchSbom(bookworm({pkg("pypi", "x", "not a version!")}), db);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->findings.empty());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("PYSEC-2"), std::string::npos);
}

}  // namespace
}  // namespace bulkhead::vuln
