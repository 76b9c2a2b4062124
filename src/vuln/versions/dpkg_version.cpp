// Debian package versions ([epoch:]upstream[-revision]) ordered as dpkg orders them
// (deb-version(7)): letters before non-letters, `~` before everything, even the end.

#include "vuln/versions/scheme.h"
#include "vuln/versions/text.h"

namespace bulkhead::vuln::versions {
namespace {

constexpr std::string_view kName = "deb";

struct DebVersion {
  std::string_view epoch;  // digits, may be empty (0)
  std::string_view upstream;
  std::string_view revision;
};

bool isBlank(char c) { return c == ' ' || c == '\t'; }

// dpkg's parseversion(): hard errors only. Characters dpkg merely warns about are
// reported by validate().
Result<DebVersion> parse(std::string_view v) {
  BH_TRY_STATUS(checkBounds(kName, v));
  std::string_view s = v;
  while (!s.empty() && isBlank(s.front())) s.remove_prefix(1);
  if (s.empty()) return versionError(kName, v, "empty");
  size_t end = 0;
  while (end < s.size() && !isBlank(s[end])) ++end;
  for (size_t i = end; i < s.size(); ++i) {
    if (!isBlank(s[i])) return versionError(kName, v, "embedded spaces");
  }
  s = s.substr(0, end);
  DebVersion out;
  const size_t colon = s.find(':');
  if (colon != std::string_view::npos) {
    std::string_view epoch = s.substr(0, colon);
    if (!epoch.empty() && epoch.front() == '+') epoch.remove_prefix(1);  // strtol's sign
    if (epoch.empty()) return versionError(kName, v, "epoch is empty");
    if (!allDigits(epoch)) return versionError(kName, v, "epoch is not a number");
    if (compareDigits(epoch, "2147483647") > 0) return versionError(kName, v, "epoch is too big");
    out.epoch = epoch;
    s.remove_prefix(colon + 1);
    if (s.empty()) return versionError(kName, v, "nothing after the epoch's colon");
  }
  const size_t hyphen = s.rfind('-');
  if (hyphen != std::string_view::npos) {
    out.revision = s.substr(hyphen + 1);
    if (out.revision.empty()) return versionError(kName, v, "revision is empty");
    s = s.substr(0, hyphen);
  }
  if (s.empty()) return versionError(kName, v, "upstream version is empty");
  out.upstream = s;
  return out;
}

int order(int c) {
  if (isDigit(static_cast<char>(c))) return 0;
  if (isAlpha(static_cast<char>(c))) return c;
  if (c == '~') return -1;
  if (c != 0) return c + 256;
  return 0;
}

// dpkg's verrevcmp: alternating non-digit runs (by order()) and digit runs (numerically).
int compareFragment(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  auto at = [](std::string_view s, size_t k) -> int {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0;
  };
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !isDigit(a[i])) || (j < b.size() && !isDigit(b[j]))) {
      const int ac = order(at(a, i));
      const int bc = order(at(b, j));
      if (ac != bc) return sign(ac - bc);
      ++i;
      ++j;
    }
    size_t ai = i, bj = j;
    while (i < a.size() && isDigit(a[i])) ++i;
    while (j < b.size() && isDigit(b[j])) ++j;
    const int c = compareDigits(a.substr(ai, i - ai), b.substr(bj, j - bj));
    if (c != 0) return c;
  }
  return 0;
}

class DpkgScheme final : public VersionScheme {
 public:
  std::string_view name() const override { return kName; }

  Result<int> compare(std::string_view a, std::string_view b) const override {
    auto va = parse(a);
    if (!va) return std::move(va).error();
    auto vb = parse(b);
    if (!vb) return std::move(vb).error();
    if (int c = compareDigits(va->epoch, vb->epoch)) return c;
    if (int c = compareFragment(va->upstream, vb->upstream)) return c;
    return compareFragment(va->revision, vb->revision);
  }

  Status validate(std::string_view v) const override {
    auto parsed = parse(v);
    if (!parsed) return std::move(parsed).error();
    if (!isDigit(parsed->upstream.front())) {
      return versionError(kName, v, "upstream version does not start with a digit");
    }
    for (char c : parsed->upstream) {
      if (!isAlnum(c) && std::string_view(".-+~:").find(c) == std::string_view::npos) {
        return versionError(kName, v, "invalid character '{}' in the upstream version", c);
      }
    }
    for (char c : parsed->revision) {
      if (!isAlnum(c) && std::string_view(".+~").find(c) == std::string_view::npos) {
        return versionError(kName, v, "invalid character '{}' in the revision", c);
      }
    }
    return {};
  }
};

}  // namespace

const VersionScheme& dpkgScheme() {
  static const DpkgScheme scheme;
  return scheme;
}

}  // namespace bulkhead::vuln::versions
