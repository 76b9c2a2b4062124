// PEP 440 versions (packaging.version.Version): epoch, release, pre/post/dev releases and
// local versions, with the spellings PEP 440 normalises (alpha, c, preview, rev, '-1', any
// of '-_.' as separator, upper case, a leading 'v', surrounding white space).

#include "vuln/versions/pep440.h"
#include "vuln/versions/scheme.h"
#include "vuln/versions/text.h"

namespace bulkhead::vuln::versions {
namespace {

constexpr std::string_view kName = "pep440";

bool isSep(char c) { return c == '-' || c == '_' || c == '.'; }

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  char peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
  size_t pos() const { return pos_; }
  void reset(size_t p) { pos_ = p; }
  void skipSep() {
    if (isSep(peek())) ++pos_;
  }
  std::string_view digits() {
    const size_t start = pos_;
    while (isDigit(peek())) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  // Consumes the first of `words` (case-insensitive) found here; returns its index or -1.
  template <size_t N>
  int keyword(const std::string_view (&words)[N]) {
    for (size_t i = 0; i < N; ++i) {
      if (startsWithIgnoreCase(s_.substr(pos_), words[i])) {
        pos_ += words[i].size();
        return static_cast<int>(i);
      }
    }
    return -1;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// Order of the 3-way keys of packaging's _cmpkey.
int compareOptionalNumber(bool hasA, std::string_view a, bool hasB, std::string_view b) {
  if (hasA != hasB) return hasA ? 1 : -1;
  return hasA ? compareDigits(a, b) : 0;
}

// Next local segment from `s` at `i` (segments separated by -_.).
std::string_view nextSegment(std::string_view s, size_t& i) {
  const size_t start = i;
  while (i < s.size() && !isSep(s[i])) ++i;
  std::string_view seg = s.substr(start, i - start);
  if (i < s.size()) ++i;
  return seg;
}

int compareLocal(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return a.empty() == b.empty() ? 0 : (a.empty() ? -1 : 1);
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const std::string_view x = nextSegment(a, i), y = nextSegment(b, j);
    const bool nx = allDigits(x), ny = allDigits(y);
    int c = 0;
    if (nx && ny) {
      c = compareDigits(x, y);
    } else if (nx != ny) {
      c = nx ? 1 : -1;
    } else {
      for (size_t k = 0; k < x.size() && k < y.size() && c == 0; ++k) c = sign(toLower(x[k]) - toLower(y[k]));
      if (c == 0 && x.size() != y.size()) c = x.size() < y.size() ? -1 : 1;
    }
    if (c != 0) return c;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

}  // namespace

Result<Pep440> parsePep440(std::string_view v) {
  BH_TRY_STATUS(checkBounds(kName, v));
  std::string_view s = v;
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  Cursor c(s);
  Pep440 out;
  if (c.peek() == 'v' || c.peek() == 'V') c.reset(1);
  {
    const size_t start = c.pos();
    const std::string_view epoch = c.digits();
    if (!epoch.empty() && c.peek() == '!') {
      out.epoch = epoch;
      c.reset(c.pos() + 1);
    } else {
      c.reset(start);
    }
  }
  {
    const size_t start = c.pos();
    if (c.digits().empty()) return versionError(kName, v, "no release number");
    while (c.peek() == '.' && isDigit(c.peek(1))) {
      c.reset(c.pos() + 1);
      c.digits();
    }
    out.release = s.substr(start, c.pos() - start);
  }
  {
    const size_t start = c.pos();
    c.skipSep();
    static constexpr std::string_view kPre[] = {"alpha", "a", "beta", "b", "preview", "pre", "c", "rc"};
    static constexpr int kPreKind[] = {1, 1, 2, 2, 3, 3, 3, 3};
    const int k = c.keyword(kPre);
    if (k >= 0) {
      out.pre = kPreKind[k];
      c.skipSep();
      out.preNumber = c.digits();
    } else {
      c.reset(start);
    }
  }
  {
    const size_t start = c.pos();
    if (c.peek() == '-' && isDigit(c.peek(1))) {
      c.reset(start + 1);
      out.post = true;
      out.postNumber = c.digits();
    } else {
      c.skipSep();
      static constexpr std::string_view kPost[] = {"post", "rev", "r"};
      if (c.keyword(kPost) >= 0) {
        out.post = true;
        c.skipSep();
        out.postNumber = c.digits();
      } else {
        c.reset(start);
      }
    }
  }
  {
    const size_t start = c.pos();
    c.skipSep();
    static constexpr std::string_view kDev[] = {"dev"};
    if (c.keyword(kDev) >= 0) {
      out.dev = true;
      c.skipSep();
      out.devNumber = c.digits();
    } else {
      c.reset(start);
    }
  }
  if (c.peek() == '+') {
    const size_t start = c.pos() + 1;
    c.reset(start);
    bool needAlnum = true;
    while (!c.done()) {
      const char ch = c.peek();
      if (isAlnum(ch)) {
        needAlnum = false;
      } else if (isSep(ch) && !needAlnum) {
        needAlnum = true;
      } else {
        break;
      }
      c.reset(c.pos() + 1);
    }
    if (needAlnum) return versionError(kName, v, "invalid local version");
    out.local = s.substr(start, c.pos() - start);
  }
  if (!c.done()) return versionError(kName, v, "unexpected text at offset {}", c.pos());
  return out;
}

int compareRelease(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    std::string_view x, y;
    if (i < a.size()) x = nextSegment(a, i);
    if (j < b.size()) y = nextSegment(b, j);
    if (int c = compareDigits(x, y)) return c;  // a missing segment is 0
  }
  return 0;
}

int comparePep440(const Pep440& a, const Pep440& b) {
  if (int c = compareDigits(a.epoch, b.epoch)) return c;
  if (int c = compareRelease(a.release, b.release)) return c;
  // Pre: a dev-only release sorts before any prerelease; no prerelease after all of them.
  auto preRank = [](const Pep440& v) { return v.pre != 0 ? v.pre : (!v.post && v.dev ? 0 : 4); };
  const int ra = preRank(a), rb = preRank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (a.pre != 0) {
    if (int c = compareDigits(a.preNumber, b.preNumber)) return c;
  }
  if (int c = compareOptionalNumber(a.post, a.postNumber, b.post, b.postNumber)) return c;
  if (a.dev != b.dev) return a.dev ? -1 : 1;  // no dev release sorts after all of them
  if (a.dev) {
    if (int c = compareDigits(a.devNumber, b.devNumber)) return c;
  }
  return compareLocal(a.local, b.local);
}

namespace {

void appendNumber(std::string& out, std::string_view digits) {
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  out += digits.empty() ? std::string_view("0") : digits;
}

}  // namespace

std::string normalizePep440(const Pep440& v, bool stripTrailingZeros, bool withLocal) {
  std::string out;
  if (compareDigits(v.epoch, "0") != 0) {
    appendNumber(out, v.epoch);
    out += '!';
  }
  size_t i = 0;
  const size_t releaseStart = out.size();
  bool first = true;
  while (i < v.release.size()) {
    if (!first) out += '.';
    first = false;
    appendNumber(out, nextSegment(v.release, i));
  }
  if (stripTrailingZeros) {
    while (out.size() >= releaseStart + 2 && out.compare(out.size() - 2, 2, ".0") == 0) out.resize(out.size() - 2);
  }
  if (v.pre != 0) {
    out += v.pre == 1 ? "a" : v.pre == 2 ? "b" : "rc";
    appendNumber(out, v.preNumber);
  }
  if (v.post) {
    out += ".post";
    appendNumber(out, v.postNumber);
  }
  if (v.dev) {
    out += ".dev";
    appendNumber(out, v.devNumber);
  }
  if (withLocal && !v.local.empty()) {
    out += '+';
    size_t k = 0;
    bool firstLocal = true;
    while (k < v.local.size()) {
      if (!firstLocal) out += '.';
      firstLocal = false;
      const std::string_view seg = nextSegment(v.local, k);
      if (allDigits(seg)) {
        appendNumber(out, seg);
      } else {
        for (char ch : seg) out += toLower(ch);
      }
    }
  }
  return out;
}

namespace {

class Pep440Scheme final : public VersionScheme {
 public:
  std::string_view name() const override { return kName; }

  Result<int> compare(std::string_view a, std::string_view b) const override {
    auto va = parsePep440(a);
    if (!va) return std::move(va).error();
    auto vb = parsePep440(b);
    if (!vb) return std::move(vb).error();
    return comparePep440(*va, *vb);
  }

  Status validate(std::string_view v) const override {
    auto parsed = parsePep440(v);
    if (!parsed) return std::move(parsed).error();
    return {};
  }
};

}  // namespace

const VersionScheme& pep440Scheme() {
  static const Pep440Scheme scheme;
  return scheme;
}

}  // namespace bulkhead::vuln::versions
