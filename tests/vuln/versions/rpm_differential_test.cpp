// rpm versions ([epoch:]version[-release]) against rpm's own comparison (librpm's
// rpmverParse + rpmverCmp, linked into this test): 100,000 generated pairs, zero
// disagreements.

#include <gtest/gtest.h>

#include "vuln/versions/scheme.h"
#include "vuln/versions/differential.h"

#ifdef BULKHEAD_HAVE_LIBRPM
#include <rpm/rpmver.h>
#endif

namespace bulkhead::vuln {
namespace {

using testing::Random;

std::string rpmVersion(Random& r) {
  static const std::vector<std::string> atoms = {
      "0", "1", "2", "10", "01", "000", "123456789012345678901234567890", "a", "b", "Z", "alpha", "rc",
      ".", ".", ".", "_", "+", "~", "~", "^", "^", "-", "el9", "fc40", "git", "%", "..", "~~", "^^", "é"};
  std::string v;
  if (r.chance(20)) v += (r.chance(10) ? std::string() : r.digits(r.chance(10) ? 20 : 1)) + ":";
  v += r.digits(r.chance(10) ? 22 : 2);
  const size_t pieces = r.below(7);
  for (size_t i = 0; i < pieces; ++i) v += r.pick(atoms);
  if (r.chance(60)) {
    v += "-";
    v += r.chance(80) ? r.digits(2) : r.pick(atoms);
    if (r.chance(50)) v += r.pick(atoms) + r.pick(atoms);
  }
  return v;
}

std::string mutate(Random& r, std::string v) {
  static const std::vector<std::string> bits = {"0", "1", "~", "^", ".", "a", "00", "_", "-", "9", "z"};
  const size_t at = r.below(v.size() + 1);
  switch (r.below(3)) {
    case 0: v.insert(at, r.pick(bits)); break;
    case 1: if (at < v.size()) v.erase(at, 1); break;
    default: if (at < v.size()) v[at] = r.pick(bits)[0]; break;
  }
  return v;
}

TEST(RpmDifferential, AgreesWithLibrpm) {
#ifndef BULKHEAD_HAVE_LIBRPM
  BULKHEAD_REQUIRE_REFERENCE(false, "librpm not found at build time (Debian package librpm-dev)");
#else
  const VersionScheme& scheme = *findScheme("rpm");
  Random r(testing::kDifferentialSeed);
  std::vector<testing::Case> cases;
  std::vector<std::string> reference;
  for (size_t i = 0; i < testing::kDifferentialPairs; ++i) {
    const std::string a = rpmVersion(r);
    const std::string b = r.chance(50) ? mutate(r, a) : rpmVersion(r);
    cases.push_back({"C", a, b});
    rpmver va = rpmverParse(a.c_str());
    rpmver vb = rpmverParse(b.c_str());
    reference.push_back(va && vb ? testing::signOf(rpmverCmp(va, vb)) : "E");
    rpmverFree(va);
    rpmverFree(vb);
  }
  testing::expectAgreement("rpm vs librpm", testing::kDifferentialSeed, cases, reference,
                           [&](const testing::Case& c) -> std::string {
                             auto result = scheme.compare(c.a, c.b);
                             return result ? testing::signOf(*result) : "E";
                           });
#endif
}

}  // namespace
}  // namespace bulkhead::vuln
