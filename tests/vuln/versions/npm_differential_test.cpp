// SemVer versions and npm ranges against npm's own semver package (pinned in
// tests/tools/semver-oracle, installed with `npm ci` into the build tree once per lockfile,
// one node process for all cases): 100,000 generated version pairs (semver.compare) and
// 100,000 range checks (semver.satisfies), zero disagreements, validity included.

#include <gtest/gtest.h>

#include "support/node_tool.h"
#include "vuln/versions/differential.h"
#include "vuln/versions/scheme.h"

namespace bulkhead::vuln {
namespace {

using ::bulkhead::testing::runCommand;
using testing::Random;

struct Oracle {
  std::string script;  // oracle.js next to its node_modules
  std::string error;   // why it could not be installed
};

Oracle installOracle() {
  auto tool = ::bulkhead::testing::installNodeTool(BULKHEAD_SEMVER_ORACLE_SOURCE, BULKHEAD_SEMVER_ORACLE_BUILD,
                                                   {"oracle.js"});
  return {tool.dir + "/oracle.js", tool.error};
}

const Oracle& oracle() {
  static const Oracle o = installOracle();
  return o;
}

std::string number(Random& r) {
  if (r.chance(3)) return r.digits(15);   // below 2^53: node compares these exactly
  if (r.chance(1)) return "0" + r.digits(2);  // leading zero: invalid
  return std::to_string(r.below(4));
}

std::string prerelease(Random& r) {
  static const std::vector<std::string> ids = {"alpha", "beta", "rc", "0", "1", "2", "10", "x-y", "-", "a1",
                                               "1a",    "Z",    "01", ""};
  std::string s = r.pick(ids);
  const size_t more = r.below(3);
  for (size_t i = 0; i < more; ++i) s += "." + r.pick(ids);
  return s;
}

std::string semverVersion(Random& r) {
  std::string v;
  if (r.chance(5)) v += "v";
  v += number(r) + "." + number(r);
  if (r.chance(98)) v += "." + number(r);
  if (r.chance(30)) v += "-" + prerelease(r);
  if (r.chance(10)) v += "+" + (r.chance(50) ? std::string("build.5") : std::string("001.x-y"));
  return v;
}

std::string partial(Random& r, bool allowPrerelease) {
  static const std::vector<std::string> xs = {"x", "X", "*"};
  auto part = [&]() { return r.chance(15) ? r.pick(xs) : std::to_string(r.below(4)); };
  std::string v = (r.chance(5) ? "v" : "") + part();
  const size_t parts = r.below(3);
  if (parts >= 1) v += "." + part();
  if (parts >= 2) {
    v += "." + part();
    if (allowPrerelease && r.chance(20)) v += "-" + prerelease(r);
    if (r.chance(5)) v += "+b1";
  }
  return v;
}

std::string comparatorSet(Random& r) {
  static const std::vector<std::string> ops = {"", "", "=", "<", "<=", ">", ">=", "^", "~", "~>"};
  if (r.chance(15)) return partial(r, true) + " - " + partial(r, true);
  if (r.chance(3)) return r.chance(50) ? "*" : "";
  std::string set;
  const size_t count = 1 + r.below(3);
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) set += " ";
    set += r.pick(ops) + (r.chance(8) ? " " : "") + partial(r, true);
  }
  return set;
}

std::string npmRange(Random& r) {
  std::string range;
  const size_t sets = 1 + r.below(3);
  for (size_t i = 0; i < sets; ++i) {
    if (i > 0) range += r.chance(80) ? " || " : "||";
    range += comparatorSet(r);
  }
  if (r.chance(1)) range += " >";
  return range;
}

// A version near the range's numbers, so that both answers are common.
std::string nearVersion(Random& r) {
  std::string v = std::to_string(r.below(4)) + "." + std::to_string(r.below(4)) + "." + std::to_string(r.below(4));
  if (r.chance(30)) v += "-" + prerelease(r);
  return v;
}

TEST(NpmDifferential, SemverCompareAgreesWithNodeSemver) {
  BULKHEAD_REQUIRE_REFERENCE(oracle().error.empty(), "npm semver oracle unavailable: " + oracle().error);
  const VersionScheme& scheme = *findScheme("npm");
  Random r(testing::kDifferentialSeed);
  std::vector<testing::Case> cases;
  for (size_t i = 0; i < testing::kDifferentialPairs; ++i) {
    cases.push_back({"C", semverVersion(r), semverVersion(r)});
  }
  std::string failure;
  const auto reference = testing::runReference({"node", oracle().script}, cases, failure);
  ASSERT_TRUE(failure.empty()) << failure;
  testing::expectAgreement("SemVer vs semver.compare", testing::kDifferentialSeed, cases, reference,
                           [&](const testing::Case& c) -> std::string {
                             auto result = scheme.compare(c.a, c.b);
                             return result ? testing::signOf(*result) : "E";
                           });
}

TEST(NpmDifferential, RangesAgreeWithNodeSemver) {
  BULKHEAD_REQUIRE_REFERENCE(oracle().error.empty(), "npm semver oracle unavailable: " + oracle().error);
  Random r(testing::kDifferentialSeed + 2);
  std::vector<testing::Case> cases;
  for (size_t i = 0; i < testing::kDifferentialPairs; ++i) {
    cases.push_back({"R", npmRange(r), r.chance(85) ? nearVersion(r) : semverVersion(r)});
  }
  std::string failure;
  const auto reference = testing::runReference({"node", oracle().script}, cases, failure);
  ASSERT_TRUE(failure.empty()) << failure;
  testing::expectAgreement("npm ranges vs semver.satisfies", testing::kDifferentialSeed + 2, cases, reference,
                           [&](const testing::Case& c) -> std::string {
                             auto result = satisfiesNpmRange(c.a, c.b);
                             return result ? (*result ? "1" : "0") : "E";
                           });
}

}  // namespace
}  // namespace bulkhead::vuln
