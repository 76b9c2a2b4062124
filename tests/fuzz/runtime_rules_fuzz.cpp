// Rule files on arbitrary text (`agent run --rules FILE`), then every parsed rule judged
// against a fixed event: parsing is bounded and names the file, matching never crashes.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "runtime/rules/rule.h"

using namespace bulkhead::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rules = parseRules(text, "fuzz-rules.yaml");
  if (!rules) {
    if (rules.error().message.find("fuzz-rules.yaml") == std::string::npos) std::abort();
    return 0;
  }
  Event e;
  e.kind = EventKind::kExec;
  e.path = "/usr/bin/bash";
  e.argv = {"bash", "-i"};
  e.comm = "bash";
  EventFacts facts;
  facts.stdioSocket = true;
  facts.inContainer = true;
  for (const auto& rule : *rules) {
    if (rule.id.empty()) std::abort();
    (void)ruleMatches(rule, e, facts);
  }
  return 0;
}
