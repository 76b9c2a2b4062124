#pragma once
// The files sensitive prefixes name under a root (a container's, or the host's), with their
// identity, so that the sensor knows them by inode too (Sensor::watchFileIdentity): a read
// through a hard link, of a renamed file or of a host file through a mount is then judged
// as one of the file itself.

#include <cstdint>
#include <string>
#include <vector>

namespace bulkhead::runtime {

struct SensitiveFile {
  std::string path;  // as the root's processes name it
  uint64_t dev = 0;  // st_dev, st_ino
  uint64_t ino = 0;
  auto operator<=>(const SensitiveFile&) const = default;
};

// For each prefix, its directory (the prefix itself when it ends in '/', else up to its
// last '/') is opened inside the root (links resolved in the root, never out of it) and
// listed one level deep: its regular files whose names start with the prefix's last part
// ("shadow" in /etc/shadow: shadow and shadow-; "" for a directory: all), each by the
// file a read of its name reaches (a link followed in the root: the kubelet's token). Missing
// directories are skipped. At most `limit` files in all, `limit` entries read per
// directory: a hostile root cannot make this long. Sorted by path.
std::vector<SensitiveFile> findSensitiveFiles(int rootFd, const std::vector<std::string>& prefixes, size_t limit = 512);

}  // namespace bulkhead::runtime
