#pragma once
// Helpers shared by the version schemes (internal to src/vuln/versions/).

#include <cstring>
#include <string_view>

#include "core/result.h"
#include "vuln/versions/scheme.h"

namespace bulkhead::vuln::versions {

inline bool isDigit(char c) { return c >= '0' && c <= '9'; }
inline bool isLower(char c) { return c >= 'a' && c <= 'z'; }
inline bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool isAlpha(char c) { return isLower(c) || isUpper(c); }
inline bool isAlnum(char c) { return isDigit(c) || isAlpha(c); }
inline char toLower(char c) { return isUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

inline int sign(int v) { return (v > 0) - (v < 0); }

// Numeric order of two runs of ASCII digits of any length: leading zeros stripped, then
// the longer run is larger, then bytewise.
inline int compareDigits(std::string_view a, std::string_view b) {
  while (!a.empty() && a.front() == '0') a.remove_prefix(1);
  while (!b.empty() && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  if (a.empty()) return 0;
  return sign(std::memcmp(a.data(), b.data(), a.size()));
}

inline int compareBytes(std::string_view a, std::string_view b) { return sign(a.compare(b)); }

inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (toLower(a[i]) != toLower(b[i])) return false;
  }
  return true;
}

inline bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && equalsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

inline bool allDigits(std::string_view s) {
  for (char c : s) {
    if (!isDigit(c)) return false;
  }
  return !s.empty();
}

// The version as an error message shows it: bounded, control bytes escaped.
std::string quoteVersion(std::string_view v);

// Error for `scheme` version v: `<scheme> version "<v>": <what>`.
template <typename... Args>
Error versionError(std::string_view scheme, std::string_view v, fmt::format_string<Args...> what, Args&&... args) {
  return Error{fmt::format("{} version {}: {}", scheme, quoteVersion(v),
                           fmt::format(what, std::forward<Args>(args)...))};
}

// Length and NUL-byte checks every scheme starts with.
Status checkBounds(std::string_view scheme, std::string_view v);

}  // namespace bulkhead::vuln::versions
