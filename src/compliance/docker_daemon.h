#pragma once
// The Docker daemon's configuration without a daemon: /etc/docker/daemon.json (or the file
// given by --config-file) and the dockerd command line from /proc/PID/cmdline, merged into
// the effective settings under daemon.json's key names, as docker-bench's helpers read
// them. Both inputs are hostile: bounded, and errors name the file.

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bulkhead::compliance {

struct CommandLine {
  std::vector<std::string> argv;
  // Flags as given, long names without dashes ("icc", "log-level"), short ones expanded
  // ("-H" -> "host"); a bare boolean flag has the value "true".
  std::vector<std::pair<std::string, std::string>> flags;
};

inline constexpr size_t kMaxCmdlineBytes = 256 * 1024;
inline constexpr size_t kMaxDaemonJsonBytes = 1u << 20;

// Splits a NUL-separated /proc/PID/cmdline and reads dockerd's flags out of it.
Result<CommandLine> parseDockerdCmdline(std::string_view cmdline, std::string_view what);

// Parses daemon.json: a JSON object, at most 1 MiB and 32 levels deep.
Result<nlohmann::json> parseDaemonJson(std::string_view text, std::string_view what);

struct EffectiveSetting {
  std::string source;  // "daemon.json" or "cmdline"
  std::string field;   // "icc" in daemon.json, "--icc" on the command line
};

struct DaemonSettings {
  nlohmann::json effective = nlohmann::json::object();  // daemon.json key names
  std::map<std::string, EffectiveSetting> origin;       // key -> where it was set
  std::vector<std::string> conflicts;                   // keys set in both places
};

// Command-line flags override daemon.json (dockerd itself refuses to start when both set
// the same key; that is reported in `conflicts`).
DaemonSettings mergeDaemonSettings(const nlohmann::json& daemonJson, const CommandLine& cmdline);

}  // namespace bulkhead::compliance
