// Cargo (crates.io) versions: strict SemVer 2.0.0 as the `semver` crate reads them (no
// 'v' prefix, 64-bit numbers); build metadata ignored by the order, as RustSec's matching
// does.

#include "vuln/versions/scheme.h"
#include "vuln/versions/semver.h"
#include "vuln/versions/text.h"

namespace bulkhead::vuln::versions {
namespace {

constexpr SemVerRules kRules{"cargo", false, false};

Result<SemVer> parseCargo(std::string_view v) {
  auto parsed = parseSemVer(v, kRules);
  if (!parsed) return parsed;
  for (std::string_view n : {parsed->major, parsed->minor, parsed->patch}) {
    if (compareDigits(n, "18446744073709551615") > 0) return versionError(kRules.scheme, v, "number above 2^64-1");
  }
  return parsed;
}

class CargoScheme final : public VersionScheme {
 public:
  std::string_view name() const override { return kRules.scheme; }

  Result<int> compare(std::string_view a, std::string_view b) const override {
    auto va = parseCargo(a);
    if (!va) return std::move(va).error();
    auto vb = parseCargo(b);
    if (!vb) return std::move(vb).error();
    return compareSemVer(*va, *vb);
  }

  Status validate(std::string_view v) const override {
    auto parsed = parseCargo(v);
    if (!parsed) return std::move(parsed).error();
    return {};
  }
};

}  // namespace

const VersionScheme& cargoScheme() {
  static const CargoScheme scheme;
  return scheme;
}

}  // namespace bulkhead::vuln::versions
