#pragma once
// Protect's exec enforcement: blocks, before it runs, any exec in a protected container
// that its policy does not allow (the exec fails with EPERM). One backend per kernel
// facility behind ExecGuard; this machine's kernels refuse BPF LSM, so the backend here is
// fanotify: FAN_OPEN_EXEC_PERM marks on the container's root file system (its own
// superblock, as overlay root file systems from containerd, CRI-O and podman are) and on
// each of the container's other mounts that can run files (/dev, volumes: mount marks,
// which cover the container's view only), one fanotify group per container so that an
// event names its container without a lookup.
// The policy's own files carry ignore marks in that group: the kernel runs them without
// an event, and the guard answers only for files outside them.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "runtime/enforce/exec_policy.h"

namespace bulkhead::runtime {

struct ExecDenial {
  std::string container;
  std::string group;
  pid_t pid = 0;
  std::string path;  // as the container sees it
  int64_t timeNs = 0;
};

struct ExecGuardStats {
  uint64_t allowed = 0;
  uint64_t allowedByIdentity = 0;  // of allowed: recognized by fstat, without reading the path
  uint64_t denied = 0;
  uint64_t errors = 0;  // events answered "allow" because the path could not be read
  // Allowed files the kernel runs without asking the guard (ignore marks in force); their
  // execs are in none of the counts above.
  uint64_t passMarks = 0;
};

// What a container's marks cover: its root file system (a superblock mark) and the mounts
// given a mount mark. mountsKnown is false when its mounts could not be read (it shares
// our mount namespace, or none of its processes is known): then only the root is.
struct GuardedMounts {
  dev_t rootDev = 0;
  std::vector<uint64_t> mountIds;  // statx STATX_MNT_ID, as mountinfo numbers them
  bool mountsKnown = false;
};

class ExecGuard {
 public:
  virtual ~ExecGuard() = default;
  // Starts enforcing `policy` on the container's root file system and, given the PID of a
  // process in the container's mount namespace (0: none known), on its other mounts
  // (replaces an earlier policy of the same container atomically). Returns once the guard
  // is in force.
  virtual Status protect(const std::string& container, const std::string& rootfs, pid_t initPid,
                         std::shared_ptr<const ExecPolicy> policy) = 0;
  // The container's next exec waits (its policy's files pass no longer without asking)
  // until `beforeExec`, given the exec'ing pid, has returned on the guard's thread: for work
  // that needs the container's root in place, as it is once the runtime runs the entry
  // point. Keep it short: the guard answers no other exec meanwhile.
  virtual void holdFirstExec(const std::string& container, std::function<void(pid_t)> beforeExec) = 0;
  // Marks the container's mounts made since it was protected (a mount the sensor saw, or
  // an exec the sensor killed for coming from a mount not marked yet).
  virtual void markNewMounts(const std::string& container, pid_t initPid) = 0;
  // What the container's marks cover now (nullopt: not protected).
  virtual std::optional<GuardedMounts> guarded(const std::string& container) const = 0;
  virtual void release(const std::string& container) = 0;
  virtual bool protects(const std::string& container) const = 0;
  virtual ExecGuardStats stats() const = 0;
};

// `onDenied` runs on the guard's thread after the denial was answered; keep it short.
Result<std::unique_ptr<ExecGuard>> makeFanotifyExecGuard(std::function<void(const ExecDenial&)> onDenied);

}  // namespace bulkhead::runtime
