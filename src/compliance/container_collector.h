#pragma once
// The container collector: an OCI runtime bundle (config.json) or a container runc runs
// (its state.json under /run/runc, /run/containerd/runc/<ns> or /run/docker/runtime-runc/
// moby), as facts for CIS Docker section 5. A running container adds what only live state
// shows: which namespaces really are the host's (inode comparison with /proc/1/ns) and
// the processes inside it. Field names follow the OCI runtime spec; the facts are
// documented in docs/compliance.md.

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "compliance/subject.h"
#include "core/result.h"

namespace bulkhead::compliance {

struct ContainerOptions {
  std::string runcRoot;         // empty: search the usual state directories
  std::string procDir = "/proc";
  std::string sysDir = "/sys";
};

inline constexpr size_t kMaxOciConfigBytes = 4u << 20;
inline constexpr size_t kMaxRuncStateBytes = 8u << 20;

struct ContainerSnapshot {
  std::string source;      // "bundle /srv/b", "runc container web (/run/runc/web/state.json)"
  std::string configFile;  // the config.json read, if any
  std::string stateFile;   // the state.json read, if any
  nlohmann::json facts = nlohmann::json::object();
  // Fact prefix -> (file, document path) the value came from.
  std::map<std::string, std::pair<std::string, std::string>> origins;
  std::map<std::string, std::string> notes;  // fact prefix -> explanation
  std::vector<std::string> warnings;
};

// Parses an OCI config.json (bounded) into container facts.
Result<ContainerSnapshot> parseOciConfig(std::string_view text, std::string_view what);
// Overlays what runc actually applied, from a runc state.json (libcontainer's config),
// onto a snapshot (empty, or from the bundle's config.json). Also records id, pid, bundle.
Result<void> applyRuncState(ContainerSnapshot& snapshot, std::string_view text, std::string_view what);
// Adds live facts for a running container: namespaces compared with the host's, status,
// processes in its PID namespace. `procDir` is normally /proc.
void addLiveFacts(ContainerSnapshot& snapshot, const std::string& procDir);

// A bundle directory, a config.json or state.json file, or a runc container ID.
Result<ContainerSnapshot> collectContainer(const std::string& target, const ContainerOptions& options);
Subject containerSubject(const ContainerSnapshot& snapshot);

}  // namespace bulkhead::compliance
