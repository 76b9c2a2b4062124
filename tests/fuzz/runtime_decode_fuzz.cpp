// The eBPF sensor's record decoder on arbitrary bytes: what a corrupt ring buffer (or a
// kernel-side bug) could hand it. Decoding reuses one Event, as the sensor does.

#include <cstdint>
#include <cstdlib>
#include <span>

#include "runtime/bpf/sensor_abi.h"
#include "runtime/sensor/decoder.h"

using namespace bulkhead::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Event event;  // reused across inputs: stale fields must not leak into the next
  const auto status = decodeRecord(std::span<const uint8_t>(data, size), 0, event);
  if (!status.ok()) return 0;
  if (size < sizeof(bh_record)) std::abort();
  // Strings come from the record, but for a symlink's relative content, which is joined to
  // the link's directory (a prefix of its path).
  const size_t joined = event.kind == EventKind::kSymlink ? event.path.size() : 0;
  if (event.path.size() + event.detail.size() + event.address.size() > size + joined) std::abort();
  if (event.argv.size() > BH_ARGV_COUNT) std::abort();
  size_t argvBytes = 0;
  for (const auto& arg : event.argv) argvBytes += arg.size();
  if (argvBytes > BH_ARGV_MAX) std::abort();
  return 0;
}
