#pragma once
// The node agent: discovery finds containers (from create on), the sensor reports what
// their processes do, each event is attributed to its container and workload group, judged
// by the detection rules (every mode) and by the group's profile (Discover learns, Monitor
// alerts, Protect alerts and blocks execs before they run), and written as a JSON line.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "runtime/discovery/discovery.h"
#include "runtime/profile.h"

namespace bulkhead::agent {

struct AgentOptions {
  std::string profileDir = "/var/lib/bulkhead/profiles";
  std::string eventsPath = "-";  // JSON lines; "-" is stdout
  std::string recordPath;        // every container event, for `agent replay`; empty: off
  std::string graphPath;         // the service graph (JSON), rewritten as it changes; empty: off
  runtime::Mode defaultMode = runtime::Mode::kDiscover;  // for groups without a profile file
  int64_t convergeQuietNs = 600LL * 1000000000;  // a profile converges after this long unchanged
  uint64_t convergeMinEvents = 50;
  std::vector<std::string> ruleFiles;            // besides the built-in rules
  runtime::DiscoveryOptions discovery = runtime::DiscoveryOptions::defaults();
  int statsIntervalMs = 5000;  // sensor drop counters and profile saves
  uint32_t ringBufferBytes = 0;  // the sensor's ring buffer; 0: the sensor's default
  bool moduleAttempts = false;   // SensorOptions::moduleAttemptsWithoutModuleSupport
  // Where `bulkhead agent hook` (an OCI createRuntime hook) announces containers before
  // their first process runs; empty: no hook socket.
  std::string hookSocket = "/run/bulkhead/agent.sock";
  // What outlives the agent (a tmpfs: gone with the containers at a reboot): which
  // containers' roots Protect's write guard made read-only, so that a later agent can tell
  // them from roots their runtime made read-only.
  std::string stateDir = "/run/bulkhead";
};

class Agent {
 public:
  static Result<std::unique_ptr<Agent>> create(const AgentOptions& options);
  virtual ~Agent() = default;
  // Runs until `stop` is set; returns an error only when the agent cannot run at all.
  virtual Status run(const std::atomic<bool>& stop) = 0;
};

}  // namespace bulkhead::agent
