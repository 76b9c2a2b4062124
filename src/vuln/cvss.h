#pragma once
// CVSS base scores from vector strings: v3.0 and v3.1 by the specification's formulas
// (with v3.1's Roundup), v2 by the v2 guide's base equation. Used for severity where a feed
// carries a vector; the feed's own rating is kept beside it.

#include <string>
#include <string_view>

#include "core/result.h"

namespace bulkhead::vuln {

struct CvssScore {
  int major = 0;     // 2 or 3
  int minor = 0;     // 3.0 / 3.1; 0 for v2
  double base = -1;  // 0.0 .. 10.0
};

// "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" or a v2 vector
// ("AV:N/AC:L/Au:N/C:P/I:P/A:P", optionally "(...)" or "CVSS:2.0/" prefixed). Every base
// metric exactly once; unknown metrics or values are errors; temporal/environmental
// metrics are accepted and ignored. v4 vectors are an error ("unscored").
Result<CvssScore> cvssBaseScore(std::string_view vector);

// CVSS v3 qualitative rating: "none", "low", "medium", "high", "critical" ("" for < 0).
std::string severityOfScore(double score);

// v3.1 Roundup: the smallest number with one decimal that is >= value.
double cvssRoundUp(double value);

}  // namespace bulkhead::vuln
