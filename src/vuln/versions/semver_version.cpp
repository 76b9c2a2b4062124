// SemVer 2.0.0 (semver.org), as npm's node-semver reads it for the npm and NuGet
// ecosystems: an optional leading 'v', numbers up to 2^53-1. Build metadata is parsed and
// ignored by the order.

#include "vuln/versions/semver.h"
#include "vuln/versions/scheme.h"
#include "vuln/versions/text.h"

namespace bulkhead::vuln::versions {

namespace {

bool isIdentChar(char c) { return isAlnum(c) || c == '-'; }

template <typename Check>
bool eachIdentifier(std::string_view s, Check check) {
  if (s.empty()) return false;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    const std::string_view id = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (id.empty() || !check(id)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

bool validNumber(std::string_view s, bool npmLimits) {
  if (!allDigits(s)) return false;
  if (s.size() > 1 && s.front() == '0') return false;
  if (npmLimits && compareDigits(s, "9007199254740991") > 0) return false;
  return true;
}

bool validPrerelease(std::string_view s) {
  return eachIdentifier(s, [](std::string_view id) {
    for (char c : id) {
      if (!isIdentChar(c)) return false;
    }
    return !(allDigits(id) && id.size() > 1 && id.front() == '0');
  });
}

bool validBuild(std::string_view s) {
  return eachIdentifier(s, [](std::string_view id) {
    for (char c : id) {
      if (!isIdentChar(c)) return false;
    }
    return true;
  });
}

Result<SemVer> parseSemVer(std::string_view v, const SemVerRules& rules) {
  BH_TRY_STATUS(checkBounds(rules.scheme, v));
  std::string_view s = v;
  if (rules.allowV && !s.empty() && s.front() == 'v') s.remove_prefix(1);
  SemVer out;
  const size_t plus = s.find('+');
  if (plus != std::string_view::npos) {
    out.build = s.substr(plus + 1);
    if (!validBuild(out.build)) return versionError(rules.scheme, v, "invalid build metadata");
    s = s.substr(0, plus);
  }
  const size_t hyphen = s.find('-');
  if (hyphen != std::string_view::npos) {
    out.prerelease = s.substr(hyphen + 1);
    if (!validPrerelease(out.prerelease)) return versionError(rules.scheme, v, "invalid prerelease");
    s = s.substr(0, hyphen);
  }
  const size_t dot1 = s.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : s.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || s.find('.', dot2 + 1) != std::string_view::npos) {
    return versionError(rules.scheme, v, "not MAJOR.MINOR.PATCH");
  }
  out.major = s.substr(0, dot1);
  out.minor = s.substr(dot1 + 1, dot2 - dot1 - 1);
  out.patch = s.substr(dot2 + 1);
  for (std::string_view n : {out.major, out.minor, out.patch}) {
    if (!validNumber(n, rules.npmLimits)) {
      return versionError(rules.scheme, v, "\"{}\" is not a version number (digits, no leading zero{})",
                          n.substr(0, 32), rules.npmLimits ? ", at most 2^53-1" : "");
    }
  }
  return out;
}

int comparePrerelease(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (true) {
    const bool endA = i > a.size(), endB = j > b.size();
    if (endA || endB) return endA && endB ? 0 : (endA ? -1 : 1);
    size_t ea = a.find('.', i), eb = b.find('.', j);
    if (ea == std::string_view::npos) ea = a.size();
    if (eb == std::string_view::npos) eb = b.size();
    const std::string_view x = a.substr(i, ea - i), y = b.substr(j, eb - j);
    const bool nx = allDigits(x), ny = allDigits(y);
    int c;
    if (nx && ny) c = compareDigits(x, y);
    else if (nx != ny) c = nx ? -1 : 1;
    else c = compareBytes(x, y);
    if (c != 0) return c;
    i = ea + 1;
    j = eb + 1;
  }
}

int compareSemVer(const SemVer& a, const SemVer& b) {
  if (int c = compareDigits(a.major, b.major)) return c;
  if (int c = compareDigits(a.minor, b.minor)) return c;
  if (int c = compareDigits(a.patch, b.patch)) return c;
  if (a.prerelease.empty() || b.prerelease.empty()) {
    return a.prerelease.empty() == b.prerelease.empty() ? 0 : (a.prerelease.empty() ? 1 : -1);
  }
  return comparePrerelease(a.prerelease, b.prerelease);
}

namespace {

class SemVerScheme final : public VersionScheme {
 public:
  SemVerScheme(std::string_view name, SemVerRules rules) : name_(name), rules_(rules) {}
  std::string_view name() const override { return name_; }

  Result<int> compare(std::string_view a, std::string_view b) const override {
    auto va = parseSemVer(a, rules_);
    if (!va) return std::move(va).error();
    auto vb = parseSemVer(b, rules_);
    if (!vb) return std::move(vb).error();
    return compareSemVer(*va, *vb);
  }

  Status validate(std::string_view v) const override {
    auto parsed = parseSemVer(v, rules_);
    if (!parsed) return std::move(parsed).error();
    return {};
  }

 private:
  std::string_view name_;
  SemVerRules rules_;
};

}  // namespace

const VersionScheme& semverScheme() {
  static const SemVerScheme scheme("semver", SemVerRules{"semver", true, true});
  return scheme;
}

}  // namespace bulkhead::vuln::versions
