#include "runtime/learner.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <array>
#include <string_view>

#include <fmt/format.h>

namespace bulkhead::runtime {
namespace {

std::string writeDirOf(std::string_view path) {
  constexpr std::array<std::string_view, 5> kVolatile{"/tmp/", "/var/tmp/", "/dev/shm/", "/run/", "/proc/"};
  for (const auto root : kVolatile) {
    if (path.starts_with(root)) return std::string(root);
  }
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return "/";
  return std::string(path.substr(0, slash + 1));
}

// Writes every program makes that say nothing about a workload: the null and terminal
// devices and a process's own descriptors.
bool ordinaryDeviceWrite(std::string_view path) {
  constexpr std::array<std::string_view, 7> kDevices{"/dev/null", "/dev/zero", "/dev/full", "/dev/tty",
                                                     "/dev/stdout", "/dev/stderr", "/dev/console"};
  for (const auto d : kDevices) {
    if (path == d) return true;
  }
  return path.starts_with("/dev/pts/") || path.starts_with("/dev/fd/") || path.starts_with("/proc/self/fd/");
}

}  // namespace

Behavior behaviorOf(const Event& e) {
  switch (e.kind) {
    case EventKind::kExec:
      return {"exec", e.path, e.parentComm};
    case EventKind::kOpen:
    case EventKind::kRename:
    case EventKind::kUnlink:
    case EventKind::kLink:
    case EventKind::kSymlink:
    case EventKind::kChmod:
    case EventKind::kChown:
      if (!writesPath(e) || e.path.empty() || e.path[0] != '/' || ordinaryDeviceWrite(e.path)) return {};
      return {"write", writeDirOf(e.path), {}};
    case EventKind::kListen:
      return {"listen", fmt::format("tcp/{}", e.port), {}};  // listen() is for stream sockets
    case EventKind::kConnect:
      if (e.family == AF_UNIX) return {"connect", "unix:" + e.address, {}};
      return {"connect", fmt::format("{}:{}", e.family == AF_INET6 ? "[" + e.address + "]" : e.address, e.port), {}};
    case EventKind::kAccept:
      return {"accept", "from " + e.address, {}};
    default:
      return {};
  }
}

bool learn(Profile& profile, const Event& event) {
  const Behavior b = behaviorOf(event);
  if (b.kind.empty()) return false;
  ++profile.events;
  bool added = false;
  if (b.kind == "exec") {
    auto [it, inserted] = profile.executables.try_emplace(b.value);
    added = inserted;
    if (!b.parent.empty()) added = it->second.insert(b.parent).second || added;
  } else if (b.kind == "write") {
    added = profile.writeDirs.insert(b.value).second;
  } else if (b.kind == "listen") {
    added = profile.listenPorts.insert(b.value).second;
  } else {
    added = profile.peers.insert(b.value).second;
  }
  if (added) {
    profile.lastChangeNs = event.timeNs;
    profile.converged = false;
  }
  if (profile.createdNs == 0) profile.createdNs = event.timeNs;
  return added;
}

std::optional<Behavior> deviation(const Profile& profile, const Event& event) {
  Behavior b = behaviorOf(event);
  if (b.kind.empty()) return std::nullopt;
  if (b.kind == "exec") {
    const auto it = profile.executables.find(b.value);
    if (it == profile.executables.end()) return b;
    if (!it->second.empty() && !b.parent.empty() && !it->second.contains(b.parent)) {
      b.kind = "exec-parent";
      return b;
    }
    return std::nullopt;
  }
  if (b.kind == "write") {
    // A learned directory allows writes below it too.
    for (std::string_view dir = b.value; !dir.empty();) {
      if (profile.writeDirs.contains(std::string(dir))) return std::nullopt;
      if (dir == "/") break;
      const auto slash = dir.substr(0, dir.size() - 1).rfind('/');
      dir = dir.substr(0, slash + 1);
    }
    return b;
  }
  if (b.kind == "listen") return profile.listenPorts.contains(b.value) ? std::nullopt : std::optional(b);
  return profile.peers.contains(b.value) ? std::nullopt : std::optional(b);
}

bool updateConvergence(Profile& profile, int64_t nowNs, int64_t quietNs, uint64_t minEvents) {
  if (profile.converged || profile.events < minEvents) return false;
  const int64_t since = profile.lastChangeNs != 0 ? profile.lastChangeNs : profile.createdNs;
  if (since == 0 || nowNs - since < quietNs) return false;
  profile.converged = true;
  return true;
}

}  // namespace bulkhead::runtime
