#pragma once
// Linux audit rule files (audit.rules, rules.d/*.rules), as auditctl reads them: one rule
// per line, `-w PATH -p PERMS -k KEY` watches and `-a LIST,ACTION -F path=.. -F dir=..`
// syscall rules. Bounded: hostile files give errors or warnings naming file and line.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bulkhead::compliance {

struct AuditRule {
  std::string file;
  int line = 0;
  std::string text;        // the line as written (cut at 300 characters)
  std::string watch;       // -w PATH
  std::string perms;       // -p
  std::string key;         // -k, or -F key=
  std::vector<std::string> paths;  // -F path=
  std::vector<std::string> dirs;   // -F dir=
};

struct AuditRules {
  std::vector<AuditRule> rules;
  std::vector<std::string> warnings;  // "file:line: -w needs a path"
};

inline constexpr size_t kMaxAuditRuleFileBytes = 4u << 20;

// Parses one rule file's text; appends to `out`. Fails on binary or oversized input.
Result<void> parseAuditRules(std::string_view text, std::string_view file, AuditRules& out);

}  // namespace bulkhead::compliance
