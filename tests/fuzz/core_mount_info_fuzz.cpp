// /proc/PID/mountinfo as a container can shape it (its mount points are names it chose):
// parsing never crashes, and every entry it keeps has the fields the exec guard relies on.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/mount_info.h"

using namespace bulkhead;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const MountEntry& m : parseMountInfo(text)) {
    if (m.fsType.empty() || m.point.size() > text.size()) std::abort();
    (void)hasMountOption(m.options, "noexec");
  }
  return 0;
}
