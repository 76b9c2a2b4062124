#pragma once
// A workload group's behavior profile and its mode: what the group's containers were seen
// to do while learning (executables and their parents, where they write, the ports they
// listen on, whom they connect to). A readable YAML file that can be exported, edited and
// imported (policy as code); docs/formats/profile.md describes it.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "core/result.h"
#include "runtime/group.h"

namespace bulkhead::runtime {

enum class Mode : uint8_t { kDiscover, kMonitor, kProtect };
std::string_view modeName(Mode mode);
bool parseMode(std::string_view name, Mode& out);

struct Profile {
  std::string group;
  GroupSelector selector;
  Mode mode = Mode::kDiscover;
  // Executable path (as seen inside the container, symlinks resolved) -> parent task names.
  std::map<std::string, std::set<std::string>> executables;
  std::set<std::string> writeDirs;    // directories written under ("/var/log/nginx/")
  std::set<std::string> listenPorts;  // "tcp/80", "udp/53"
  std::set<std::string> peers;        // outbound "10.0.0.5:6379"; inbound "from 10.0.0.7"
  // Links the group's containers open, to workload groups rather than addresses (the service
  // graph's edges): "group:redis-1a2b3c4d tcp/6379", "address:192.0.2.1 tcp/443".
  std::set<std::string> links;
  // Who opened TCP connections to the group's containers, by group or address, and on which
  // port: "group:web-1a2b3c4d tcp/6379", "address:10.0.0.7 tcp/80". Protect resets others.
  std::set<std::string> callers;
  // Learning progress.
  int64_t createdNs = 0;
  int64_t lastChangeNs = 0;  // when the last new behavior was learned
  uint64_t events = 0;       // events learned from
  bool converged = false;    // has stopped changing (see Learner)

  bool operator==(const Profile&) const = default;
};

struct ProfileLimits {
  size_t maxBytes = 4u << 20;
  size_t maxEntries = 20000;  // per list; a profile is a policy, not a log
};

std::string profileToYaml(const Profile& profile);
// `what` names the input in errors (a file path). Hostile input is bounded by `limits`.
Result<Profile> profileFromYaml(std::string_view text, std::string_view what,
                                const ProfileLimits& limits = {});

}  // namespace bulkhead::runtime
