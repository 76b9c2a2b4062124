#pragma once
// Cgroup paths to containers. Every runtime names the cgroup of a container after its ID,
// in one form for the cgroupfs driver and one for the systemd driver; the agent uses this
// when an event arrives from a cgroup it has not seen yet, and discovery uses the cgroup
// ID (the inode of the cgroup2 directory, what bpf_get_current_cgroup_id() returns) to
// attribute events.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace bulkhead::runtime {

struct CgroupMatch {
  std::string runtime;  // docker, containerd, cri-o, podman, runc, crun, kubernetes
  std::string id;       // container ID
  std::string podUid;   // Kubernetes pod UID (with dashes) when the path has pod<uid>
};

// Maps a cgroup path (v1 or v2, absolute within its hierarchy) to the container that owns
// it; nullopt for host services, pod-level cgroups and the runtimes' monitor processes
// (conmon).
std::optional<CgroupMatch> parseCgroupPath(std::string_view path);

// Where cgroup2 is mounted ("/sys/fs/cgroup" or, on hybrid hosts, "/sys/fs/cgroup/unified"),
// read from a mountinfo file.
Result<std::string> findCgroup2Mount(const std::string& mountinfo = "/proc/self/mountinfo");

// The cgroup2 path of a process: the "0::" line of <proc>/<pid>/cgroup.
Result<std::string> cgroupPathOfPid(int pid, const std::string& proc = "/proc");

// The cgroup ID of a cgroup2 path: the inode of its directory under the mount.
Result<uint64_t> cgroupIdOfPath(const std::string& mount, std::string_view path);

// The container a process runs in, from its cgroup paths (the cgroup2 line first, then the
// v1 lines); nullopt when the process runs on the host.
Result<std::optional<CgroupMatch>> resolvePid(int pid, const std::string& proc = "/proc");

}  // namespace bulkhead::runtime
