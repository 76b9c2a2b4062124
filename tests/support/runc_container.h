#pragma once
// A real OCI container for tests, run by runc or crun without any daemon. The root file
// system is an overlay mount over a given lower directory (the test bed's TESTBED_ROOTFS or
// TESTBED_RUNTIME_ROOTFS) with its own upper and work directories, so each container has
// its own file-system superblock, as with containerd's or podman's overlay snapshots. Each
// container gets its own --root state directory, so tests never collide with other users
// of runc. The destructor always kills, deletes, unmounts and removes (RAII).

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "support/testbed.h"

namespace bulkhead::testing {

struct ContainerSpec {
  std::string runtime = "runc";  // runc or crun (name on the PATH, or a path)
  std::string lowerdir;          // the root file system under the overlay (required)
  std::vector<std::string> args{"sleep", "infinity"};
  std::vector<std::string> env;  // added to the spec's PATH and TERM
  std::map<std::string, std::string> annotations;
  nlohmann::json hooks;          // the OCI "hooks" object; null for none
  bool newNetwork = true;        // a network namespace of its own (loopback only, up)
  // With newNetwork: join this existing network namespace (e.g. /var/run/netns/NAME, made
  // by `ip netns add`) instead of a new one; empty: a new one.
  std::string networkNamespace;
  // Capabilities besides runc's default (AUDIT_WRITE, KILL, NET_BIND_SERVICE), e.g.
  // dockerDefaultCapabilities() for services that drop privileges (nginx, redis).
  std::vector<std::string> capabilities;
  std::string cgroupsPath;       // linux.cgroupsPath; empty: the runtime's default (/<id>)
  std::string id;                // empty: bh-<pid>-<n>
  std::string stateRoot;         // the runtime's --root; empty: a temp dir of its own
  std::vector<nlohmann::json> mounts;  // added to the spec's (e.g. a bind-mounted volume)
};

class RuncContainer {
 public:
  // Writes the bundle and mounts the overlay; nothing runs yet.
  static Result<std::unique_ptr<RuncContainer>> prepare(ContainerSpec spec);
  ~RuncContainer();
  RuncContainer(const RuncContainer&) = delete;
  RuncContainer& operator=(const RuncContainer&) = delete;

  Status create();       // <runtime> create: init waits before the user process
  Status start();        // <runtime> start
  Status runDetached();  // <runtime> run -d
  CommandResult exec(const std::vector<std::string>& args);
  Status kill(const std::string& signal = "KILL");
  Status remove();       // <runtime> delete -f
  int pid();             // init's PID from <runtime> state, 0 when there is none
  std::string status();  // created, running, stopped; empty when unknown

  const std::string& id() const { return spec_.id; }
  const std::string& runtimeBinary() const { return binary_; }
  const std::string& stateRoot() const { return root_; }
  const std::string& bundle() const { return bundle_; }
  std::string rootfs() const { return bundle_ + "/rootfs"; }
  const nlohmann::json& config() const { return config_; }

  // Runs the runtime with --root and the arguments (crun wrapped as hybrid hosts need).
  CommandResult runtime(const std::vector<std::string>& args);

 private:
  explicit RuncContainer(ContainerSpec spec) : spec_(std::move(spec)) {}
  ContainerSpec spec_;
  std::string binary_, dir_, bundle_, root_;
  nlohmann::json config_;
  bool mounted_ = false;
  // The init, held from create on: crun on hosts with hybrid cgroups can delete a container
  // and leave its init running; the destructor kills that process (never a reused PID).
  int initPidfd_ = -1;
  void holdInit();
};

// The capabilities Docker and containerd give a container by default.
std::vector<std::string> dockerDefaultCapabilities();

// The runtime's path, or "" when it is not installed.
std::string findRuntimeBinary(const std::string& name);

}  // namespace bulkhead::testing
