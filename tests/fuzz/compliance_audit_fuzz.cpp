// Host and image text files the compliance collectors parse: audit rule files and the
// account files (/etc/passwd, /etc/shadow, /etc/group) on arbitrary text.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "compliance/audit_rules.h"
#include "compliance/image_collector.h"

using namespace bulkhead::compliance;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  AuditRules rules;
  if (parseAuditRules(text, "fuzz.rules", rules).ok()) {
    for (const auto& r : rules.rules) {
      if (r.line <= 0 || r.text.size() > 300) std::abort();
      if (r.watch.empty() && r.paths.empty() && r.dirs.empty()) std::abort();
    }
  }
  Accounts accounts;
  parsePasswd(text, accounts);
  parseShadow(text, accounts);
  parseGroup(text, accounts);
  for (const auto& u : accounts.users) {
    if (u.password != "empty" && u.password != "locked" && u.password != "set" && u.password != "unknown") std::abort();
  }
  return 0;
}
