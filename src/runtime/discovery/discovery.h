#pragma once
// Container discovery without a daemon: the runtimes' state directories are read (sources,
// one per runtime), watched with inotify, and rescanned periodically as a safety net. A
// container is reported at `create`, with its init PID and cgroup, so the agent can arm
// policy before the first user process runs; it is dropped when its init exits or its
// state goes away.
//
// Thread-safe: lookups may run on any thread while the watcher thread updates the set.
// Callbacks run on the thread that rescans (the watcher), one at a time, without locks
// held: they may call the lookups.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "runtime/container.h"
#include "runtime/discovery/cgroup_path.h"
#include "runtime/discovery/source.h"

namespace bulkhead::runtime {

using DiscoveryOptions = discovery::Options;

class Discovery {
 public:
  using Callback = std::function<void(const Container&)>;

  explicit Discovery(DiscoveryOptions options = DiscoveryOptions::defaults());
  ~Discovery();
  Discovery(const Discovery&) = delete;
  Discovery& operator=(const Discovery&) = delete;

  // Set before start().
  void onStart(Callback callback) { onStart_ = std::move(callback); }
  void onStop(Callback callback) { onStop_ = std::move(callback); }

  struct ScanResult {
    std::vector<Container> containers;  // live ones, cgroup filled in
    std::vector<Error> errors;          // broken state files, each naming its file
  };
  // One pass over every source; changes nothing.
  ScanResult scan() const;

  // Scans (reporting every live container to onStart), then watches on a thread.
  Status start();
  void stop();
  // Scans now and reports the differences; what the watcher does on every change.
  void rescan();

  // A container an OCI runtime hook (createRuntime) announces before its first process
  // runs: `state` is the OCI state the runtime passes (id, pid, bundle, annotations), and
  // the bundle's config.json gives the root file system and annotations. Reported to
  // onStart at once (unless already known) and kept while its init lives, until the
  // runtime's own state file appears. Hostile input: every field is checked.
  Result<Container> adopt(const nlohmann::json& state);

  std::vector<Container> containers() const;
  std::optional<Container> byId(const std::string& id) const;
  std::optional<Container> byCgroupId(uint64_t cgroupId) const;
  // The container a process runs in: a known container by cgroup path, else the runtime
  // and ID its cgroup path names (id and runtime only). nullopt on the host.
  Result<std::optional<Container>> resolvePid(int pid) const;
  // The errors of the last rescan.
  std::vector<Error> errors() const;

  const std::string& cgroup2Mount() const { return cgroup2Mount_; }

 private:
  void watch();
  void syncWatches();
  void syncPidfds();

  DiscoveryOptions options_;
  std::vector<std::unique_ptr<discovery::Source>> sources_;
  std::string cgroup2Mount_;
  Callback onStart_, onStop_;

  mutable std::shared_mutex mutex_;  // guards the maps below
  std::map<std::string, Container> byId_;
  std::map<uint64_t, std::string> byCgroupId_;
  std::vector<Error> errors_;
  std::set<std::string> warned_;  // errors already logged: a broken file is logged once
  std::set<std::string> adopted_;  // keys announced by a hook, not yet in a runtime's state

  std::mutex rescanMutex_;  // one rescan (and its callbacks) at a time
  std::thread thread_;
  int inotifyFd_ = -1;
  int stopFd_ = -1;
  std::map<int, std::string> watches_;  // wd -> directory (watcher thread only)
  std::map<std::string, int> pidfds_;   // container key -> pidfd (watcher thread only)
};

}  // namespace bulkhead::runtime
