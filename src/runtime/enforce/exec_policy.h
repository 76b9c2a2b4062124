#pragma once
// What Protect lets a container execute: the profile's executables, resolved inside the
// container's root, plus what the kernel opens to run them (the ELF interpreter, a
// script's "#!" interpreter), since those opens are exec opens too.

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/result.h"
#include "runtime/profile.h"

namespace bulkhead::runtime {

struct ExecPolicy {
  std::string group;
  std::unordered_set<std::string> allowed;  // container-side paths, symlinks resolved
  std::vector<std::string> warnings;         // profile entries that could not be resolved

  bool allows(const std::string& path) const { return allowed.contains(path); }
};

// `rootfs` is the container's root file system as the agent sees it (the bundle's rootfs
// or /proc/PID/root).
Result<std::shared_ptr<const ExecPolicy>> execPolicyFor(const Profile& profile, const std::string& rootfs);

}  // namespace bulkhead::runtime
