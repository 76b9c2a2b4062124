#pragma once
// The host collector: what CIS Docker sections 1-3 and the kernel hardening checks need,
// read without any daemon: file ownership and modes, audit rule files, daemon.json and the
// dockerd command line from /proc, containerd and runc binaries and sockets, the docker
// group, mounts, sysctls and which LSMs are on. `root` lets it audit a host file system
// mounted elsewhere (a DaemonSet's /host); paths in the facts are always as the host sees
// them, and symbolic links resolve inside `root`.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compliance/audit_rules.h"
#include "compliance/docker_daemon.h"
#include "compliance/evaluator.h"
#include "compliance/subject.h"
#include "core/result.h"

namespace bulkhead::compliance {

struct HostOptions {
  std::string root = "/";
  std::string procDir;  // default: <root>/proc
  std::string sysDir;   // default: <root>/sys
};

struct FileStat {
  bool exists = false;
  std::string type;  // "file", "directory", "socket", "symlink", "fifo", "char", "block"
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string owner;  // from <root>/etc/passwd; "" when the id has no name
  std::string group;
  std::string error;
};

struct ProcessInfo {
  int pid = 0;
  std::string cmdlineFile;  // "/proc/812/cmdline"
  CommandLine cmdline;
};

struct SysctlValue {
  bool exists = false;
  std::string file;  // "/proc/sys/kernel/kptr_restrict"
  std::string text;
  std::string error;
  std::optional<std::string> configuredValue;
  std::string configuredFile;
  int configuredLine = 0;
};

// The typed snapshot; hostSubject() turns it into facts.
struct HostSnapshot {
  std::string root;
  std::map<std::string, FileStat> files;
  std::map<std::string, std::vector<std::string>> globs;

  std::string dockerdBinary;
  std::optional<ProcessInfo> dockerd;
  std::string daemonConfigFile = "/etc/docker/daemon.json";
  bool daemonConfigExists = false;
  nlohmann::json daemonConfig = nlohmann::json::object();
  std::string daemonConfigError;
  DaemonSettings daemon;
  std::vector<std::string> dockerGroupMembers;
  bool dockerGroupExists = false;
  std::string dataRoot = "/var/lib/docker";
  std::string dataRootMountPoint;
  std::string mountInfoFile;

  std::string containerdBinary;
  std::optional<ProcessInfo> containerd;
  std::string runcBinary;

  std::vector<std::string> auditFiles;
  AuditRules audit;

  std::map<std::string, SysctlValue> sysctls;
  bool apparmor = false;
  bool selinux = false;
  std::vector<std::string> warnings;
};

Result<HostSnapshot> collectHost(const HostOptions& options, const Requirements& requirements);
Subject hostSubject(const HostSnapshot& snapshot);

}  // namespace bulkhead::compliance
