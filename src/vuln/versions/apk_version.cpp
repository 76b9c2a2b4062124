// Alpine package versions ordered as apk-tools: numbers separated by '.', an optional
// letter, suffixes (_alpha < _beta < _pre < _rc < none < _cvs < _svn < _git < _hg < _p, each
// with an optional number), then -rN. A number after a '.' that starts with '0' compares
// as a decimal fraction (1.01 < 1.1), as apk does. An invalid version is an error.
//
// This is apk-tools 2's algorithm (src/version.c), quirks included: "1.0_rc1" sorts after
// "1.0" because a zero component followed by a suffix leaves an empty number token behind,
// which Trivy's and Grype's ports of it share. Checked against apk-tools' test/version.data.

#include "vuln/versions/scheme.h"
#include "vuln/versions/text.h"

namespace bulkhead::vuln::versions {
namespace {

constexpr std::string_view kName = "apk";

// Token kinds in apk-tools' order (the order decides which of two versions is longer).
enum Kind { kInvalid = -1, kDigitOrZero, kDigit, kLetter, kSuffix, kSuffixNumber, kRevision, kEnd };

// A token's value: a digit run, or a small number (letter, suffix rank, minus the count of
// leading zeros).
struct Value {
  std::string_view digits;
  int small = 0;
  bool isDigits = false;
};

int compareValues(const Value& a, const Value& b) {
  if (a.isDigits && b.isDigits) return compareDigits(a.digits, b.digits);
  if (a.isDigits != b.isDigits) {
    // Only digit runs meet leading-zero counts (<= 0) or 0 here.
    const Value& d = a.isDigits ? a : b;
    const int other = a.isDigits ? b.small : a.small;
    int c = compareDigits(d.digits, "");  // digit run vs 0
    if (c == 0) c = other < 0 ? 1 : (other > 0 ? -1 : 0);
    return a.isDigits ? c : -c;
  }
  return sign(a.small - b.small);
}

constexpr std::string_view kPreSuffixes[] = {"alpha", "beta", "pre", "rc"};
constexpr std::string_view kPostSuffixes[] = {"cvs", "svn", "git", "hg", "p"};

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view s) : s_(s) {}
  Kind kind = kDigit;

  // The token's kind follows from what came before it (apk-tools' next_token).
  void advanceKind() {
    Kind n = kInvalid;
    if (s_.empty()) {
      n = kEnd;
    } else if ((kind == kDigit || kind == kDigitOrZero) && isLower(s_[0])) {
      n = kLetter;
    } else if (kind == kLetter && isDigit(s_[0])) {
      n = kDigit;
    } else if (kind == kSuffix && isDigit(s_[0])) {
      n = kSuffixNumber;
    } else {
      switch (s_[0]) {
        case '.': n = kDigitOrZero; break;
        case '_': n = kSuffix; break;
        case '-':
          if (s_.size() > 1 && s_[1] == 'r') {
            n = kRevision;
            s_.remove_prefix(1);
          }
          break;
        default: break;
      }
      s_.remove_prefix(1);
    }
    if (n < kind && n != kInvalid) {
      if (!((n == kDigitOrZero && kind == kDigit) || (n == kSuffix && kind == kSuffixNumber) ||
            (n == kDigit && kind == kLetter))) {
        n = kInvalid;
      }
    }
    kind = n;
  }

  // apk-tools' get_token: the value of the token of `kind` here; then the next kind.
  Value take() {
    Value v;
    if (s_.empty()) {
      kind = kEnd;
      return v;
    }
    size_t i = 0;
    Kind next = kInvalid;
    switch (kind) {
      case kDigitOrZero:
        if (s_[0] == '0') {
          while (i < s_.size() && s_[i] == '0') ++i;
          next = kDigit;
          v.small = -static_cast<int>(i);
          break;
        }
        [[fallthrough]];
      case kDigit:
      case kSuffixNumber:
      case kRevision:
        while (i < s_.size() && isDigit(s_[i])) ++i;
        v.digits = s_.substr(0, i);
        v.isDigits = true;
        break;
      case kLetter:
        v.small = static_cast<unsigned char>(s_[0]);
        i = 1;
        break;
      case kSuffix: {
        bool found = false;
        for (size_t k = 0; k < 4 && !found; ++k) {
          if (s_.substr(0, kPreSuffixes[k].size()) == kPreSuffixes[k]) {
            i = kPreSuffixes[k].size();
            v.small = static_cast<int>(k) - 4;
            found = true;
          }
        }
        for (size_t k = 0; k < 5 && !found; ++k) {
          if (s_.substr(0, kPostSuffixes[k].size()) == kPostSuffixes[k]) {
            i = kPostSuffixes[k].size();
            v.small = static_cast<int>(k);
            found = true;
          }
        }
        if (!found) {
          kind = kInvalid;
          return v;
        }
        break;
      }
      default:
        kind = kInvalid;
        return v;
    }
    s_.remove_prefix(i);
    if (s_.empty()) kind = kEnd;
    else if (next != kInvalid) kind = next;
    else advanceKind();
    return v;
  }

 private:
  std::string_view s_;
};

bool valid(std::string_view v) {
  if (v.empty() || !isDigit(v[0])) return false;
  Tokenizer t(v);
  while (t.kind != kEnd && t.kind != kInvalid) t.take();
  return t.kind == kEnd;
}

int compareValid(std::string_view a, std::string_view b) {
  Tokenizer ta(a), tb(b);
  Value va, vb;
  while (ta.kind == tb.kind && ta.kind != kEnd && ta.kind != kInvalid && compareValues(va, vb) == 0) {
    va = ta.take();
    vb = tb.take();
  }
  if (int c = compareValues(va, vb)) return c;
  if (ta.kind == tb.kind) return 0;
  // Equal so far: the longer one is newer, unless what it has more is a prerelease suffix.
  if (ta.kind == kSuffix) {
    Tokenizer peek = ta;
    if (peek.take().small < 0) return -1;
  }
  if (tb.kind == kSuffix) {
    Tokenizer peek = tb;
    if (peek.take().small < 0) return 1;
  }
  return ta.kind > tb.kind ? -1 : 1;
}

class ApkScheme final : public VersionScheme {
 public:
  std::string_view name() const override { return kName; }

  Result<int> compare(std::string_view a, std::string_view b) const override {
    BH_TRY_STATUS(validate(a));
    BH_TRY_STATUS(validate(b));
    return compareValid(a, b);
  }

  Status validate(std::string_view v) const override {
    BH_TRY_STATUS(checkBounds(kName, v));
    if (!valid(v)) return versionError(kName, v, "not an apk version (1.2.3[a][_suffixN]...[-rN])");
    return {};
  }
};

}  // namespace

const VersionScheme& apkScheme() {
  static const ApkScheme scheme;
  return scheme;
}

}  // namespace bulkhead::vuln::versions
