#pragma once
// Protect's listen enforcement: in a protected container, a bind of a stream socket to a
// port the profile does not list ("tcp/<port>" in listenPorts) fails with EPERM before the
// socket has an address, so no service listens where the profile says none does. One
// backend per kernel facility behind ListenGuard; the one here is cgroup/bind4 and
// cgroup/bind6 eBPF programs on the container's cgroup2 directory (bpf/bind_guard.bpf.c),
// which also cover cgroups the container makes below its own. A bind to port 0 (the
// kernel picks the port, as for a client) and datagram sockets are not judged.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "core/result.h"
#include "runtime/profile.h"

namespace bulkhead::runtime {

struct BindDenial {
  std::string container;
  pid_t pid = 0;
  uint32_t uid = 0;
  std::string comm;
  std::string address;  // as the bind asked for it: "0.0.0.0", "::", "127.0.0.1", ...
  uint16_t port = 0;
  int family = 0;       // AF_INET or AF_INET6
  int64_t timeNs = 0;   // wall clock
};

struct ListenGuardStats {
  uint64_t denied = 0;      // reported denials
  uint64_t unreported = 0;  // denials the kernel's ring buffer had no room to report
};

class ListenGuard {
 public:
  virtual ~ListenGuard() = default;
  // Starts (or updates) enforcement in the container's cgroup: binds of stream sockets to
  // ports outside `ports` are refused. Returns once it is in force.
  virtual Status protect(const std::string& container, const std::string& cgroupDir, uint64_t cgroupId,
                         const std::set<uint16_t>& ports) = 0;
  virtual void release(const std::string& container) = 0;
  virtual bool protects(const std::string& container) const = 0;
  // Reports, through the guard's callback, the denials the kernel made since the last call
  // (waiting up to timeoutMs for one).
  virtual Status poll(int timeoutMs) = 0;
  virtual ListenGuardStats stats() const = 0;
};

// The TCP ports a profile lets its group listen on ("tcp/<port>" entries of listenPorts).
std::set<uint16_t> listenPortsOf(const Profile& profile);

Result<std::unique_ptr<ListenGuard>> makeCgroupListenGuard(std::function<void(const BindDenial&)> onDenied);

}  // namespace bulkhead::runtime
