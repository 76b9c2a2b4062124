#pragma once
// A process's mountinfo file, read bounded and parsed (core/mount_info.h).

#include <string>
#include <vector>

#include "core/mount_info.h"
#include "core/result.h"

namespace bulkhead::runtime {

Result<std::vector<MountEntry>> readMountInfo(const std::string& path);

}  // namespace bulkhead::runtime
