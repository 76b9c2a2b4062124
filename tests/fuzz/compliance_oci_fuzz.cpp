// OCI runtime config.json and runc state.json on arbitrary text, then every container check
// on the facts they give. The input is config.json, optionally followed by "\n@@state\n"
// and a state.json.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "compliance/catalog.h"
#include "compliance/container_collector.h"
#include "compliance/engine.h"
#include "compliance/report.h"

using namespace bulkhead::compliance;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const size_t split = text.find("\n@@state\n");
  const std::string config = text.substr(0, split);
  ContainerSnapshot snapshot;
  if (auto parsed = parseOciConfig(config, "fuzz/config.json")) snapshot = std::move(*parsed);
  if (split != std::string::npos) {
    (void)applyRuncState(snapshot, text.substr(split + 9), "fuzz/state.json");
  } else {
    // The config alone as a state file too.
    ContainerSnapshot state;
    (void)applyRuncState(state, config, "fuzz/state.json");
  }
  if (!snapshot.facts.is_object()) std::abort();
  const Subject subject = containerSubject(snapshot);
  const Report report = runChecks(Catalog::builtin().forTarget(Target::kContainer), {subject},
                                  Target::kContainer, "fuzz");
  (void)renderJson(report);
  (void)renderSarif(report);
  return 0;
}
