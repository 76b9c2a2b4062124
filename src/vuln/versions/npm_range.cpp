// npm range strings evaluated as node-semver's satisfies(version, range) with default
// options (semver 7): the range is split at "||", each set is rewritten the way
// node-semver rewrites it (hyphen ranges, then ^, ~ and x-ranges into plain comparators),
// and the version must pass every comparator of one set. A prerelease version passes a set
// only if one of its comparators has a prerelease on the same major.minor.patch.
//
// Evaluated in one pass without allocating: each comparator is tested as it is produced.

#include <cstring>

#include "vuln/versions/scheme.h"
#include "vuln/versions/semver.h"
#include "vuln/versions/text.h"

namespace bulkhead::vuln {
namespace {

using namespace versions;

constexpr SemVerRules kNpmRules{"npm", true, true};

enum class Op { kAny, kEq, kLt, kLe, kGt, kGe };

bool isX(std::string_view id) { return id.empty() || id == "x" || id == "X" || id == "*"; }

// node-semver's XRANGEPLAIN, matched against a whole token:
// [v=]* (N|x|X|*) [. (N|x|X|*) [. (N|x|X|*) [-prerelease] [+build]]]
struct XRange {
  std::string_view prefix;  // the [v=]* run
  std::string_view major, minor, patch;  // empty when absent
  std::string_view prerelease, build;
  std::string_view version;  // the text after the prefix
};

bool xIdentifier(std::string_view& s, std::string_view& out) {
  if (s.empty()) return false;
  if (s[0] == 'x' || s[0] == 'X' || s[0] == '*') {
    out = s.substr(0, 1);
    s.remove_prefix(1);
    return true;
  }
  if (!isDigit(s[0])) return false;
  size_t n = 1;
  if (s[0] != '0') {
    while (n < s.size() && isDigit(s[n])) ++n;
  }
  out = s.substr(0, n);
  s.remove_prefix(n);
  return true;
}

bool parseXRange(std::string_view s, XRange& out) {
  size_t k = 0;
  while (k < s.size() && (s[k] == 'v' || s[k] == '=')) ++k;
  out = XRange{};
  out.prefix = s.substr(0, k);
  s.remove_prefix(k);
  out.version = s;
  if (!xIdentifier(s, out.major)) return false;
  if (s.empty()) return true;
  if (s[0] != '.') return false;
  s.remove_prefix(1);
  if (!xIdentifier(s, out.minor)) return false;
  if (s.empty()) return true;
  if (s[0] != '.') return false;
  s.remove_prefix(1);
  if (!xIdentifier(s, out.patch)) return false;
  if (!s.empty() && s[0] == '-') {
    const size_t plus = s.find('+');
    out.prerelease = s.substr(1, plus == s.npos ? s.npos : plus - 1);
    if (!validPrerelease(out.prerelease)) return false;
    s.remove_prefix(plus == s.npos ? s.size() : plus);
  }
  if (!s.empty() && s[0] == '+') {
    out.build = s.substr(1);
    if (!validBuild(out.build)) return false;
    s = {};
  }
  return s.empty();
}

// A comparator's version; bumped numbers (node-semver's `+M + 1`) live in `digits`.
struct Bound {
  SemVer v;
  char digits[24] = {};
};

constexpr std::string_view kZero = "0";

class SetEvaluator {
 public:
  explicit SetEvaluator(const SemVer& version) : version_(version) {}

  bool passes() const {
    if (!pass_) return false;
    return version_.prerelease.empty() || allowedPrerelease_;
  }
  bool anyOnly() const { return anyOnly_; }
  bool nullSet() const { return nullSet_; }
  const Status& status() const { return status_; }

  void fail(Error error) {
    if (status_) status_ = std::move(error);
  }

  void any() {}

  void add(Op op, const SemVer& bound) {
    if (op == Op::kGe && bound.prerelease.empty() && bound.major == kZero && bound.minor == kZero &&
        bound.patch == kZero && bound.build.empty()) {
      return any();  // replaceGTE0: ">=0.0.0" is "*"
    }
    addExact(op, bound);
  }

  // A comparator as written; not subject to the ">=0.0.0" rewrite.
  void addExact(Op op, const SemVer& bound) {
    anyOnly_ = false;
    if (op == Op::kLt && bound.major == kZero && bound.minor == kZero && bound.patch == kZero &&
        bound.prerelease == kZero) {
      nullSet_ = true;
    }
    const int c = compareSemVer(version_, bound);
    bool ok = false;
    switch (op) {
      case Op::kAny: ok = true; break;
      case Op::kEq: ok = c == 0; break;
      case Op::kLt: ok = c < 0; break;
      case Op::kLe: ok = c <= 0; break;
      case Op::kGt: ok = c > 0; break;
      case Op::kGe: ok = c >= 0; break;
    }
    pass_ = pass_ && ok;
    if (!bound.prerelease.empty() && bound.major == version_.major && bound.minor == version_.minor &&
        bound.patch == version_.patch) {
      allowedPrerelease_ = true;
    }
  }

 private:
  const SemVer& version_;
  bool pass_ = true;
  bool allowedPrerelease_ = false;
  bool anyOnly_ = true;
  bool nullSet_ = false;
  Status status_;
};

// `digits` + 1 into bound.digits; false above 2^53-1 (node-semver throws there).
bool bump(Bound& bound, std::string_view digits, std::string_view& out) {
  if (digits.size() >= sizeof(bound.digits) - 1) return false;
  char* buf = bound.digits;
  const size_t n = digits.size();
  std::memcpy(buf + 1, digits.data(), n);
  buf[0] = '0';
  size_t i = n;
  while (true) {
    if (buf[i] == '9') {
      buf[i] = '0';
      --i;
    } else {
      ++buf[i];
      break;
    }
  }
  out = buf[0] == '0' ? std::string_view(buf + 1, n) : std::string_view(buf, n + 1);
  return validNumber(out, true);
}

SemVer triple(std::string_view major, std::string_view minor, std::string_view patch,
              std::string_view prerelease = {}) {
  return SemVer{major, minor, patch, prerelease, {}};
}

// Numbers from a range must be versions node-semver accepts.
bool numbersOk(const XRange& x) {
  for (std::string_view n : {x.major, x.minor, x.patch}) {
    if (!isX(n) && !validNumber(n, true)) return false;
  }
  return true;
}

class RangeParser {
 public:
  RangeParser(SetEvaluator& set, std::string_view range) : set_(set), range_(range) {}

  Error invalid(std::string_view why) const {
    return makeError("npm range {}: {}", quoteVersion(range_), why);
  }

  // Bound with one number bumped: which = 0 major, 1 minor, 2 patch.
  bool bumped(Bound& b, SemVer base, int which) {
    std::string_view* field = which == 0 ? &base.major : which == 1 ? &base.minor : &base.patch;
    std::string_view out;
    if (!bump(b, *field, out)) {
      set_.fail(invalid("a bound above 2^53-1"));
      return false;
    }
    *field = out;
    b.v = base;
    return true;
  }

  void upper(const SemVer& base, int which, Op op = Op::kLt) {
    Bound b;
    if (bumped(b, base, which)) set_.add(op, b.v);
  }

  void caret(const XRange& x) {
    const auto& M = x.major;
    const auto& m = x.minor;
    const auto& p = x.patch;
    if (isX(M)) return set_.any();
    if (isX(m)) {
      set_.add(Op::kGe, triple(M, kZero, kZero));
      return upper(triple(M, kZero, kZero, kZero), 0);
    }
    if (isX(p)) {
      set_.add(Op::kGe, triple(M, m, kZero));
      if (M == kZero) return upper(triple(M, m, kZero, kZero), 1);
      return upper(triple(M, kZero, kZero, kZero), 0);
    }
    set_.add(Op::kGe, triple(M, m, p, x.prerelease));
    if (M == kZero) {
      if (m == kZero) return upper(triple(M, m, p, kZero), 2);
      return upper(triple(M, m, kZero, kZero), 1);
    }
    upper(triple(M, kZero, kZero, kZero), 0);
  }

  void tilde(const XRange& x) {
    const auto& M = x.major;
    const auto& m = x.minor;
    const auto& p = x.patch;
    if (isX(M)) return set_.any();
    if (isX(m)) {
      set_.add(Op::kGe, triple(M, kZero, kZero));
      return upper(triple(M, kZero, kZero, kZero), 0);
    }
    set_.add(Op::kGe, triple(M, m, isX(p) ? kZero : p, isX(p) ? std::string_view() : x.prerelease));
    upper(triple(M, m, kZero, kZero), 1);
  }

  // Returns false when the token is left as written (no x in it).
  bool xrange(std::string_view gtlt, const XRange& x) {
    const bool xM = isX(x.major);
    const bool xm = xM || isX(x.minor);
    const bool xp = xm || isX(x.patch);
    if (!xp) return false;
    if (gtlt == "=") gtlt = {};
    if (xM) {
      if (gtlt == ">" || gtlt == "<") {
        set_.addExact(Op::kLt, triple(kZero, kZero, kZero, kZero));
      } else {
        set_.any();
      }
      return true;
    }
    const std::string_view M = x.major;
    const std::string_view m = xm ? kZero : x.minor;
    if (!gtlt.empty()) {
      if (gtlt == ">") {
        upper(triple(M, m, kZero), xm ? 0 : 1, Op::kGe);
      } else if (gtlt == "<=") {
        upper(triple(M, xm ? kZero : m, kZero, kZero), xm ? 0 : 1, Op::kLt);
      } else if (gtlt == "<") {
        set_.add(Op::kLt, triple(M, m, kZero, kZero));
      } else {  // ">="
        set_.add(Op::kGe, triple(M, m, kZero));
      }
      return true;
    }
    if (xm) {
      set_.add(Op::kGe, triple(M, kZero, kZero));
      upper(triple(M, kZero, kZero, kZero), 0);
    } else {
      set_.add(Op::kGe, triple(M, m, kZero));
      upper(triple(M, m, kZero, kZero), 1);
    }
    return true;
  }

  // node-semver's Comparator: [<>]?=? then v?MAJOR.MINOR.PATCH[-pre][+build], or "".
  void comparator(std::string_view token, bool gte0Rewrite) {
    if (token.empty()) return set_.any();
    if (gte0Rewrite && token == ">=0.0.0") return set_.any();
    Op op = Op::kEq;
    size_t k = 0;
    if (token[0] == '<' || token[0] == '>') {
      op = token[0] == '<' ? Op::kLt : Op::kGt;
      k = 1;
      if (k < token.size() && token[k] == '=') {
        op = op == Op::kLt ? Op::kLe : Op::kGe;
        ++k;
      }
    } else if (token[0] == '=') {
      k = 1;
    }
    auto v = parseSemVer(token.substr(k), kNpmRules);
    if (!v) return set_.fail(invalid(fmt::format("invalid comparator {}", quoteVersion(token))));
    set_.addExact(op, *v);
  }

  // node-semver's parseComparator on one space-free token, then GTE0 and Comparator.
  void token(std::string_view tok) {
    std::string stripped;  // only when build metadata sits mid-token
    tok = stripBuild(tok, stripped);
    XRange x;
    if (!tok.empty() && tok[0] == '^' && parseXRange(tok.substr(1), x)) {
      if (!numbersOk(x)) return set_.fail(invalid("a number above 2^53-1"));
      return caret(x);
    }
    if (!tok.empty() && tok[0] == '~') {
      const std::string_view rest = tok.substr(tok.size() > 1 && tok[1] == '>' ? 2 : 1);
      if (parseXRange(rest, x)) {
        if (!numbersOk(x)) return set_.fail(invalid("a number above 2^53-1"));
        return tilde(x);
      }
    }
    {
      size_t k = 0;
      if (k < tok.size() && (tok[k] == '<' || tok[k] == '>')) ++k;
      if (k < tok.size() && tok[k] == '=') ++k;
      if (parseXRange(tok.substr(k), x)) {
        if (!numbersOk(x)) return set_.fail(invalid("a number above 2^53-1"));
        if (xrange(tok.substr(0, k), x)) return;
        return comparator(tok, true);
      }
    }
    // replaceStars: the first [<>]?=?* goes.
    const size_t star = tok.find('*');
    if (star != std::string_view::npos) {
      size_t start = star;
      if (start > 0 && tok[start - 1] == '=') --start;
      if (start > 0 && (tok[start - 1] == '<' || tok[start - 1] == '>')) --start;
      std::string rest(tok.substr(0, start));
      rest += tok.substr(star + 1);
      return comparator(rest, true);
    }
    comparator(tok, true);
  }

  // parseComparator's first step: the first +build in the token goes.
  static std::string_view stripBuild(std::string_view tok, std::string& storage) {
    auto ident = [](char c) { return isAlnum(c) || c == '-'; };
    for (size_t i = 0; i + 1 < tok.size(); ++i) {
      if (tok[i] != '+' || !ident(tok[i + 1])) continue;
      size_t e = i + 1;
      while (true) {
        while (e < tok.size() && ident(tok[e])) ++e;
        if (e + 1 < tok.size() && tok[e] == '.' && ident(tok[e + 1])) {
          ++e;
          continue;
        }
        break;
      }
      if (e == tok.size()) return tok.substr(0, i);
      storage.assign(tok.substr(0, i));
      storage += tok.substr(e);
      return storage;
    }
    return tok;
  }

  // `A - B` with A and B x-ranges (node-semver's HYPHENRANGE).
  bool hyphen(std::string_view part) {
    const size_t dash = part.find(" - ");
    if (dash == std::string_view::npos) return false;
    XRange from, to;
    if (!parseXRange(part.substr(0, dash), from) || !parseXRange(part.substr(dash + 3), to)) return false;
    if (!numbersOk(from) || !numbersOk(to)) {
      set_.fail(invalid("a number above 2^53-1"));
      return true;
    }
    if (isX(from.major)) {
      set_.any();
    } else if (isX(from.minor)) {
      set_.add(Op::kGe, triple(from.major, kZero, kZero));
    } else if (isX(from.patch)) {
      set_.add(Op::kGe, triple(from.major, from.minor, kZero));
    } else {
      fullBound(Op::kGe, from);
    }
    if (isX(to.major)) {
      set_.any();
    } else if (isX(to.minor)) {
      upper(triple(to.major, kZero, kZero, kZero), 0);
    } else if (isX(to.patch)) {
      upper(triple(to.major, to.minor, kZero, kZero), 1);
    } else if (!to.prerelease.empty()) {
      set_.add(Op::kLe, triple(to.major, to.minor, to.patch, to.prerelease));
    } else {
      fullBound(Op::kLe, to);
    }
    return true;
  }

  // ">=" or "<=" glued to the text of a full x-range (its prefix included).
  void fullBound(Op op, const XRange& x) {
    if (!x.prefix.empty() && x.prefix != "v") {
      return set_.fail(invalid(fmt::format("invalid comparator prefix {}", quoteVersion(x.prefix))));
    }
    set_.add(op, SemVer{x.major, x.minor, x.patch, x.prerelease, {}});
  }

  // One "||" alternative, already trimmed and with single spaces.
  void part(std::string_view p) {
    if (hyphen(p)) return;
    // COMPARATORTRIM, TILDETRIM, CARETTRIM: an operator token joins the version after it.
    std::string joined;  // only when an operator stands apart
    size_t i = 0;
    while (i <= p.size()) {
      size_t end = p.find(' ', i);
      if (end == std::string_view::npos) end = p.size();
      std::string_view tok = p.substr(i, end - i);
      size_t next = end + 1;
      if (end < p.size() && joinsNext(tok, p.substr(next))) {
        size_t end2 = p.find(' ', next);
        if (end2 == std::string_view::npos) end2 = p.size();
        if (tok == "~>") tok = "~";
        joined.assign(tok);
        joined += p.substr(next, end2 - next);
        tok = joined;
        next = end2 + 1;
      }
      token(tok);
      if (!set_.status()) return;
      i = next;
      if (end >= p.size()) break;
    }
  }

  static bool joinsNext(std::string_view tok, std::string_view rest) {
    if (tok == "~" || tok == "~>" || tok == "^") return true;
    if (!(tok == "<" || tok == ">" || tok == "<=" || tok == ">=" || tok == "=")) return false;
    size_t k = 0;
    while (k < rest.size() && (rest[k] == 'v' || rest[k] == '=')) ++k;
    return k < rest.size() && (isDigit(rest[k]) || rest[k] == 'x' || rest[k] == 'X' || rest[k] == '*');
  }

 private:
  SetEvaluator& set_;
  std::string_view range_;
};

// node-semver's Range constructor: trim, every white-space run to one space.
std::string_view normalizeSpaces(std::string_view range, std::string& storage) {
  while (!range.empty() && isSpace(range.front())) range.remove_prefix(1);
  while (!range.empty() && isSpace(range.back())) range.remove_suffix(1);
  bool clean = true;
  for (size_t i = 0; i < range.size() && clean; ++i) {
    if (isSpace(range[i]) && (range[i] != ' ' || (i + 1 < range.size() && isSpace(range[i + 1])))) clean = false;
  }
  if (clean) return range;
  storage.clear();
  for (size_t i = 0; i < range.size(); ++i) {
    if (isSpace(range[i])) {
      if (storage.empty() || storage.back() != ' ') storage += ' ';
    } else {
      storage += range[i];
    }
  }
  return storage;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

Result<bool> satisfiesNpmRange(std::string_view range, std::string_view version) {
  if (range.size() > kMaxRangeLength) {
    return makeError("npm range of {} bytes: longer than {}", range.size(), kMaxRangeLength);
  }
  if (range.find('\0') != std::string_view::npos) return makeError("npm range holds a NUL byte");
  std::string_view v = version;
  while (!v.empty() && isSpace(v.front())) v.remove_prefix(1);
  while (!v.empty() && isSpace(v.back())) v.remove_suffix(1);
  auto parsed = parseSemVer(v, kNpmRules);
  if (!parsed) return std::move(parsed).error();

  std::string spaces;
  const std::string_view text = normalizeSpaces(range, spaces);
  int nonNullSets = 0;
  bool anyOnlySet = false;
  bool matched = false;
  size_t start = 0;
  while (true) {
    const size_t bar = text.find("||", start);
    const std::string_view p = trim(text.substr(start, bar == std::string_view::npos ? text.npos : bar - start));
    SetEvaluator set(*parsed);
    RangeParser parser(set, range);
    parser.part(p);
    if (!set.status()) return set.status().error();
    if (!set.nullSet()) {
      ++nonNullSets;
      if (set.anyOnly()) anyOnlySet = true;
      if (set.passes()) matched = true;
    }
    if (bar == std::string_view::npos) break;
    start = bar + 2;
  }
  // node-semver: with several sets, one that is just "*" replaces them all.
  if (nonNullSets > 1 && anyOnlySet) return parsed->prerelease.empty();
  return matched;
}

}  // namespace bulkhead::vuln
