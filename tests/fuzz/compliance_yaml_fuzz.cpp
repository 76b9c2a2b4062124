// Kubernetes manifests and check files on arbitrary text: the bounded YAML reader, the
// workload collector, every k8s check and every report writer on what comes out.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "compliance/catalog.h"
#include "compliance/engine.h"
#include "compliance/k8s_collector.h"
#include "compliance/report.h"

using namespace bulkhead;
using namespace bulkhead::compliance;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  YamlLimits limits;
  limits.maxNodes = 20000;  // keep each run fast; the bound itself is what is tested
  K8sManifests manifests;
  if (parseK8sManifests(text, "fuzz.yaml", manifests, limits).ok()) {
    for (const auto& w : manifests.workloads) {
      if (w.name.empty() || !w.facts.is_object()) std::abort();
    }
    const Report report =
        runChecks(Catalog::builtin().forTarget(Target::kK8s), manifests.workloads, Target::kK8s, "fuzz");
    if (report.results.size() != report.checks.size() * manifests.workloads.size()) std::abort();
    (void)renderTable(report);
    (void)renderJson(report);
    (void)renderJunit(report);
    (void)renderSarif(report);
  }
  // The same text as a check file: errors must be errors, never crashes.
  Catalog catalog;
  (void)catalog.addYaml(text, "fuzz-checks.yaml");
  return 0;
}
