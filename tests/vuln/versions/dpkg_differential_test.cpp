// dpkg versions against Debian's own libdpkg (parseversion + dpkg_version_compare), linked
// into this test: 100,000 generated pairs, zero disagreements on order and on validity.

#include <gtest/gtest.h>

#include "vuln/versions/scheme.h"
#include "vuln/versions/differential.h"

#ifdef BULKHEAD_HAVE_LIBDPKG
#define LIBDPKG_VOLATILE_API 1
extern "C" {
#include <dpkg/dpkg-db.h>
#include <dpkg/dpkg.h>
#include <dpkg/version.h>
}
#endif

namespace bulkhead::vuln {
namespace {

using testing::Random;

std::string debianVersion(Random& r) {
  static const std::vector<std::string> upstream = {
      "0", "1", "2", "9", "10", "01", "00", "007", "123456789012345678901234567890", "a", "b", "z", "A", "Z",
      ".", ".", ".", "+", "~", "~", "~~", "-", "rc", "beta", "dfsg", "really", "+git20240101", "~rc1", ":"};
  static const std::vector<std::string> revision = {"0", "1", "2", "10", "01", "a", "~", ".", "+", "deb12u1",
                                                    "ubuntu", "~bpo12", "build", "99999999999999999999"};
  std::string v;
  if (r.chance(25)) v += r.chance(20) ? r.digits(12) + ":" : std::to_string(r.below(3)) + ":";
  v += r.chance(95) ? r.digits(r.chance(10) ? 25 : 2) : r.pick(upstream);
  const size_t pieces = r.below(6);
  for (size_t i = 0; i < pieces; ++i) v += r.pick(upstream);
  if (r.chance(60)) {
    v += "-";
    const size_t rev = 1 + r.below(3);
    for (size_t i = 0; i < rev; ++i) v += r.pick(revision);
  }
  if (r.chance(2)) v += r.chance(50) ? " x" : "";
  return v;
}

// A small change to `v`, so that many pairs are close.
std::string mutate(Random& r, std::string v) {
  static const std::vector<std::string> bits = {"0", "1", "~", "+", ".", "a", "00", "~~", "-1", "9"};
  const size_t at = r.below(v.size() + 1);
  switch (r.below(3)) {
    case 0: v.insert(at, r.pick(bits)); break;
    case 1: if (at < v.size()) v.erase(at, 1); break;
    default: if (at < v.size()) v[at] = r.pick(bits)[0]; break;
  }
  return v;
}

TEST(DpkgDifferential, AgreesWithLibdpkg) {
#ifndef BULKHEAD_HAVE_LIBDPKG
  BULKHEAD_REQUIRE_REFERENCE(false, "libdpkg not found at build time (Debian package libdpkg-dev)");
#else
  const VersionScheme& scheme = *findScheme("deb");
  Random r(testing::kDifferentialSeed);
  std::vector<testing::Case> cases;
  std::vector<std::string> reference;
  for (size_t i = 0; i < testing::kDifferentialPairs; ++i) {
    const std::string a = debianVersion(r);
    const std::string b = r.chance(50) ? mutate(r, a) : debianVersion(r);
    cases.push_back({"C", a, b});
    dpkg_version va{}, vb{};
    dpkg_error ea = DPKG_ERROR_INIT, eb = DPKG_ERROR_INIT;
    const int ra = parseversion(&va, a.c_str(), &ea);
    const int rb = parseversion(&vb, b.c_str(), &eb);
    const bool hardError = (ra < 0 && ea.type == DPKG_MSG_ERROR) || (rb < 0 && eb.type == DPKG_MSG_ERROR);
    // dpkg --compare-versions warns about odd characters and compares anyway.
    const bool warned = (ra < 0 && ea.type == DPKG_MSG_WARN) || (rb < 0 && eb.type == DPKG_MSG_WARN);
    std::string verdict = hardError ? "E" : testing::signOf(dpkg_version_compare(&va, &vb));
    if (!hardError && warned) verdict += "w";
    reference.push_back(verdict);
    dpkg_error_destroy(&ea);
    dpkg_error_destroy(&eb);
  }
  testing::expectAgreement("dpkg vs libdpkg", testing::kDifferentialSeed, cases, reference,
                           [&](const testing::Case& c) -> std::string {
                             auto result = scheme.compare(c.a, c.b);
                             if (!result) return "E";
                             std::string verdict = testing::signOf(*result);
                             if (!scheme.validate(c.a) || !scheme.validate(c.b)) verdict += "w";
                             return verdict;
                           });
#endif
}

}  // namespace
}  // namespace bulkhead::vuln
