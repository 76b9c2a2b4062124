#pragma once
// PEP 440 versions as views into the text (internal to src/vuln/versions/; used by the
// pep440 scheme and the specifier evaluator).

#include <string>
#include <string_view>

#include "core/result.h"

namespace bulkhead::vuln::versions {

struct Pep440 {
  std::string_view epoch;    // digits; empty: 0
  std::string_view release;  // digits and dots, e.g. "1.02.0"
  int pre = 0;               // 0 none, 1 a, 2 b, 3 rc
  std::string_view preNumber;
  bool post = false;
  std::string_view postNumber;
  bool dev = false;
  std::string_view devNumber;
  std::string_view local;    // after '+', separators [-_.]; empty: none

  bool isPrerelease() const { return pre != 0 || dev; }
  bool isPostrelease() const { return post; }
};

Result<Pep440> parsePep440(std::string_view v);
// packaging.version.Version order.
int comparePep440(const Pep440& a, const Pep440& b);
// Release segments only (trailing zeros do not count).
int compareRelease(std::string_view a, std::string_view b);
// str(Version): the normalised form. stripTrailingZeros as canonicalize_version;
// withLocal false gives Version.public.
std::string normalizePep440(const Pep440& v, bool stripTrailingZeros, bool withLocal);

}  // namespace bulkhead::vuln::versions
