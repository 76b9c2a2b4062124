// Ignore files and OpenVEX statements: what they suppress, when a rule expires, and clear
// errors for malformed files.

#include "vuln/suppress.h"

#include <gtest/gtest.h>

namespace bulkhead::vuln {
namespace {

Finding finding(std::vector<std::string> ids) {
  Finding f;
  f.id = ids.front();
  f.ids = std::move(ids);
  return f;
}

sbom::Package lodash() {
  sbom::Package p;
  p.ecosystem = "npm";
  p.name = "lodash";
  p.version = "4.17.4";
  p.purl = "pkg:npm/lodash@4.17.4";
  return p;
}

TEST(IgnoreFile, YamlRulesByIdPackageAndExpiry) {
  auto rules = parseIgnoreFile(R"(ignore:
  - id: CVE-2019-10744
    package: lodash
    expires: 2027-01-31
    reason: prototype pollution not reachable
  - id: GHSA-xxxx-yyyy-zzzz
    package: pkg:npm/other
    reason: other package
  - id: CVE-2018-3721
    expires: 2020-01-01
    reason: expired long ago
)",
                               "ignore.yaml");
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  ASSERT_EQ(rules->size(), 3u);
  Suppressions s{*rules, {}};
  const auto p = lodash();
  auto why = suppressionFor(finding({"CVE-2019-10744", "GHSA-jf85-cpcp-j695"}), p, s, "2026-11-24");
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(*why, "ignore.yaml: entry 1: prototype pollution not reachable");
  // After the expiry day the rule is gone.
  EXPECT_FALSE(suppressionFor(finding({"CVE-2019-10744"}), p, s, "2027-02-01").has_value());
  // Another package's rule does not apply; an expired rule neither.
  EXPECT_FALSE(suppressionFor(finding({"GHSA-xxxx-yyyy-zzzz"}), p, s, "2026-11-24").has_value());
  EXPECT_FALSE(suppressionFor(finding({"CVE-2018-3721"}), p, s, "2026-11-24").has_value());
  EXPECT_EQ(expiredRules(s, "2026-11-24").size(), 1u);
}

TEST(IgnoreFile, PlainIdLines) {
  auto rules = parseIgnoreFile("# accepted risks\nCVE-2019-10744  # not reachable\n\nGHSA-abc\n", ".trivyignore");
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].reason, "not reachable");
  EXPECT_EQ((*rules)[1].origin, ".trivyignore: line 4");
}

TEST(IgnoreFile, MalformedFilesNameTheProblem) {
  auto check = [](std::string_view text, std::string_view wanted) {
    auto r = parseIgnoreFile(text, "bad.yaml");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.error().message.find(wanted), std::string::npos) << r.error().message;
  };
  check("ignore:\n  - id: CVE-1\n", "no reason");
  check("ignore:\n  - reason: x\n", "no id");
  check("ignore:\n  - id: CVE-1\n    reason: x\n    expires: next week\n", "not a date");
  check("ignore:\n  - id: CVE-1\n    reason: x\n    colour: red\n", "unknown key 'colour'");
  check("ignore: 5\n", "not a list");
  check("CVE-1 CVE-2\n", "one id per line");
}

TEST(OpenVex, NotAffectedAndFixedSuppressAffectedDoesNot) {
  auto statements = parseOpenVex(R"({
    "@context": "https://openvex.dev/ns/v0.2.0",
    "@id": "https://example.com/vex/1",
    "author": "security@example.com",
    "timestamp": "2026-11-01T00:00:00Z",
    "version": 1,
    "statements": [
      {"vulnerability": {"name": "CVE-2019-10744"},
       "products": [{"@id": "pkg:oci/app@sha256%3Aabc", "subcomponents": [{"@id": "pkg:npm/lodash@4.17.4"}]}],
       "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
      {"vulnerability": {"name": "CVE-2020-8203"},
       "products": [{"@id": "pkg:npm/lodash"}],
       "status": "affected"},
      {"vulnerability": {"name": "CVE-2021-23337"},
       "products": [{"@id": "pkg:npm/lodash@4.17.21"}],
       "status": "fixed"}
    ]})",
                                 "app.vex.json");
  ASSERT_TRUE(statements.ok()) << statements.error().message;
  Suppressions s{{}, *statements};
  const auto p = lodash();
  auto why = suppressionFor(finding({"CVE-2019-10744"}), p, s, "2026-11-24");
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("not_affected: vulnerable_code_not_in_execute_path"), std::string::npos);
  EXPECT_FALSE(suppressionFor(finding({"CVE-2020-8203"}), p, s, "2026-11-24").has_value());
  // "fixed" in another version of the product says nothing about 4.17.4.
  EXPECT_FALSE(suppressionFor(finding({"CVE-2021-23337"}), p, s, "2026-11-24").has_value());
}

TEST(OpenVex, RejectsWhatIsNotOpenVex) {
  EXPECT_FALSE(parseOpenVex(R"({"statements": []})", "x.json").ok());
  EXPECT_FALSE(parseOpenVex("[1,2]", "x.json").ok());
  EXPECT_FALSE(parseOpenVex(R"({"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
      {"vulnerability": {"name": "CVE-1"}, "products": [], "status": "not_affected"}]})",
                            "x.json")
                   .ok())
      << "not_affected without a justification";
  EXPECT_FALSE(parseOpenVex(R"({"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
      {"vulnerability": {"name": "CVE-1"}, "status": "maybe"}]})",
                            "x.json")
                   .ok());
}

}  // namespace
}  // namespace bulkhead::vuln
