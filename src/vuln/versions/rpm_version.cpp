// RPM versions ([epoch:]version[-release]) ordered as rpm's rpmvercmp/rpmverCmp: runs of
// digits and of letters compared segment by segment, `~` sorts before anything (even the
// end), `^` after the end but before anything else. A version with a release sorts after the
// same version without one, as rpmverCmp has it (matchers that treat a missing release as a
// wildcard must strip it themselves).

#include "vuln/versions/scheme.h"
#include "vuln/versions/text.h"

namespace bulkhead::vuln::versions {
namespace {

constexpr std::string_view kName = "rpm";

bool isSeparator(char c) { return !isAlnum(c) && c != '~' && c != '^'; }

// rpmvercmp on one field.
int compareField(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  size_t i = 0, j = 0;
  const size_t n = a.size(), m = b.size();
  while (i < n || j < m) {
    while (i < n && isSeparator(a[i])) ++i;
    while (j < m && isSeparator(b[j])) ++j;
    const char ca = i < n ? a[i] : '\0';
    const char cb = j < m ? b[j] : '\0';
    if (ca == '~' || cb == '~') {
      if (ca != '~') return 1;
      if (cb != '~') return -1;
      ++i;
      ++j;
      continue;
    }
    if (ca == '^' || cb == '^') {
      if (i == n) return -1;
      if (j == m) return 1;
      if (ca != '^') return 1;
      if (cb != '^') return -1;
      ++i;
      ++j;
      continue;
    }
    if (i == n || j == m) break;
    const size_t si = i, sj = j;
    const bool numeric = isDigit(a[i]);
    if (numeric) {
      while (i < n && isDigit(a[i])) ++i;
      while (j < m && isDigit(b[j])) ++j;
    } else {
      while (i < n && isAlpha(a[i])) ++i;
      while (j < m && isAlpha(b[j])) ++j;
    }
    if (j == sj) return numeric ? 1 : -1;  // digits are newer than letters
    const std::string_view sa = a.substr(si, i - si), sb = b.substr(sj, j - sj);
    const int c = numeric ? compareDigits(sa, sb) : compareBytes(sa, sb);
    if (c != 0) return c;
  }
  if (i == n && j == m) return 0;
  return i == n ? -1 : 1;
}

struct Evr {
  std::string_view epoch;  // empty: none (compared as 0)
  std::string_view version;
  std::string_view release;
  bool hasRelease = false;
};

// rpm's parseEVR: the epoch is the leading digits when a ':' follows them, the release what
// follows the last '-' after them.
Evr parse(std::string_view s) {
  Evr out;
  size_t k = 0;
  while (k < s.size() && isDigit(s[k])) ++k;
  const size_t hyphen = s.rfind('-');
  const bool hasHyphen = hyphen != std::string_view::npos && hyphen >= k;
  size_t versionStart = 0;
  if (k < s.size() && s[k] == ':') {
    out.epoch = k == 0 ? std::string_view("0") : s.substr(0, k);
    versionStart = k + 1;
  }
  if (hasHyphen) {
    out.version = s.substr(versionStart, hyphen - versionStart);
    out.release = s.substr(hyphen + 1);
    out.hasRelease = true;
  } else {
    out.version = s.substr(versionStart);
  }
  return out;
}

class RpmScheme final : public VersionScheme {
 public:
  std::string_view name() const override { return kName; }

  Result<int> compare(std::string_view a, std::string_view b) const override {
    BH_TRY_STATUS(validate(a));
    BH_TRY_STATUS(validate(b));
    const Evr ea = parse(a), eb = parse(b);
    const std::string_view epochA = ea.epoch.empty() ? "0" : ea.epoch;
    const std::string_view epochB = eb.epoch.empty() ? "0" : eb.epoch;
    if (int c = compareField(epochA, epochB)) return c;
    if (int c = compareField(ea.version, eb.version)) return c;
    // rpmverCmp: a release, even an empty one, sorts after none.
    if (ea.hasRelease && eb.hasRelease) return compareField(ea.release, eb.release);
    return ea.hasRelease == eb.hasRelease ? 0 : (ea.hasRelease ? 1 : -1);
  }

  Status validate(std::string_view v) const override {
    BH_TRY_STATUS(checkBounds(kName, v));
    if (v.empty()) return versionError(kName, v, "empty");
    return {};
  }
};

}  // namespace

const VersionScheme& rpmScheme() {
  static const RpmScheme scheme;
  return scheme;
}

}  // namespace bulkhead::vuln::versions
