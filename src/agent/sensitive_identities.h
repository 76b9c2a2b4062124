#pragma once
// Keeps the sensor's sensitive files by identity (runtime::Sensor::watchFileIdentity) for
// each root the agent knows, the host's and each container's: a read that reaches one of
// them by another name (a hard link, a renamed file, a host file through a mount) is then
// reported as a read of the file. Counted per file, so that roots that share files keep
// them until the last one goes.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "runtime/sensitive_files.h"
#include "runtime/sensor/sensor.h"

namespace bulkhead::agent {

class SensitiveIdentities {
 public:
  SensitiveIdentities(runtime::Sensor& sensor, std::vector<std::string> prefixes)
      : sensor_(sensor), prefixes_(std::move(prefixes)) {}
  ~SensitiveIdentities();
  SensitiveIdentities(const SensitiveIdentities&) = delete;
  SensitiveIdentities& operator=(const SensitiveIdentities&) = delete;

  // The host's files (owner ""), under `root` ("/", or where the host's root is mounted),
  // scanned now and again whenever a file is made, moved in or written in one of the
  // prefixes' directories there (inotify): a password change makes a new /etc/shadow inode,
  // which a container reaching it through a mount would otherwise read unjudged.
  Status watchHost(const std::string& root);
  // Reads the host's changes (never blocks) and finds the host's files anew if any came
  // (what is no longer there is no longer watched); true if so.
  bool pollHost();

  // Finds the owner's sensitive files under its root and watches those not watched yet.
  // Called again after a change at a sensitive path (changed()): it only adds, so a file
  // renamed away from its name stays known as what it is.
  void scan(const std::string& owner, int rootFd);
  // The owner's root is gone: its files are no longer watched (unless another root has them).
  void drop(const std::string& owner);
  // A write or path change at `path` may have made a sensitive file (a new inode).
  bool changed(std::string_view path) const;
  size_t watched() const { return uses_.size(); }
  // Files kept per root, over all its scans (the sensor's map holds 16384).
  static constexpr size_t kPerOwner = 512;

 private:
  runtime::Sensor& sensor_;
  std::vector<std::string> prefixes_;
  std::map<std::string, std::vector<runtime::SensitiveFile>> byOwner_;
  std::map<std::pair<uint64_t, uint64_t>, int> uses_;  // (dev, ino): owners that hold it
  std::string hostRoot_;
  int hostWatch_ = -1;  // inotify on the host's prefix directories
};

}  // namespace bulkhead::agent
