// RubyGems versions ordered as Gem::Version#<=>: segments are runs of digits or letters,
// '-' reads as ".pre.", any letter segment makes a prerelease (sorts before the release),
// trailing zero segments of the numeric part and of the rest do not count.

#include <cstdint>

#include "vuln/versions/scheme.h"
#include "vuln/versions/text.h"

namespace bulkhead::vuln::versions {
namespace {

constexpr std::string_view kName = "gem";

// Gem::Version's ANCHORED_VERSION_PATTERN, on the stripped text; empty is "0".
bool valid(std::string_view s) {
  if (s.empty()) return true;
  size_t i = 0;
  if (!isDigit(s[0])) return false;
  while (i < s.size() && isDigit(s[i])) ++i;
  while (i < s.size() && s[i] == '.') {
    const size_t start = ++i;
    while (i < s.size() && isAlnum(s[i])) ++i;
    if (i == start) return false;
  }
  if (i < s.size() && s[i] == '-') {
    do {
      const size_t start = ++i;
      while (i < s.size() && (isAlnum(s[i]) || s[i] == '-')) ++i;
      if (i == start) return false;
    } while (i < s.size() && s[i] == '.');
  }
  return i == s.size();
}

// A trivial type, so that Canonical's array is not initialised on every comparison.
struct Segment {
  const char* data;  // digits or letters; "pre" for a '-'
  uint16_t size;
  bool numeric;
  std::string_view text() const { return {data, size}; }
};

constexpr std::string_view kPre = "pre";

Segment segment(std::string_view text, bool numeric) {
  return Segment{text.data(), static_cast<uint16_t>(text.size()), numeric};
}

// Walks the segments of a version (with '-' as ".pre.") one at a time.
class Segments {
 public:
  explicit Segments(std::string_view s) : s_(s) {}
  bool next(Segment& out) {
    while (i_ < s_.size() && !isAlnum(s_[i_])) {
      if (s_[i_] == '-') {
        ++i_;
        out = segment(kPre, false);
        return true;
      }
      ++i_;
    }
    if (i_ >= s_.size()) return false;
    const size_t start = i_;
    const bool numeric = isDigit(s_[i_]);
    while (i_ < s_.size() && (numeric ? isDigit(s_[i_]) : isAlpha(s_[i_]))) ++i_;
    out = segment(s_.substr(start, i_ - start), numeric);
    return true;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

bool isZero(const Segment& s) {
  if (!s.numeric) return false;
  for (char c : s.text()) {
    if (c != '0') return false;
  }
  return true;
}

// canonical_segments as a bounded array of views: the numeric part and the rest, each
// without trailing zeros.
struct Canonical {
  Segment items[kMaxVersionLength + 2];
  size_t size = 0;
};

void canonicalize(std::string_view s, Canonical& out) {
  Segments walk(s);
  Segment seg;
  size_t numericEnd = 0;  // end of the numeric prefix within items
  bool inRest = false;
  out.size = 0;
  while (walk.next(seg)) {
    if (!inRest && !seg.numeric) {
      while (out.size > 0 && isZero(out.items[out.size - 1])) --out.size;
      numericEnd = out.size;
      inRest = true;
    }
    out.items[out.size++] = seg;
  }
  while (out.size > (inRest ? numericEnd : 0) && isZero(out.items[out.size - 1])) --out.size;
}

int compareSegments(const Segment& a, const Segment& b) {
  if (a.numeric && b.numeric) return compareDigits(a.text(), b.text());
  if (a.numeric != b.numeric) return a.numeric ? 1 : -1;
  return compareBytes(a.text(), b.text());
}

std::string_view strip(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

class GemScheme final : public VersionScheme {
 public:
  std::string_view name() const override { return kName; }

  Result<int> compare(std::string_view a, std::string_view b) const override {
    BH_TRY_STATUS(validate(a));
    BH_TRY_STATUS(validate(b));
    Canonical ca, cb;
    canonicalize(strip(a), ca);
    canonicalize(strip(b), cb);
    const Segment zero = segment("0", true);
    for (size_t i = 0; i < ca.size || i < cb.size; ++i) {
      const Segment& x = i < ca.size ? ca.items[i] : zero;
      const Segment& y = i < cb.size ? cb.items[i] : zero;
      if (int c = compareSegments(x, y)) return c;
    }
    return 0;
  }

  Status validate(std::string_view v) const override {
    BH_TRY_STATUS(checkBounds(kName, v));
    if (!valid(strip(v))) return versionError(kName, v, "malformed (digits, then .segments, then -prerelease)");
    return {};
  }
};

}  // namespace

const VersionScheme& gemScheme() {
  static const GemScheme scheme;
  return scheme;
}

}  // namespace bulkhead::vuln::versions
