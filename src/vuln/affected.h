#pragma once
// Whether one version of a package falls in one affected entry of an advisory: OSV event
// ranges (introduced / fixed / last_affected / limit), explicit version lists, npm range
// strings, and distro fixed versions per release.

#include <string_view>

#include "core/result.h"
#include "vuln/db/advisory.h"
#include "vuln/versions/scheme.h"

namespace bulkhead::vuln {

// `scheme` orders versions of the entry's ecosystem. An error means the entry cannot be
// judged for this version (a version either side does not parse); the caller reports it.
Result<bool> isAffected(const Affected& entry, std::string_view version, const VersionScheme& scheme);

// OSV's evaluation of one range: events sorted by version ("0" first); the version is
// affected when the last event at or below it introduces, and no last_affected below it or
// limit at or below it ends the range.
Result<bool> inEventRange(const std::vector<RangeEvent>& events, std::string_view version,
                          const VersionScheme& scheme);

}  // namespace bulkhead::vuln
