#pragma once
// Report writers: a human table, JSON (stable order, no timestamps: diffable), JUnit XML
// (one testsuite per section, one testcase per check and subject) and SARIF 2.1.0 (one
// rule per check, one result per check and subject). Hostile strings from the evidence
// are made safe for each format (invalid UTF-8 replaced, XML control characters dropped).

#include <string>

#include "compliance/engine.h"

namespace bulkhead::compliance {

struct TableOptions {
  bool onlyFailures = false;  // hide passed and not-applicable results
  bool verbose = false;       // show evidence of passed results too
};

std::string renderTable(const Report& report, const TableOptions& options = {});
std::string renderJson(const Report& report);
std::string renderJunit(const Report& report);
std::string renderSarif(const Report& report);

// The status of a check over all subjects: fail if any failed, then error, pass, manual,
// not applicable.
Status aggregateStatus(const Report& report, const Check* check);

// One evidence item as one line: "file:line path = observed (want expected; note)".
std::string describeEvidence(const Evidence& evidence);

// Replaces invalid UTF-8 with U+FFFD, so that any text can go into JSON or XML.
std::string sanitizeUtf8(std::string_view text);

}  // namespace bulkhead::compliance
