#pragma once
// What a user says about findings before the gate: an ignore file (id, package, expiry
// date, reason) and OpenVEX documents (not_affected / fixed statements). A suppressed
// finding leaves the gate and is listed apart with the rule that suppressed it.
//
// Ignore file (YAML or JSON), `.bulkhead-ignore.yaml`:
//   ignore:
//     - id: CVE-2023-26136          # any id of the flaw (CVE, GHSA, GO-, DSA-...)
//       package: tough-cookie        # optional: name, or purl (with or without version)
//       expires: 2027-01-31          # optional: the rule stops applying after this day
//       reason: only used in tests   # required
// A file whose lines are plain ids ("CVE-2023-1234  # reason") is read too, as Trivy's is.

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "sbom/package.h"
#include "vuln/matcher.h"

namespace bulkhead::vuln {

struct IgnoreRule {
  std::string id;
  std::string package;
  std::string expires;  // YYYY-MM-DD, inclusive; empty: never
  std::string reason;
  std::string origin;   // "ignore.yaml: entry 3"
};

struct VexStatement {
  std::vector<std::string> vulnerabilities;  // name and aliases
  std::vector<std::string> products;         // purls (the product and its subcomponents)
  std::string status;                        // not_affected, fixed, affected, under_investigation
  std::string justification;
  std::string origin;  // "vex.json: statement 2"
};

struct Suppressions {
  std::vector<IgnoreRule> rules;
  std::vector<VexStatement> vex;
};

Result<std::vector<IgnoreRule>> parseIgnoreFile(std::string_view text, std::string_view what);
Result<std::vector<VexStatement>> parseOpenVex(std::string_view text, std::string_view what);
Status loadIgnoreFile(const std::string& path, Suppressions& into);
Status loadOpenVex(const std::string& path, Suppressions& into);

// Why a finding is suppressed ("ignore.yaml: entry 3: only used in tests"), or nullopt.
// `today` is YYYY-MM-DD; expired rules do not apply.
std::optional<std::string> suppressionFor(const Finding& finding, const sbom::Package& package,
                                          const Suppressions& suppressions, std::string_view today);

// Rules whose expiry date has passed, for a warning.
std::vector<std::string> expiredRules(const Suppressions& suppressions, std::string_view today);

// Today in UTC as YYYY-MM-DD.
std::string todayUtc();

}  // namespace bulkhead::vuln
