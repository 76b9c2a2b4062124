// Maven versions ordered as Maven 3.8's ComparableVersion: items split at '.', '-' and
// digit/letter changes; '-', a digit/letter change and a qualifier after '.' that is
// followed by digits or ends the version open a nested list; qualifiers
// alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp < any
// other (alphabetically); a1/b1/m1 mean alpha-1/beta-1/milestone-1; trailing zeros and
// release qualifiers of each list do not count.
//
// The nested lists of ComparableVersion always form a chain (each new list is the last
// item of the previous one), so a version is held flat: items and where each list starts.

#include <array>
#include <cstdint>

#include "vuln/versions/scheme.h"
#include "vuln/versions/text.h"

namespace bulkhead::vuln::versions {
namespace {

constexpr std::string_view kName = "maven";

// Trivial types, so that the arrays below are not initialised on every comparison.
struct Item {
  const char* data;  // digits without leading zeros, or the qualifier as written
  uint16_t size;
  bool numeric;
  bool followedByDigit;
  std::string_view text() const { return {data, size}; }
};

struct Level {
  uint16_t begin, end;
};

struct MavenVersion {
  std::array<Item, kMaxVersionLength + 1> items;
  std::array<Level, kMaxVersionLength + 2> levels;
  size_t itemCount = 0;
  size_t levelCount = 1;
};

constexpr std::string_view kQualifiers[] = {"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"};
constexpr int kRelease = 5;
constexpr int kUnknown = 7;

// Index in kQualifiers after the aliases, or kUnknown.
int qualifierIndex(const Item& item) {
  std::string_view q = item.text();
  if (item.followedByDigit && q.size() == 1) {
    switch (toLower(q[0])) {
      case 'a': return 0;
      case 'b': return 1;
      case 'm': return 2;
      default: break;
    }
  }
  if (equalsIgnoreCase(q, "ga") || equalsIgnoreCase(q, "final") || equalsIgnoreCase(q, "release")) return kRelease;
  if (equalsIgnoreCase(q, "cr")) return 3;
  for (int i = 0; i < 7; ++i) {
    if (equalsIgnoreCase(q, kQualifiers[i])) return i;
  }
  return kUnknown;
}

int compareQualifiers(const Item& a, const Item& b) {
  const int ia = qualifierIndex(a), ib = qualifierIndex(b);
  if (ia != ib) return ia < ib ? -1 : 1;
  if (ia != kUnknown) return 0;
  for (size_t k = 0; k < a.text().size() && k < b.text().size(); ++k) {
    if (int c = sign(toLower(a.data[k]) - toLower(b.data[k]))) return c;
  }
  return a.text().size() == b.text().size() ? 0 : (a.text().size() < b.text().size() ? -1 : 1);
}

bool isNull(const Item& item) {
  return item.numeric ? item.size == 0 : qualifierIndex(item) == kRelease;
}

void add(MavenVersion& v, std::string_view text, bool numeric, bool followedByDigit) {
  if (numeric) {
    while (!text.empty() && text.front() == '0') text.remove_prefix(1);
  }
  v.items[v.itemCount++] = Item{text.data(), static_cast<uint16_t>(text.size()), numeric, followedByDigit};
  v.levels[v.levelCount - 1].end = static_cast<uint16_t>(v.itemCount);
}

void openList(MavenVersion& v) {
  v.levels[v.levelCount] = Level{static_cast<uint16_t>(v.itemCount), static_cast<uint16_t>(v.itemCount)};
  ++v.levelCount;
}

bool currentListEmpty(const MavenVersion& v) {
  const Level& level = v.levels[v.levelCount - 1];
  return level.end == level.begin;
}

void parse(std::string_view s, MavenVersion& v) {
  v.itemCount = 0;
  v.levelCount = 1;
  v.levels[0] = Level{0, 0};
  bool digit = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.' || c == '-') {
      if (i == start) add(v, "", true, false);
      else add(v, s.substr(start, i - start), digit, false);
      start = i + 1;
      if (c == '-') openList(v);
    } else if (isDigit(c)) {
      if (!digit && i > start) {
        if (!currentListEmpty(v)) openList(v);  // ".X1" reads as "-X1"
        add(v, s.substr(start, i - start), false, true);
        start = i;
        openList(v);
      }
      digit = true;
    } else {
      if (digit && i > start) {
        add(v, s.substr(start, i - start), true, false);
        start = i;
        openList(v);
      }
      digit = false;
    }
  }
  if (s.size() > start) {
    if (!digit && !currentListEmpty(v)) openList(v);  // a trailing ".X" reads as "-X"
    add(v, s.substr(start), digit, false);
  }
  // normalize(), innermost list first: trailing null items go, then empty lists.
  for (size_t l = v.levelCount; l-- > 0;) {
    Level& level = v.levels[l];
    while (level.end > level.begin && isNull(v.items[level.end - 1])) --level.end;
    if (l + 1 == v.levelCount && l > 0 && level.end == level.begin) --v.levelCount;
  }
}

// An element of list `level`: a scalar item, the nested list, or nothing.
struct Element {
  enum Kind { kNone, kScalar, kList } kind = kNone;
  const Item* item = nullptr;
  size_t level = 0;
};

Element element(const MavenVersion& v, size_t level, size_t index) {
  const Level& l = v.levels[level];
  const size_t scalars = l.end - l.begin;
  if (index < scalars) return {Element::kScalar, &v.items[l.begin + index], level};
  if (index == scalars && level + 1 < v.levelCount) return {Element::kList, nullptr, level + 1};
  return {};
}

int compareWithNothing(const MavenVersion& v, const Element& e);

int listWithNothing(const MavenVersion& v, size_t level) {
  for (size_t i = 0;; ++i) {
    const Element e = element(v, level, i);
    if (e.kind == Element::kNone) return 0;
    if (int c = compareWithNothing(v, e)) return c;
  }
}

int compareWithNothing(const MavenVersion& v, const Element& e) {
  if (e.kind == Element::kList) return listWithNothing(v, e.level);
  if (e.item->numeric) return e.item->size == 0 ? 0 : 1;
  const int q = qualifierIndex(*e.item);
  return q == kRelease ? 0 : (q < kRelease ? -1 : 1);
}

int compareLists(const MavenVersion& a, size_t la, const MavenVersion& b, size_t lb);

int compareElements(const MavenVersion& a, const Element& x, const MavenVersion& b, const Element& y) {
  if (x.kind == Element::kNone) return y.kind == Element::kNone ? 0 : -compareWithNothing(b, y);
  if (y.kind == Element::kNone) return compareWithNothing(a, x);
  if (x.kind == Element::kList && y.kind == Element::kList) return compareLists(a, x.level, b, y.level);
  if (x.kind == Element::kList) return y.item->numeric ? -1 : 1;
  if (y.kind == Element::kList) return x.item->numeric ? 1 : -1;
  if (x.item->numeric && y.item->numeric) return compareDigits(x.item->text(), y.item->text());
  if (x.item->numeric != y.item->numeric) return x.item->numeric ? 1 : -1;
  return compareQualifiers(*x.item, *y.item);
}

int compareLists(const MavenVersion& a, size_t la, const MavenVersion& b, size_t lb) {
  for (size_t i = 0;; ++i) {
    const Element x = element(a, la, i), y = element(b, lb, i);
    if (x.kind == Element::kNone && y.kind == Element::kNone) return 0;
    if (int c = compareElements(a, x, b, y)) return c;
  }
}

class MavenScheme final : public VersionScheme {
 public:
  std::string_view name() const override { return kName; }

  Result<int> compare(std::string_view a, std::string_view b) const override {
    BH_TRY_STATUS(validate(a));
    BH_TRY_STATUS(validate(b));
    MavenVersion va, vb;
    parse(a, va);
    parse(b, vb);
    return compareLists(va, 0, vb, 0);
  }

  Status validate(std::string_view v) const override {
    BH_TRY_STATUS(checkBounds(kName, v));
    if (v.empty()) return versionError(kName, v, "empty");
    for (char c : v) {
      if (isSpace(c) || static_cast<unsigned char>(c) < 0x20) {
        return versionError(kName, v, "white space or control character");
      }
    }
    return {};
  }
};

}  // namespace

const VersionScheme& mavenScheme() {
  static const MavenScheme scheme;
  return scheme;
}

}  // namespace bulkhead::vuln::versions
