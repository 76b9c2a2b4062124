// Go module versions ordered as golang.org/x/mod/semver: SemVer 2 with a 'v' prefix,
// shorthands v1 and v1.2 (= v1.0.0, v1.2.0), "+incompatible" and other build metadata
// ignored; pseudo-versions (v0.0.0-20191109021931-daa7c04131f5) order as the prereleases
// they are. Feeds (OSV) write Go versions without the 'v': both spellings are accepted.
// Unlike x/mod/semver, which orders invalid versions first, an invalid version is an error.

#include "vuln/versions/scheme.h"
#include "vuln/versions/semver.h"
#include "vuln/versions/text.h"

namespace bulkhead::vuln::versions {
namespace {

constexpr std::string_view kName = "go";

Result<SemVer> parseGo(std::string_view v) {
  BH_TRY_STATUS(checkBounds(kName, v));
  std::string_view s = v;
  if (!s.empty() && s.front() == 'v') s.remove_prefix(1);
  SemVer out;
  auto number = [&](std::string_view& field) {
    size_t k = 0;
    while (k < s.size() && isDigit(s[k])) ++k;
    field = s.substr(0, k);
    s.remove_prefix(k);
    return validNumber(field, false);
  };
  if (!number(out.major)) return versionError(kName, v, "invalid major version");
  out.minor = "0";
  out.patch = "0";
  if (s.empty()) return out;
  if (s.front() != '.') return versionError(kName, v, "expected '.' after the major version");
  s.remove_prefix(1);
  if (!number(out.minor)) return versionError(kName, v, "invalid minor version");
  if (s.empty()) return out;
  if (s.front() != '.') return versionError(kName, v, "expected '.' after the minor version");
  s.remove_prefix(1);
  if (!number(out.patch)) return versionError(kName, v, "invalid patch version");
  if (!s.empty() && s.front() == '-') {
    const size_t plus = s.find('+');
    out.prerelease = s.substr(1, plus == s.npos ? s.npos : plus - 1);
    if (!validPrerelease(out.prerelease)) return versionError(kName, v, "invalid prerelease");
    s.remove_prefix(plus == s.npos ? s.size() : plus);
  }
  if (!s.empty() && s.front() == '+') {
    out.build = s.substr(1);
    if (!validBuild(out.build)) return versionError(kName, v, "invalid build metadata");
    s = {};
  }
  if (!s.empty()) return versionError(kName, v, "unexpected text after the patch version");
  return out;
}

class GoScheme final : public VersionScheme {
 public:
  std::string_view name() const override { return kName; }

  Result<int> compare(std::string_view a, std::string_view b) const override {
    auto va = parseGo(a);
    if (!va) return std::move(va).error();
    auto vb = parseGo(b);
    if (!vb) return std::move(vb).error();
    return compareSemVer(*va, *vb);
  }

  Status validate(std::string_view v) const override {
    auto parsed = parseGo(v);
    if (!parsed) return std::move(parsed).error();
    return {};
  }
};

}  // namespace

const VersionScheme& goScheme() {
  static const GoScheme scheme;
  return scheme;
}

}  // namespace bulkhead::vuln::versions
