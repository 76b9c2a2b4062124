#pragma once
// A discovery source reads one runtime's state directories as that runtime leaves them; no
// daemon is asked. Each source is one file, registered in sources.cpp.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "runtime/container.h"

namespace bulkhead::runtime::discovery {

struct Options {
  // runc --root directories: <root>/<id>/state.json, and containerd's runc root with one
  // namespace level, <root>/<namespace>/<id>/state.json.
  std::vector<std::string> runcRoots{"/run/runc", "/run/containerd/runc"};
  std::vector<std::string> crunRoots{"/run/crun"};  // <root>/<id>/status
  // containerd's shim v2 bundles: <root>/<namespace>/<id>/{config.json,init.pid}.
  std::vector<std::string> containerdTaskRoots{"/run/containerd/io.containerd.runtime.v2.task"};
  // containers/storage run roots (podman, CRI-O): <root>/<id>/userdata/{config.json,pidfile}.
  std::vector<std::string> containersRunRoots{"/run/containers/storage/overlay-containers"};
  // containers/storage container indexes (names and image names of podman/CRI-O containers).
  std::vector<std::string> containersIndexes{"/var/lib/containers/storage/overlay-containers/containers.json"};
  std::string proc = "/proc";
  std::string cgroup2Mount;  // empty: found in /proc/self/mountinfo
  std::chrono::milliseconds rescanInterval{2000};  // the safety net under inotify

  // The defaults plus the rootless podman run roots found under /run/user.
  static Options defaults();
};

// One container as a source saw it; startTime guards against PID reuse.
struct Found {
  Container container;
  uint64_t startTime = 0;  // init's start time in clock ticks since boot, 0 when unknown
  // The runtime's own state (runc, crun) is authoritative for pid and cgroup; a manager's
  // record (containerd, podman, CRI-O) names the runtime and adds metadata.
  bool manager = false;
};

struct ScanOutput {
  std::vector<Found> found;
  std::vector<Error> errors;  // broken state files: reported, skipped
};

class Source {
 public:
  virtual ~Source() = default;
  virtual const char* name() const = 0;
  // Directories to watch; their children and grandchildren are watched too.
  virtual std::vector<std::string> roots() const = 0;
  virtual void scan(ScanOutput& out) const = 0;
};

// Every source, in the order their records are merged (sources.cpp).
std::vector<std::unique_ptr<Source>> makeSources(const Options& options);

// The sources (one per file).
std::unique_ptr<Source> makeRuncSource(const Options& options);
std::unique_ptr<Source> makeCrunSource(const Options& options);
std::unique_ptr<Source> makeContainerdSource(const Options& options);
std::unique_ptr<Source> makeContainersStorageSource(const Options& options);

// Subdirectory names of a directory (no "." or ".."), empty when it cannot be read.
std::vector<std::string> listDirectories(const std::string& dir);

}  // namespace bulkhead::runtime::discovery
