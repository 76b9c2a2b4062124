#pragma once
// What Protect lets a container execute: the profile's executables, resolved inside the
// container's root, plus what the kernel opens to run them (the ELF interpreter, a
// script's "#!" interpreter), since those opens are exec opens too.

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/result.h"
#include "runtime/profile.h"

namespace bulkhead::runtime {

// A file as the guard sees it through the event's descriptor (fstat). The change time is
// part of it: no call sets it, so a file made later that reuses an inode number (overlay
// layers on separate file systems need not keep them unique) is not taken for this one.
struct FileId {
  uint64_t dev = 0, ino = 0;
  int64_t ctimeSec = 0, ctimeNsec = 0;
  bool operator==(const FileId&) const = default;
};
struct FileIdHash {
  size_t operator()(const FileId& f) const {
    return std::hash<uint64_t>()(f.ino * 0x9E3779B97F4A7C15ULL ^ f.dev ^ static_cast<uint64_t>(f.ctimeNsec));
  }
};
FileId fileIdOf(const struct stat& st);

struct ExecPolicy {
  std::string group;
  std::unordered_set<std::string> allowed;  // container-side paths, symlinks resolved
  // The same files as found when the policy was made: an exec of one of them is allowed
  // from a fstat of the event's descriptor, without reading its path (a readlink on
  // /proc/self/fd was the guard's largest cost per exec). Anything else is judged by path.
  std::unordered_set<FileId, FileIdHash> allowedFiles;
  std::vector<std::string> warnings;         // profile entries that could not be resolved

  bool allows(const std::string& path) const { return allowed.contains(path); }
  bool allowsFile(const FileId& file) const { return allowedFiles.contains(file); }
};

// `rootfs` is the container's root file system as the agent sees it (the bundle's rootfs
// or /proc/PID/root).
Result<std::shared_ptr<const ExecPolicy>> execPolicyFor(const Profile& profile, const std::string& rootfs);

}  // namespace bulkhead::runtime
