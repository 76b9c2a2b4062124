// What `bulkhead agent hook` hands the agent: the OCI state JSON, as HookServer reads it,
// through Discovery::adopt. Adopt only reads (a bundle's config.json, /proc): the fuzzer's
// /proc is an empty directory, so nothing is ever adopted, but every check runs.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/hook.h"
#include "core/json.h"
#include "runtime/discovery/discovery.h"

using namespace bulkhead;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static runtime::Discovery* discovery = [] {
    runtime::DiscoveryOptions options;
    options.proc = "/nonexistent-bulkhead-fuzz-proc";
    options.cgroup2Mount = "/nonexistent-bulkhead-fuzz-cgroup";
    auto* d = new runtime::Discovery(options);
    d->onStart([](const runtime::Container&) { std::abort(); });  // nothing can be live here
    return d;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto state = parseJson(text, "OCI state", JsonLimits{agent::kMaxHookStateBytes, 16});
  if (!state) return 0;
  auto adopted = discovery->adopt(*state);
  if (adopted) std::abort();
  if (adopted.error().message.empty()) std::abort();
  return 0;
}
