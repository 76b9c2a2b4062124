#include "runtime/mount_info.h"

#include "runtime/discovery/files.h"

namespace bulkhead::runtime {

Result<std::vector<MountEntry>> readMountInfo(const std::string& path) {
  auto text = discovery::readBoundedFile(path, 16u << 20);
  if (!text) return std::move(text).error();
  return parseMountInfo(*text);
}

}  // namespace bulkhead::runtime
