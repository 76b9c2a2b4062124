#include "vuln/affected.h"

#include <algorithm>

namespace bulkhead::vuln {
namespace {

struct Event {
  enum Kind { kIntroduced, kFixed, kLastAffected, kLimit } kind;
  std::string_view version;  // empty: introduced "0", below everything
};

// The version an event carries, and its kind.
Event eventOf(const RangeEvent& e) {
  // Views into `e`, never into a temporary: `cond ? "" : e.introduced` would be a string.
  if (!e.introduced.empty()) {
    return {Event::kIntroduced, e.introduced == "0" ? std::string_view() : std::string_view(e.introduced)};
  }
  if (!e.fixed.empty()) return {Event::kFixed, e.fixed};
  if (!e.lastAffected.empty()) return {Event::kLastAffected, e.lastAffected};
  return {Event::kLimit, e.limit};
}

}  // namespace

Result<bool> inEventRange(const std::vector<RangeEvent>& events, std::string_view version,
                          const VersionScheme& scheme) {
  // Compare each event with the version once; sorting the events is then only needed
  // among those at or below the version, where the highest decides.
  bool affected = false;
  std::string_view highest;  // the version of the deciding event so far
  bool haveHighest = false;
  for (const auto& raw : events) {
    const Event e = eventOf(raw);
    if (e.kind == Event::kLimit) {
      if (e.version.empty() || e.version == "*") continue;
      auto c = scheme.compare(version, e.version);
      if (!c) return c.error();
      if (*c >= 0) return false;  // at or above a limit: outside the range
      continue;
    }
    int atOrBelow = 0;  // compare(version, event)
    if (!e.version.empty()) {
      auto c = scheme.compare(version, e.version);
      if (!c) return c.error();
      atOrBelow = *c;
    } else {
      atOrBelow = 1;  // introduced "0"
    }
    // An event applies when the version is at or above it; last_affected ends the range
    // only above it.
    const bool applies = e.kind == Event::kLastAffected ? atOrBelow > 0 : atOrBelow >= 0;
    if (!applies) continue;
    // Among applying events, the one with the highest version decides; at equal versions a
    // fix or end wins over an introduction (OSV sorts introduced first).
    int order = 1;
    if (haveHighest) {
      if (e.version.empty() || highest.empty()) {
        order = e.version.empty() ? (highest.empty() ? 0 : -1) : 1;
      } else {
        auto c = scheme.compare(e.version, highest);
        if (!c) return c.error();
        order = *c;
      }
    }
    const bool ends = e.kind != Event::kIntroduced;
    if (order > 0 || (order == 0 && ends)) {
      highest = e.version;
      haveHighest = true;
      affected = !ends;
    }
  }
  return affected;
}

Result<bool> isAffected(const Affected& entry, std::string_view version, const VersionScheme& scheme) {
  if (entry.status == affected_status::kNotAffected) return false;
  if (entry.rangeType == range_type::kDistro) {
    if (entry.status == affected_status::kUnfixed || entry.status == affected_status::kEndOfLife) {
      return true;
    }
    for (const auto& e : entry.events) {
      if (e.fixed.empty()) continue;
      auto c = scheme.compare(version, e.fixed);
      if (!c) return c.error();
      return *c < 0;
    }
    return false;
  }
  if (entry.rangeType == range_type::kNpmRange) {
    if (entry.vulnerableRange.empty()) return false;
    auto vulnerable = satisfiesNpmRange(entry.vulnerableRange, version);
    if (!vulnerable) return vulnerable.error();
    if (!*vulnerable) return false;
    if (entry.patchedRange.empty()) return true;
    auto patched = satisfiesNpmRange(entry.patchedRange, version);
    if (!patched) return patched.error();
    return !*patched;
  }
  for (const auto& listed : entry.versions) {
    auto c = scheme.compare(version, listed);
    if (c && *c == 0) return true;
  }
  if (entry.events.empty()) return false;
  return inEventRange(entry.events, version, scheme);
}

}  // namespace bulkhead::vuln
