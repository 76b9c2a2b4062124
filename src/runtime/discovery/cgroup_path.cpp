#include "runtime/discovery/cgroup_path.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/strings.h"
#include "runtime/discovery/files.h"
#include "runtime/mount_info.h"

namespace bulkhead::runtime {

namespace {

bool isHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// runc and crun accept IDs of [A-Za-z0-9_+.-]; anything else is not theirs.
bool isRuntimeId(std::string_view s) {
  if (s.empty() || s.size() > 1024) return false;
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '_' || c == '+' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The pod UID of a kubepods path: "pod<uid>" (cgroupfs) or "kubepods-<qos>-pod<uid_with_underscores>.slice".
std::string podUidOf(const std::vector<std::string_view>& parts) {
  for (auto part : parts) {
    std::string_view uid;
    if (startsWith(part, "pod")) {
      uid = part.substr(3);
    } else if (startsWith(part, "kubepods") && endsWith(part, ".slice")) {
      const auto at = part.rfind("-pod");
      if (at == std::string_view::npos) continue;
      uid = part.substr(at + 4, part.size() - at - 4 - 6);
    } else {
      continue;
    }
    std::string out(uid);
    for (char& c : out) {
      if (c == '_') c = '-';
    }
    if (out.size() >= 32) return out;
  }
  return {};
}

struct ScopePrefix {
  std::string_view prefix;
  std::string_view runtime;
  bool hexId;  // the runtime always uses 64-hex IDs
};

// Longest prefix first: "crio-conmon-" before "crio-".
constexpr ScopePrefix kScopes[] = {
    {"cri-containerd-", "containerd", true}, {"docker-", "docker", true}, {"crio-", "cri-o", true},
    {"libpod-", "podman", true},            {"runc-", "runc", false},    {"crun-", "crun", false},
};

// The runtimes' monitor processes live beside the container in cgroups of their own.
bool isMonitor(std::string_view part) { return startsWith(part, "crio-conmon-") || startsWith(part, "libpod-conmon-"); }

}  // namespace

std::optional<CgroupMatch> parseCgroupPath(std::string_view path) {
  std::vector<std::string_view> parts;
  for (auto part : split(path, '/')) {
    if (!part.empty()) parts.push_back(part);
  }
  bool kubepods = false;
  for (auto part : parts) kubepods = kubepods || startsWith(part, "kubepods");
  // From the leaf up: a container may create cgroups of its own below its cgroup
  // (systemd in a container, podman's ".../libpod-<id>.scope/container").
  for (size_t i = parts.size(); i-- > 0;) {
    std::string_view part = parts[i];
    if (isMonitor(part)) return std::nullopt;
    const bool scope = endsWith(part, ".scope");
    std::string_view stem = scope ? part.substr(0, part.size() - 6) : part;
    const std::string_view parent = i > 0 ? parts[i - 1] : std::string_view();
    for (const auto& s : kScopes) {
      if (!startsWith(stem, s.prefix)) continue;
      const std::string_view id = stem.substr(s.prefix.size());
      if (s.hexId ? !isHex64(id) : !isRuntimeId(id)) continue;
      // Without ".scope" only the cgroupfs forms count: crio-<id> below a pod, and
      // /libpod_parent/libpod-<id>.
      if (!scope && !((s.runtime == "cri-o" && kubepods) || (s.runtime == "podman" && parent == "libpod_parent"))) {
        continue;
      }
      return CgroupMatch{std::string(s.runtime), std::string(id), kubepods ? podUidOf(parts) : std::string()};
    }
    if (!isHex64(part)) continue;
    if (parent == "docker") return CgroupMatch{"docker", std::string(part), {}};
    if (kubepods && startsWith(parent, "pod")) return CgroupMatch{"kubernetes", std::string(part), podUidOf(parts)};
    if (i == 0) return CgroupMatch{"runc", std::string(part), {}};  // runc's cgroupfs default: /<id>
  }
  return std::nullopt;
}

Result<std::string> findCgroup2Mount(const std::string& mountinfo) {
  auto mounts = readMountInfo(mountinfo);
  if (!mounts) return std::move(mounts).error();
  for (const MountEntry& m : *mounts) {
    if (m.fsType == "cgroup2") return m.point;
  }
  return makeError("{}: no cgroup2 mount", mountinfo);
}

Result<std::string> cgroupPathOfPid(int pid, const std::string& proc) {
  const std::string file = proc + "/" + std::to_string(pid) + "/cgroup";
  auto text = discovery::readBoundedFile(file, 1u << 20);
  if (!text) return std::move(text).error();
  for (auto line : split(*text, '\n')) {
    if (startsWith(line, "0::")) return std::string(line.substr(3));
  }
  return makeError("{}: no cgroup2 (\"0::\") line", file);
}

Result<uint64_t> cgroupIdOfPath(const std::string& mount, std::string_view path) {
  const std::string dir = mount + std::string(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return makeError("{}: {}", dir, std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return makeError("{}: not a directory", dir);
  return static_cast<uint64_t>(st.st_ino);
}

Result<std::optional<CgroupMatch>> resolvePid(int pid, const std::string& proc) {
  const std::string file = proc + "/" + std::to_string(pid) + "/cgroup";
  auto text = discovery::readBoundedFile(file, 1u << 20);
  if (!text) return std::move(text).error();
  std::optional<CgroupMatch> v1;
  for (auto line : split(*text, '\n')) {
    // hierarchy-ID:controllers:path; the path may itself hold ':'.
    const auto first = line.find(':');
    if (first == std::string_view::npos) continue;
    const auto second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    auto match = parseCgroupPath(line.substr(second + 1));
    if (!match) continue;
    if (startsWith(line, "0::")) return std::optional<CgroupMatch>(std::move(match));
    if (!v1) v1 = std::move(match);
  }
  return v1;
}

}  // namespace bulkhead::runtime
