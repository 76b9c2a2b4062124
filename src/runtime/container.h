#pragma once
// A container as the agent knows it: found by discovery (runtime state directories and
// cgroup paths), attributed events by cgroup ID, grouped by image and labels.

#include <cstdint>
#include <map>
#include <string>

namespace bulkhead::runtime {

struct Container {
  std::string id;          // the runtime's container ID (64 hex for most runtimes)
  std::string runtime;     // runc, crun, containerd, podman, cri-o
  std::string name;        // podman/CRI name, Kubernetes container name, or the ID
  std::string image;       // image reference (annotations), empty when unknown
  std::string imageDigest; // sha256:..., empty when unknown
  // OCI annotations and labels (Kubernetes pod labels where the runtime passes them).
  std::map<std::string, std::string> labels;
  std::string podName, podNamespace, podUid;  // Kubernetes, from CRI annotations
  std::string bundle;      // OCI bundle directory
  std::string rootfs;      // root file system path on the host
  int pid = 0;             // init process (host PID namespace)
  std::string cgroupPath;  // relative to the cgroup2 mount, e.g. /system.slice/x.scope
  uint64_t cgroupId = 0;   // inode of that cgroup2 directory = bpf_get_current_cgroup_id()
  int64_t createdNs = 0;   // creation time, ns since the epoch
};

}  // namespace bulkhead::runtime
