// PEP 440 specifier sets evaluated as python3-packaging 23's
// SpecifierSet(spec).contains(version): every comma-separated specifier must match;
// prereleases match only when some specifier (==, >=, <=, ~=, ===) names one; `<V` does
// not match prereleases of V, `>V` neither post-releases nor local versions of V. Prefix
// matching (`==1.2.*`, `~=`) follows packaging's string-based algorithm, quirks included,
// and only that path allocates.

#include <string>
#include <vector>

#include "vuln/versions/pep440.h"
#include "vuln/versions/scheme.h"
#include "vuln/versions/text.h"

namespace bulkhead::vuln {
namespace {

using namespace versions;

enum class Op { kCompatible, kEqual, kNotEqual, kLessEqual, kGreaterEqual, kLess, kGreater, kArbitrary };

struct Spec {
  Op op = Op::kEqual;
  std::string_view text;  // the version text, stripped
  bool wildcard = false;  // ==/!= ending in ".*"
  Pep440 version;         // text parsed (without ".*")
};

std::string_view stripSpaces(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

Error invalidSpec(std::string_view set, std::string_view spec, std::string_view why) {
  return makeError("PEP 440 specifier {} in {}: {}", quoteVersion(spec), quoteVersion(set), why);
}

// v?(N!)?N(.N)* exactly.
bool plainRelease(std::string_view s, size_t& components) {
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  size_t k = 0;
  while (k < s.size() && isDigit(s[k])) ++k;
  if (k > 0 && k < s.size() && s[k] == '!') s.remove_prefix(k + 1);
  components = 0;
  size_t i = 0;
  while (true) {
    const size_t start = i;
    while (i < s.size() && isDigit(s[i])) ++i;
    if (i == start) return false;
    ++components;
    if (i == s.size()) return true;
    if (s[i] != '.') return false;
    ++i;
  }
}

Result<Spec> parseSpec(std::string_view set, std::string_view raw) {
  static constexpr std::pair<std::string_view, Op> kOps[] = {
      {"===", Op::kArbitrary}, {"~=", Op::kCompatible}, {"==", Op::kEqual},  {"!=", Op::kNotEqual},
      {"<=", Op::kLessEqual},  {">=", Op::kGreaterEqual}, {"<", Op::kLess}, {">", Op::kGreater}};
  Spec spec;
  std::string_view s = stripSpaces(raw);
  bool found = false;
  for (const auto& [text, op] : kOps) {
    if (s.substr(0, text.size()) == text) {
      spec.op = op;
      s.remove_prefix(text.size());
      found = true;
      break;
    }
  }
  if (!found) return invalidSpec(set, raw, "no operator (~=, ==, !=, <=, >=, <, >, ===)");
  s = stripSpaces(s);
  spec.text = s;
  if (spec.op == Op::kArbitrary) {
    for (char c : s) {
      if (isSpace(c) || c == ';' || c == ')') return invalidSpec(set, raw, "invalid arbitrary version");
    }
    // packaging parses it as a Version to decide about prereleases, and fails if it is not.
    auto v = parsePep440(s);
    if (!v) return invalidSpec(set, raw, "not a PEP 440 version");
    spec.version = *v;
    return spec;
  }
  for (char c : s) {
    if (isSpace(c)) return invalidSpec(set, raw, "white space in the version");
  }
  if ((spec.op == Op::kEqual || spec.op == Op::kNotEqual) && s.size() >= 2 && s.substr(s.size() - 2) == ".*") {
    size_t components = 0;
    if (!plainRelease(s.substr(0, s.size() - 2), components)) {
      return invalidSpec(set, raw, "a prefix match (.*) takes a plain release");
    }
    spec.wildcard = true;
    auto v = parsePep440(s.substr(0, s.size() - 2));
    if (!v) return std::move(v).error();
    spec.version = *v;
    return spec;
  }
  auto v = parsePep440(s);
  if (!v) return invalidSpec(set, raw, "not a PEP 440 version");
  spec.version = *v;
  if (!v->local.empty() && spec.op != Op::kEqual && spec.op != Op::kNotEqual) {
    return invalidSpec(set, raw, "a local version is allowed with == and != only");
  }
  if (spec.op == Op::kCompatible) {
    size_t dots = 0;
    for (char c : v->release) dots += c == '.';
    if (dots == 0) return invalidSpec(set, raw, "~= needs at least two release numbers");
  }
  return spec;
}

// --- packaging's string-based prefix matching -------------------------------------------

// canonicalize_version() of a text: normalised, or the text itself when it is no version.
std::string canonicalText(std::string_view text, bool stripTrailingZeros) {
  auto v = parsePep440(text);
  if (!v) return std::string(text);
  return normalizePep440(*v, stripTrailingZeros, true);
}

// _version_split(): at dots, and "1rc2" into "1", "rc2".
std::vector<std::string> versionSplit(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    const std::string_view item = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    size_t k = 0;
    while (k < item.size() && isDigit(item[k])) ++k;
    std::string_view rest = item.substr(k);
    size_t letters = 0;
    if (rest.substr(0, 2) == "rc") letters = 2;
    else if (!rest.empty() && (rest[0] == 'a' || rest[0] == 'b' || rest[0] == 'c')) letters = 1;
    if (k > 0 && letters > 0 && allDigits(rest.substr(letters))) {
      out.emplace_back(item.substr(0, k));
      out.emplace_back(rest);
    } else {
      out.emplace_back(item);
    }
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

bool isNotSuffix(const std::string& segment) {
  for (std::string_view prefix : {"dev", "a", "b", "rc", "post"}) {
    if (segment.compare(0, prefix.size(), prefix) == 0) return false;
  }
  return true;
}

// _compare_equal() for a spec ending in ".*" (given here without it).
bool prefixMatch(const Pep440& prospective, std::string_view specPrefix) {
  const std::string normalizedProspective = normalizePep440(prospective, true, false);
  const std::string normalizedSpec = canonicalText(specPrefix, false);
  const std::vector<std::string> spec = versionSplit(normalizedSpec);
  std::vector<std::string> left = versionSplit(normalizedProspective);
  auto releaseLength = [](const std::vector<std::string>& items) {
    size_t n = 0;
    while (n < items.size() && allDigits(items[n])) ++n;
    return n;
  };
  const size_t leftRelease = releaseLength(left), rightRelease = releaseLength(spec);
  if (rightRelease > leftRelease) {
    left.insert(left.begin() + static_cast<std::ptrdiff_t>(leftRelease), rightRelease - leftRelease, "0");
  }
  if (left.size() > spec.size()) left.resize(spec.size());
  return left == spec;
}

bool equal(const Pep440& prospective, const Spec& spec) {
  if (spec.wildcard) return prefixMatch(prospective, spec.text.substr(0, spec.text.size() - 2));
  Pep440 p = prospective;
  if (spec.version.local.empty()) p.local = {};
  return comparePep440(p, spec.version) == 0;
}

Pep440 publicOf(const Pep440& v) {
  Pep440 p = v;
  p.local = {};
  return p;
}

Pep440 baseOf(const Pep440& v) {  // Version(v.base_version): epoch and release
  Pep440 p;
  p.epoch = v.epoch;
  p.release = v.release;
  return p;
}

bool compatible(const Pep440& prospective, const Spec& spec) {
  std::vector<std::string> items = versionSplit(spec.text);
  size_t keep = 0;
  while (keep < items.size() && isNotSuffix(items[keep])) ++keep;
  std::string prefix;
  for (size_t i = 0; i + 1 < keep; ++i) {
    if (i > 0) prefix += '.';
    prefix += items[i];
  }
  if (comparePep440(publicOf(prospective), spec.version) < 0) return false;
  return prefixMatch(prospective, prefix);
}

bool matches(const Pep440& prospective, const Spec& spec) {
  switch (spec.op) {
    case Op::kCompatible: return compatible(prospective, spec);
    case Op::kEqual: return equal(prospective, spec);
    case Op::kNotEqual: return !equal(prospective, spec);
    case Op::kLessEqual: return comparePep440(publicOf(prospective), spec.version) <= 0;
    case Op::kGreaterEqual: return comparePep440(publicOf(prospective), spec.version) >= 0;
    case Op::kLess:
      if (comparePep440(prospective, spec.version) >= 0) return false;
      if (!spec.version.isPrerelease() && prospective.isPrerelease() &&
          comparePep440(baseOf(prospective), baseOf(spec.version)) == 0) {
        return false;
      }
      return true;
    case Op::kGreater:
      if (comparePep440(prospective, spec.version) <= 0) return false;
      if (!spec.version.isPostrelease() && prospective.isPostrelease() &&
          comparePep440(baseOf(prospective), baseOf(spec.version)) == 0) {
        return false;
      }
      if (!prospective.local.empty() && comparePep440(baseOf(prospective), baseOf(spec.version)) == 0) {
        return false;
      }
      return true;
    case Op::kArbitrary: {
      const std::string normalized = normalizePep440(prospective, false, true);
      return equalsIgnoreCase(normalized, spec.text);
    }
  }
  return false;
}

// Specifier.prereleases: whether this specifier lets prereleases in.
bool admitsPrereleases(const Spec& spec) {
  switch (spec.op) {
    case Op::kEqual:
    case Op::kGreaterEqual:
    case Op::kLessEqual:
    case Op::kCompatible:
    case Op::kArbitrary:
      return spec.version.isPrerelease();
    default:
      return false;
  }
}

// Calls `each` on every non-empty comma-separated specifier; stops at the first error.
template <typename Each>
Status forEachSpec(std::string_view set, Each each) {
  size_t start = 0;
  while (true) {
    const size_t comma = set.find(',', start);
    const std::string_view raw = set.substr(start, comma == std::string_view::npos ? set.npos : comma - start);
    if (!stripSpaces(raw).empty()) {
      auto spec = parseSpec(set, raw);
      if (!spec) return std::move(spec).error();
      BH_TRY_STATUS(each(*spec));
    }
    if (comma == std::string_view::npos) return {};
    start = comma + 1;
  }
}

}  // namespace

Result<bool> satisfiesPep440(std::string_view specifierSet, std::string_view version) {
  if (specifierSet.size() > kMaxRangeLength) {
    return makeError("PEP 440 specifier set of {} bytes: longer than {}", specifierSet.size(), kMaxRangeLength);
  }
  if (specifierSet.find('\0') != std::string_view::npos) return makeError("PEP 440 specifier set holds a NUL byte");
  auto parsed = parsePep440(version);
  if (!parsed) return std::move(parsed).error();
  bool prereleases = false;
  BH_TRY_STATUS(forEachSpec(specifierSet, [&](const Spec& spec) -> Status {
    prereleases = prereleases || admitsPrereleases(spec);
    return {};
  }));
  if (!prereleases && parsed->isPrerelease()) return false;
  bool all = true;
  BH_TRY_STATUS(forEachSpec(specifierSet, [&](const Spec& spec) -> Status {
    all = all && matches(*parsed, spec);
    return {};
  }));
  return all;
}

}  // namespace bulkhead::vuln
