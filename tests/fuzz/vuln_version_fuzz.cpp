// Version schemes, npm ranges and PEP 440 specifiers on arbitrary bytes. The first byte
// picks the scheme, the rest is split at the first 0xff byte into
// two versions (or a range and a version). Every comparison must be antisymmetric and
// reflexive, and agree with validate(); nothing may crash.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "vuln/versions/scheme.h"

using namespace bulkhead::vuln;

namespace {

constexpr std::string_view kSchemes[] = {"deb", "rpm", "apk", "semver", "pep440", "go", "maven", "gem", "cargo"};

int signOf(int c) { return (c > 0) - (c < 0); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t cut = input.find('\xff');
  const std::string_view a = input.substr(0, cut);
  const std::string_view b = cut == std::string_view::npos ? std::string_view() : input.substr(cut + 1);
  const size_t pick = data[0] % (std::size(kSchemes) + 2);
  if (pick == std::size(kSchemes)) {
    (void)satisfiesNpmRange(a, b);
    return 0;
  }
  if (pick == std::size(kSchemes) + 1) {
    (void)satisfiesPep440(a, b);
    return 0;
  }
  const VersionScheme* scheme = findScheme(kSchemes[pick]);
  if (scheme == nullptr) std::abort();
  const auto ab = scheme->compare(a, b);
  const auto ba = scheme->compare(b, a);
  if (ab.ok() != ba.ok()) std::abort();  // invariant broken: errors depend on the order
  if (ab.ok() && signOf(*ab) != -signOf(*ba)) std::abort();  // invariant broken: antisymmetry
  for (std::string_view v : {a, b}) {
    const auto self = scheme->compare(v, v);
    if (self.ok() && *self != 0) std::abort();  // invariant broken: reflexivity
    // A version validate() accepts always compares.
    if (scheme->validate(v).ok() && !self.ok()) std::abort();
  }
  return 0;
}
