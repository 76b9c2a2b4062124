// Known tricky cases of every version scheme, hostile input, and the scheme registry. The
// differential tests (*_differential_test.cpp) check the same schemes against the real
// implementations on generated pairs.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sbom/package.h"
#include "vuln/versions/scheme.h"

namespace bulkhead::vuln {
namespace {

// Each row: scheme, a, expected order ("<", "=", ">"), b.
struct Row {
  const char* scheme;
  const char* a;
  const char* order;
  const char* b;
};

const std::vector<Row> kRows = {
    // dpkg: '~' before everything, letters before other characters, epochs first.
    {"deb", "1.0~rc1", "<", "1.0"},
    {"deb", "1.0~~", "<", "1.0~"},
    {"deb", "1.0~", "<", "1.0"},
    {"deb", "1.0", "<", "1.0a"},
    {"deb", "1.0a", "<", "1.0+"},
    {"deb", "1.0", "<", "1.0+b1"},
    {"deb", "1.0-1~bpo12+1", "<", "1.0-1"},
    {"deb", "1:0.1", ">", "2.0"},
    {"deb", "0:1.0", "=", "1.0"},
    {"deb", "1.0-0", "=", "1.0"},
    {"deb", "00010", "=", "10"},
    {"deb", "1.0-1+deb12u1", ">", "1.0-1"},
    {"deb", "2.36-9+deb12u4", "<", "2.36-9+deb12u10"},
    {"deb", "1.999999999999999999999999", "<", "1.1000000000000000000000000"},
    {"deb", "1:2.3.4-5.6-7", ">", "1:2.3.4-5.6-6"},
    // rpm: '~' before the end, '^' after the end but before anything else.
    {"rpm", "1.0~rc1", "<", "1.0"},
    {"rpm", "1.0^git1", ">", "1.0"},
    {"rpm", "1.0^git1", "<", "1.0.1"},
    {"rpm", "1.0~rc1^git1", "<", "1.0~rc1.1"},
    {"rpm", "1.0a", "<", "1.0.1"},
    {"rpm", "1.0a", ">", "1.0"},
    {"rpm", "2.0.1", "=", "2.0_1"},
    {"rpm", "1:1.0", ">", "2.0"},
    {"rpm", "1.0-1", ">", "1.0"},  // rpmverCmp: a release sorts after none
    {"rpm", "1.0-", ">", "1.0"},
    {"rpm", "1.0-1.el9", "<", "1.0-1.el9_2"},
    {"rpm", "0001", "=", "1"},
    {"rpm", "99999999999999999999999999", ">", "99999999999999999999999998"},
    {"rpm", "a", "<", "1"},
    // apk: suffix ranks, letters, revisions, leading-zero fractions.
    {"apk", "1.0_alpha", "<", "1.0_beta"},
    {"apk", "1.0_beta", "<", "1.0_pre"},
    {"apk", "1.0_pre", "<", "1.0_rc"},
    {"apk", "1.1_rc1", "<", "1.1"},
    {"apk", "1.0_rc1", ">", "1.0"},  // apk-tools 2 quirk: ".0" then a suffix
    {"apk", "0.1.0_alpha_pre2", "<", "0.1.0_alpha"},
    {"apk", "1.0_p10-r0", ">", "1.0_p9-r0"},
    {"apk", "1.3_pre1-r1", "<", "1.3.2"},
    {"apk", "1.0.0_pre20191002222144-r0", "<", "1.0.0_pre20210530193627-r0"},
    {"apk", "1.0", "<", "1.0_cvs"},
    {"apk", "1.0_cvs", "<", "1.0_svn"},
    {"apk", "1.0_git", "<", "1.0_hg"},
    {"apk", "1.0_hg", "<", "1.0_p1"},
    {"apk", "1.0_alpha2", ">", "1.0_alpha"},
    {"apk", "1.0a", "<", "1.0b"},
    {"apk", "1.0", "<", "1.0a"},
    {"apk", "1.0-r1", ">", "1.0"},
    {"apk", "1.0-r1", "<", "1.0-r10"},
    {"apk", "1.01", "<", "1.1"},
    {"apk", "1.001", "<", "1.01"},
    {"apk", "1", "<", "1.0"},
    {"apk", "2.34", ">", "0.1.0_alpha"},
    {"apk", "1.2.3_p1-r0", ">", "1.2.3-r5"},
    {"apk", "3.0.13-r0", "<", "3.0.14-r0"},
    {"apk", "1.999999999999999999999999", "<", "1.1000000000000000000000000"},
    // SemVer 2 (semver.org section 11), build metadata ignored.
    {"semver", "1.0.0-alpha", "<", "1.0.0-alpha.1"},
    {"semver", "1.0.0-alpha.1", "<", "1.0.0-alpha.beta"},
    {"semver", "1.0.0-alpha.beta", "<", "1.0.0-beta"},
    {"semver", "1.0.0-beta", "<", "1.0.0-beta.2"},
    {"semver", "1.0.0-beta.2", "<", "1.0.0-beta.11"},
    {"semver", "1.0.0-beta.11", "<", "1.0.0-rc.1"},
    {"semver", "1.0.0-rc.1", "<", "1.0.0"},
    {"semver", "1.0.0+build.1", "=", "1.0.0+other"},
    {"semver", "v1.2.3", "=", "1.2.3"},
    {"semver", "1.0.0-1", "<", "1.0.0-a"},
    {"cargo", "1.0.0-alpha", "<", "1.0.0"},
    {"cargo", "18446744073709551615.0.0", ">", "1.0.0"},
    // PEP 440 (the specification's own ordering example).
    {"pep440", "1.0.dev456", "<", "1.0a1"},
    {"pep440", "1.0a1", "<", "1.0a2.dev456"},
    {"pep440", "1.0a2.dev456", "<", "1.0a12.dev456"},
    {"pep440", "1.0a12.dev456", "<", "1.0a12"},
    {"pep440", "1.0a12", "<", "1.0b1.dev456"},
    {"pep440", "1.0b1.dev456", "<", "1.0b2"},
    {"pep440", "1.0b2", "<", "1.0b2.post345.dev456"},
    {"pep440", "1.0b2.post345.dev456", "<", "1.0b2.post345"},
    {"pep440", "1.0b2.post345", "<", "1.0rc1.dev456"},
    {"pep440", "1.0rc1.dev456", "<", "1.0rc1"},
    {"pep440", "1.0rc1", "<", "1.0"},
    {"pep440", "1.0", "<", "1.0+abc.5"},
    {"pep440", "1.0+abc.5", "<", "1.0+abc.7"},
    {"pep440", "1.0+abc.7", "<", "1.0+5"},
    {"pep440", "1.0+5", "<", "1.0.post456.dev34"},
    {"pep440", "1.0.post456.dev34", "<", "1.0.post456"},
    {"pep440", "1.0.post456", "<", "1.0.15"},
    {"pep440", "1.0.15", "<", "1.1.dev1"},
    {"pep440", "1!0.1", ">", "2.0"},
    {"pep440", "1.0", "=", "1.0.0"},
    {"pep440", "v1.0-ALPHA-1", "=", "1.0a1"},
    {"pep440", "1.0-1", "=", "1.0.post1"},
    {"pep440", "1.0.c1", "=", "1.0rc1"},
    {"pep440", "1.0rev", "=", "1.0.post0"},
    {"pep440", " 1.0 ", "=", "1.0"},
    {"pep440", "1.0+ubuntu-1", "=", "1.0+ubuntu.1"},
    // Go modules: shorthands, +incompatible, pseudo-versions.
    {"go", "v1.2.3-pre", "<", "v1.2.3"},
    {"go", "v1.2.3+incompatible", "=", "v1.2.3"},
    {"go", "v2.0.0+incompatible", ">", "v1.9.9"},
    {"go", "v1", "=", "v1.0.0"},
    {"go", "v1.2", "=", "v1.2.0"},
    {"go", "1.2.3", "=", "v1.2.3"},
    {"go", "0", "<", "v0.0.1"},
    {"go", "v0.0.0-20191109021931-daa7c04131f5", "<", "v0.0.0-20200101000000-aaaaaaaaaaaa"},
    {"go", "v0.0.0-20200101000000-aaaaaaaaaaaa", "<", "v0.1.0"},
    {"go", "v1.2.4-0.20191109021931-daa7c04131f5", ">", "v1.2.3"},
    {"go", "v1.2.4-0.20191109021931-daa7c04131f5", "<", "v1.2.4"},
    {"go", "v1.2.3-pre.0.20191109021931-daa7c04131f5", ">", "v1.2.3-pre"},
    // Maven ComparableVersion.
    {"maven", "1-alpha", "<", "1-beta"},
    {"maven", "1-beta", "<", "1-milestone"},
    {"maven", "1-milestone", "<", "1-rc"},
    {"maven", "1-rc", "=", "1-cr"},
    {"maven", "1-rc", "<", "1-snapshot"},
    {"maven", "1-snapshot", "<", "1"},
    {"maven", "1", "=", "1-ga"},
    {"maven", "1", "=", "1-final"},
    {"maven", "1", "=", "1.0.0"},
    {"maven", "2.0.0.RELEASE", "=", "2.0.0"},
    {"maven", "1", "<", "1-sp"},
    {"maven", "1-sp", "<", "1-abc"},
    {"maven", "1-abc", "<", "1.1"},
    {"maven", "1a1", "=", "1-alpha-1"},
    {"maven", "1.0-SNAPSHOT", "<", "1.0"},
    {"maven", "1.0-1", "=", "1-1"},
    {"maven", "1-1", "<", "1.1"},
    {"maven", "2.17.1", ">", "2.15.0"},
    {"maven", "1.99999999999999999999", "<", "1.100000000000000000000"},
    // RubyGems.
    {"gem", "1.0.a", "<", "1.0"},
    {"gem", "1.0.0", "=", "1"},
    {"gem", "1.0.b1", ">", "1.0.a2"},
    {"gem", "1-1", "<", "1"},
    {"gem", "1-1", "=", "1.pre.1"},
    {"gem", "1.0a", "=", "1.0.a"},
    {"gem", "1.0.0.rc1", "<", "1.0.0"},
    {"gem", "1.10", ">", "1.9"},
    {"gem", "", "=", "0"},
};

TEST(VersionSchemes, KnownOrders) {
  for (const Row& row : kRows) {
    const VersionScheme* scheme = findScheme(row.scheme);
    ASSERT_NE(scheme, nullptr) << row.scheme;
    auto forward = scheme->compare(row.a, row.b);
    auto backward = scheme->compare(row.b, row.a);
    ASSERT_TRUE(forward.ok()) << row.scheme << " " << row.a << " " << row.b << ": " << forward.error().message;
    ASSERT_TRUE(backward.ok()) << row.scheme << " " << row.b << ": " << backward.error().message;
    const int expected = std::string(row.order) == "<" ? -1 : (std::string(row.order) == "=" ? 0 : 1);
    const int got = (*forward > 0) - (*forward < 0);
    EXPECT_EQ(got, expected) << row.scheme << ": " << row.a << " " << row.order << " " << row.b;
    EXPECT_EQ((*backward > 0) - (*backward < 0), -expected) << row.scheme << ": " << row.b << " vs " << row.a;
  }
}

TEST(VersionSchemes, InvalidVersionsAreErrorsThatNameThem) {
  const std::vector<std::pair<const char*, const char*>> invalid = {
      {"deb", ""},          {"deb", "1.0 2"},      {"deb", "a:1.0"},       {"deb", "1.0-"},
      {"deb", "99999999999:1"}, {"apk", "1.0-x"},  {"apk", "1.0_foo"},     {"apk", "abc"},
      {"semver", "1.0"},    {"semver", "01.0.0"},  {"semver", "1.0.0-01"}, {"semver", "1.0.0-"},
      {"semver", "99999999999999999.0.0"}, {"cargo", "v1.0.0"}, {"pep440", "1.0-"}, {"pep440", "foo"},
      {"pep440", "1.0+"},   {"go", "v1.2.3.4"},    {"go", "v01.2.3"},      {"go", "v1.2-pre"},
      {"gem", "1..0"},      {"gem", "junk"},       {"maven", ""},          {"rpm", ""}};
  for (const auto& [name, version] : invalid) {
    const VersionScheme* scheme = findScheme(name);
    ASSERT_NE(scheme, nullptr);
    auto status = scheme->validate(version);
    EXPECT_FALSE(status.ok()) << name << " accepted \"" << version << "\"";
    auto result = scheme->compare(version, version);
    if (!status.ok()) {
      EXPECT_NE(status.error().message.find(name), std::string::npos) << status.error().message;
    }
    if (!result.ok()) {
      EXPECT_NE(result.error().message.find("version"), std::string::npos) << result.error().message;
    }
  }
}

TEST(VersionSchemes, DpkgWarnsButComparesOddCharacters) {
  const VersionScheme& deb = *findScheme("deb");
  EXPECT_FALSE(deb.validate("a1.0").ok());
  EXPECT_FALSE(deb.validate("1.0_1").ok());
  auto result = deb.compare("a1.0", "1.0");
  ASSERT_TRUE(result.ok());
  EXPECT_GT(*result, 0);
}

TEST(VersionSchemes, HostileInputIsBoundedAndNeverOverflows) {
  const std::string huge(100000, '9');
  const std::string longDigits(200, '9');
  for (const char* name : {"deb", "rpm", "apk", "semver", "pep440", "go", "maven", "gem", "cargo"}) {
    const VersionScheme& scheme = *findScheme(name);
    auto result = scheme.compare(huge, "1");
    ASSERT_FALSE(result.ok()) << name;
    EXPECT_NE(result.error().message.find("longer than 256"), std::string::npos) << result.error().message;
    EXPECT_LT(result.error().message.size(), 300u) << name << ": the message must not echo the whole input";
    EXPECT_FALSE(scheme.compare(std::string("1\0", 2), "1").ok()) << name;
  }
  // 200-digit numbers compare by value.
  EXPECT_GT(*findScheme("deb")->compare(longDigits, "1" + std::string(199, '0')), 0);
  EXPECT_GT(*findScheme("rpm")->compare(longDigits, "0000" + std::string(199, '9')), 0);
  EXPECT_GT(*findScheme("pep440")->compare(longDigits, std::string(199, '9')), 0);
  EXPECT_GT(*findScheme("maven")->compare(longDigits, std::string(199, '9')), 0);
  EXPECT_GT(*findScheme("gem")->compare(longDigits, std::string(199, '9')), 0);
  EXPECT_GT(*findScheme("apk")->compare(longDigits, std::string(199, '9')), 0);
  EXPECT_GT(*findScheme("go")->compare("v1.0.0-" + longDigits, "v1.0.0-" + std::string(199, '9')), 0);
}

TEST(VersionSchemes, FoundByNameAndByEcosystem) {
  const std::vector<std::pair<std::string, std::string>> names = {
      {sbom::eco::kDeb, "deb"},     {sbom::eco::kRpm, "rpm"},     {sbom::eco::kApk, "apk"},
      {sbom::eco::kNpm, "semver"},  {sbom::eco::kPypi, "pep440"}, {sbom::eco::kGo, "go"},
      {sbom::eco::kMaven, "maven"}, {sbom::eco::kGem, "gem"},     {sbom::eco::kCargo, "cargo"},
      {sbom::eco::kNuget, "semver"}, {"semver", "semver"},        {"pep440", "pep440"},
      {"dpkg", "deb"},              {"go", "go"},                 {"node", "semver"},
      {"PyPI", "pep440"},           {"crates.io", "cargo"},       {"Debian", "deb"}};
  for (const auto& [query, scheme] : names) {
    const VersionScheme* found = findScheme(query);
    ASSERT_NE(found, nullptr) << query;
    EXPECT_EQ(found->name(), scheme) << query;
  }
  EXPECT_EQ(findScheme("cobol"), nullptr);
  EXPECT_EQ(findScheme(""), nullptr);
}

// --- npm ranges ---------------------------------------------------------------------------

struct RangeRow {
  const char* range;
  const char* version;
  bool satisfied;
};

TEST(NpmRange, NodeSemverExamples) {
  const std::vector<RangeRow> rows = {
      {"^1.2.3", "1.9.9", true},          {"^1.2.3", "2.0.0", false},        {"^1.2.3", "1.2.2", false},
      {"^0.2.3", "0.2.9", true},          {"^0.2.3", "0.3.0", false},        {"^0.0.3", "0.0.4", false},
      {"^1.2.3-beta.2", "1.2.3-beta.4", true}, {"^1.2.3-beta.2", "1.2.4-beta.2", false},
      {"^1.x", "1.5.0", true},            {"^0.x", "0.9.0", true},           {"^0.0.x", "0.0.9", true},
      {"~1.2.3", "1.2.9", true},          {"~1.2.3", "1.3.0", false},        {"~1.2", "1.2.0", true},
      {"~1", "1.9.0", true},              {"~>1.2.3", "1.2.5", true},        {"~0.2.3-beta.2", "0.2.3-beta.4", true},
      {"1.x", "1.99.0", true},            {"1.x", "2.0.0", false},           {"*", "1.0.0", true},
      {"*", "1.0.0-rc.1", false},         {"", "0.0.1", true},               {"x", "3.0.0", true},
      {"1.2.3 - 2.3.4", "2.3.4", true},   {"1.2.3 - 2.3.4", "2.3.5", false}, {"1.2 - 2.3.4", "1.2.0", true},
      {"1.2.3 - 2.3", "2.3.9", true},     {"1.2.3 - 2", "2.9.9", true},      {"1.2.3 - 2", "3.0.0", false},
      {">=1.2.7 <1.3.0", "1.2.8", true},  {">=1.2.7 <1.3.0", "1.3.0", false}, {"1.2.7 || >=1.2.9 <2.0.0", "1.2.8", false},
      {"1.2.7 || >=1.2.9 <2.0.0", "1.4.6", true}, {">1.2.3-alpha.3", "1.2.3-alpha.7", true},
      {">1.2.3-alpha.3", "3.4.5-alpha.9", false}, {">1.2.3-alpha.3", "3.4.5", true},
      {"> 1.2.3", "1.2.4", true},         {">= 1.2.3 < 2", "1.5.0", true},   {"<1.2.3", "1.2.3-beta", false},
      {"<1.2.3-rc.1", "1.2.3-beta", true}, {">1.x", "2.0.0", true},          {">1.x", "1.9.9", false},
      {"<=1.2", "1.2.9", true},           {"<=1.2", "1.3.0", false},         {"<1.x", "0.9.9", true},
      {">*", "1.0.0", false},             {"<0.0.0-0", "0.0.0", false},      {"=1.2.3", "1.2.3", true},
      {"v1.2.3", "1.2.3", true},          {"1.2.3+build", "1.2.3", true},    {"1.2.3", "1.2.3+build", true},
      {"* || 1.2.3-beta", "1.2.3-beta", false}, {"1.2.3-beta || 2", "1.2.3-beta", true},
      {">=0.0.0", "0.0.0", true},         {"<2.0.0 ||", "3.0.0", true},      {">=1.0.0 <=1.0.0", "1.0.0", true},
  };
  for (const RangeRow& row : rows) {
    auto result = satisfiesNpmRange(row.range, row.version);
    ASSERT_TRUE(result.ok()) << row.range << ": " << result.error().message;
    EXPECT_EQ(*result, row.satisfied) << "\"" << row.range << "\" on " << row.version;
  }
}

TEST(NpmRange, InvalidRangesAreErrors) {
  for (const char* range : {"blerg", ">=", "1.2.3 - ", "^1.2.3.4", "~1.2.3-", ">=01.2.3", "1.2.3 >", "a || b"}) {
    auto result = satisfiesNpmRange(range, "1.2.3");
    EXPECT_FALSE(result.ok()) << range;
  }
  EXPECT_FALSE(satisfiesNpmRange("^1.2.3", "not.a.version").ok());
  EXPECT_FALSE(satisfiesNpmRange(std::string(5000, '1'), "1.0.0").ok());
}

// --- PEP 440 specifiers -------------------------------------------------------------------

TEST(Pep440Specifier, PackagingExamples) {
  const std::vector<RangeRow> rows = {
      {"~=2.2", "2.3", true},             {"~=2.2", "3.0", false},           {"~=1.4.5", "1.4.9", true},
      {"~=1.4.5", "1.5.0", false},        {"~=2.2.post3", "2.2.post3", true}, {"~=2.2.0", "2.3.0", false},
      {"==1.1.*", "1.1.0", true},         {"==1.1.*", "1.1.post1", true},    {"==1.1.*", "1.10", false},
      {"==1.1", "1.1.0", true},           {"==1.1", "1.1+local", true},      {"==1.1+local", "1.1", false},
      {"!=1.1.*", "1.2", true},           {"!=1.1.*", "1.1.3", false},       {">=1.0,<2.0", "1.5", true},
      {">=1.0,<2.0", "2.0", false},       {">=1.0, <2.0, !=1.5", "1.5", false}, {"<2.0", "2.0rc1", false},
      {"<2.0rc2", "2.0rc1", false},        {">1.7", "1.7.post1", false},      {">1.7.post2", "1.7.post3", true},
      {">1.7", "1.7+local", false},       {">=1.0", "2.0b1", false},         {">=1.0b1", "2.0b1", true},
      {"", "1.0", true},                  {"", "1.0a1", false},              {"===1.0", "1.0", true},
      {"===1.0", "1.0.0", false},         {"<=1.0", "1.0+local", true},      {"==1.0.*, >=1.0.post1", "1.0.post2", true},
      {"< 3", "2.9", true},               {">=1.0.dev0", "1.0.dev1", true},
  };
  for (const RangeRow& row : rows) {
    auto result = satisfiesPep440(row.range, row.version);
    ASSERT_TRUE(result.ok()) << row.range << ": " << result.error().message;
    EXPECT_EQ(*result, row.satisfied) << "\"" << row.range << "\" on " << row.version;
  }
}

TEST(Pep440Specifier, InvalidSpecifiersAreErrors) {
  for (const char* spec : {"1.0", "=>1.0", "~=1", "<1.0+local", "==1.0a1.*", ">=1.0.*", "==", "~=1.0+x"}) {
    EXPECT_FALSE(satisfiesPep440(spec, "1.0").ok()) << spec;
  }
  EXPECT_FALSE(satisfiesPep440(">=1", "not a version").ok());
}

}  // namespace
}  // namespace bulkhead::vuln
