#pragma once
// An unpacked root file system on disk, read in place. Symlinks are never followed out of
// it: the walk uses lstat, and contents are opened with openat2(RESOLVE_IN_ROOT).

#include <string>
#include <vector>

#include "image/filesystem.h"

namespace bulkhead::image {

// Skips pseudo file systems (proc, sysfs, cgroup, devtmpfs) mounted inside the root.
Status scanRootfs(const std::string& root, FileSystemView& view, std::vector<std::string>& warnings,
                  size_t maxEntries = 5'000'000);

Result<std::string> readRootfsFile(const std::string& root, std::string_view path, size_t maxBytes);

}  // namespace bulkhead::image
