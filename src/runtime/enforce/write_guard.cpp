#include "runtime/enforce/write_guard.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <thread>

#include "core/mount_info.h"
#include "core/unique_fd.h"
#include "runtime/mount_info.h"

namespace bulkhead::runtime {
namespace {

constexpr size_t kMaxLocations = 4096;

// glibc 2.36 declares mount_setattr, open_tree, move_mount and umount2 in <sys/mount.h>,
// which clashes with <linux/mount.h>; the system calls are used directly.
int mountSetattr(int fd, const char* path, unsigned flags, mount_attr* attr) {
  return static_cast<int>(::syscall(SYS_mount_setattr, fd, path, flags, attr, sizeof *attr));
}
int openTree(int fd, const char* path, unsigned flags) { return static_cast<int>(::syscall(SYS_open_tree, fd, path, flags)); }
void detach(const std::string& point) {
  constexpr int kDetach = 2;  // MNT_DETACH, from <sys/mount.h>
  ::syscall(SYS_umount2, point.c_str(), kDetach);
}
int moveMount(int from, const char* fromPath, int to, const char* toPath, unsigned flags) {
  return static_cast<int>(::syscall(SYS_move_mount, from, fromPath, to, toPath, flags));
}

// Runs `work` on a thread that has joined the mount namespace of pid (its root and working
// directory are then the namespace's root). Never the caller's own namespace.
Status inMountNamespace(pid_t pid, const std::function<Status()>& work) {
  struct stat theirs {}, ours {};
  const std::string path = fmt::format("/proc/{}/ns/mnt", pid);
  if (::stat(path.c_str(), &theirs) != 0) return makeError("pid {}: mount namespace: {}", pid, std::strerror(errno));
  if (::stat("/proc/self/ns/mnt", &ours) == 0 && theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) {
    return makeError("pid {} shares the agent's mount namespace: its root is the host's", pid);
  }
  const UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (ns.fd < 0) return makeError("pid {}: mount namespace: {}", pid, std::strerror(errno));
  Status result;
  std::thread([&] {
    if (::unshare(CLONE_FS) != 0 || ::setns(ns.fd, CLONE_NEWNS) != 0) {
      result = makeError("pid {}: joining its mount namespace: {}", pid, std::strerror(errno));
      return;
    }
    result = work();
  }).join();
  return result;
}

// The namespace's root mount and the binds this guard made (from the host's view of its
// mountinfo; points as the container sees them): binds of the root file system's own
// entries at their own paths, writable ones (a read-only root's locations) and read-only
// ones (a busy root's entries).
struct Mounts {
  MountEntry root;
  std::set<std::string> writableBinds;
  std::set<std::string> readOnlyBinds;
};

Result<Mounts> mountsOf(pid_t pid) {
  auto entries = readMountInfo(fmt::format("/proc/{}/mountinfo", pid));
  if (!entries) return entries.error();
  Mounts m;
  bool found = false;
  for (const auto& e : *entries) {  // the last mount at "/" is the one on top
    if (e.point == "/") {
      m.root = e;
      found = true;
    }
  }
  if (!found) return makeError("pid {}: no root mount in its mountinfo", pid);
  for (const auto& e : *entries) {
    if (e.point == "/" || e.device != m.root.device || e.root != e.point) continue;
    (hasMountOption(e.options, "ro") ? m.readOnlyBinds : m.writableBinds).insert(e.point);
  }
  return m;
}

// Detaches the binds an earlier call made (in the namespace the caller has joined).
void detachBinds(const Mounts& m) {
  for (const auto& bind : m.writableBinds) detach(bind);
  for (const auto& bind : m.readOnlyBinds) detach(bind);
}

// A location as a path below the root without its slashes ("var/log/nginx"); empty for
// the root itself, nullopt for one that is not a plain absolute path.
std::optional<std::string> relativeOf(const std::string& location) {
  if (location.empty() || location[0] != '/' || location.size() > 4096) return std::nullopt;
  std::string out;
  size_t at = 0;
  while (at < location.size()) {
    const size_t next = std::min(location.find('/', at), location.size());
    const std::string_view part(location.data() + at, next - at);
    if (part == "." || part == "..") return std::nullopt;
    if (!part.empty()) out += (out.empty() ? "" : "/") + std::string(part);
    at = next + 1;
  }
  return out;
}

// The paths ("/a/b", or "a/b" made absolute) none of the others is a parent of.
template <typename Paths>
std::set<std::string> outermost(const Paths& paths) {
  std::set<std::string> all;
  for (const auto& p : paths) all.insert(p.starts_with("/") ? p : "/" + p);
  for (auto it = all.begin(); it != all.end();) {
    const auto parent = std::find_if(all.begin(), it, [&](const std::string& q) { return it->starts_with(q + "/"); });
    it = parent != it ? all.erase(it) : std::next(it);
  }
  return all;
}

// `relative` below the root, not through a symbolic link (nor at one) nor into another mount.
int openBeneath(int root, const std::string& relative, int flags) {
  open_how how{};
  how.flags = static_cast<unsigned>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH | RESOLVE_NO_XDEV;
  return static_cast<int>(::syscall(SYS_openat2, root, relative.empty() ? "." : relative.c_str(), &how, sizeof how));
}

// The directory at `relative`, not through a symbolic link nor into another mount; else
// its nearest existing parent below the root. -1 (with why) when there is none.
int openLocation(int root, std::string relative, std::string& opened, std::string& why) {
  while (!relative.empty()) {
    const int fd = openBeneath(root, relative, O_PATH | O_DIRECTORY);
    if (fd >= 0) {
      opened = "/" + relative;
      return fd;
    }
    if (errno != ENOENT) {
      why = errno == EXDEV   ? "not on the root mount"
            : errno == ELOOP ? "a symbolic link on the way"
                             : std::strerror(errno);
      return -1;
    }
    const size_t slash = relative.rfind('/');
    relative = slash == std::string::npos ? "" : relative.substr(0, slash);
  }
  why = "no parent but the root exists";
  return -1;
}

// For a root busy with writers: the entries to bind read-only, below `relative` (a
// directory, "" for the root): each one that is not a writable location, descending into
// the locations' parents, which go to `unguarded` (their new entries stay writable).
Status planReadOnly(int root, const std::string& relative, const std::set<std::string>& writable,
                    std::vector<std::string>& plan, std::vector<std::string>& unguarded) {
  const std::string here = "/" + relative;
  unguarded.push_back(here);
  const int fd = openBeneath(root, relative, O_RDONLY | O_DIRECTORY);
  DIR* dir = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (!dir) {
    const int error = errno;
    if (fd >= 0) ::close(fd);
    return makeError("{}: {}", here, std::strerror(error));
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    if (names.size() == kMaxLocations) {
      ::closedir(dir);
      return makeError("{}: more than {} entries", here, kMaxLocations);
    }
    names.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const std::string rel = relative.empty() ? name : relative + "/" + name;
    const std::string path = "/" + rel;
    if (writable.contains(path)) continue;
    if (std::any_of(writable.begin(), writable.end(), [&](const std::string& w) { return w.starts_with(path + "/"); })) {
      if (auto s = planReadOnly(root, rel, writable, plan, unguarded); !s) return s;
    } else if (plan.size() == kMaxLocations) {
      return makeError("more than {} entries to bind read-only", kMaxLocations);
    } else {
      plan.push_back(rel);
    }
  }
  return {};
}

// Sets or clears the read-only flag of the mount at fd (that mount only); false with errno
// set (EBUSY: files are open for writing on it).
bool setReadOnly(int fd, bool readOnly) {
  mount_attr attr{};
  (readOnly ? attr.attr_set : attr.attr_clr) = MOUNT_ATTR_RDONLY;
  return mountSetattr(fd, "", AT_EMPTY_PATH, &attr) == 0;
}

// A copy of what fd is (with the mounts below it, which keep their own flags), read-only or
// writable, bound over it; false with errno set.
bool bindOverItself(int fd, bool readOnly) {
  const UniqueFd tree(openTree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE));
  return tree.fd >= 0 && setReadOnly(tree.fd, readOnly) &&
         moveMount(tree.fd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == 0;
}

// Binds each planned entry read-only over itself. Links, mount points and special files are
// left as they are; an entry that could not be bound is listed in `skipped`.
void bindReadOnly(int root, const std::vector<std::string>& plan, WriteGuardResult& result) {
  for (const auto& rel : plan) {
    const UniqueFd fd(openBeneath(root, rel, O_PATH));
    struct stat st {};
    if (fd.fd < 0 && (errno == ELOOP || errno == EXDEV || errno == ENOENT)) continue;
    if (fd.fd >= 0 && (::fstat(fd.fd, &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))) continue;
    if (fd.fd < 0 || !bindOverItself(fd.fd, true)) {
      result.skipped.push_back("/" + rel + " (binding it read-only: " + std::strerror(errno) + ")");
      continue;
    }
    result.readOnly.push_back("/" + rel);
  }
}

// Binds the directory `dir` ("/a/b", as the container sees it) writable over itself.
Status bindWritable(int root, const std::string& dir) {
  std::string opened, why;
  const UniqueFd fd(openLocation(root, dir.substr(1), opened, why));
  if (fd.fd < 0 || opened != dir) return makeError("{}: changed while it was bound", dir);
  if (!bindOverItself(fd.fd, false)) return makeError("binding {} writable: {}", dir, std::strerror(errno));
  return {};
}

}  // namespace

Result<WriteGuardResult> protectWrites(pid_t pid, const std::vector<std::string>& locations, bool guardedBefore) {
  if (locations.size() > kMaxLocations) return makeError("{} write locations (at most {})", locations.size(), kMaxLocations);
  WriteGuardResult result;
  std::vector<std::string> relatives;
  for (const auto& l : locations) {
    auto r = relativeOf(l);
    if (!r) {
      result.skipped.push_back(l);
      continue;
    }
    if (r->empty()) {  // "/": every write is allowed
      if (guardedBefore) {
        if (auto released = releaseWrites(pid); !released) return released.error();
      }
      return WriteGuardResult{};
    }
    relatives.push_back(*r);
  }
  auto mounts = mountsOf(pid);
  if (!mounts) return mounts.error();
  const bool rootReadOnly = hasMountOption(mounts->root.options, "ro");
  // Read-only with none of our binds, and not by us: the runtime's doing.
  if (!guardedBefore && rootReadOnly && mounts->writableBinds.empty()) return result;
  // In force as asked already (an agent restarted, a profile edit that kept the locations):
  // nothing is touched, so the workload never sees its locations read-only for a moment.
  if (rootReadOnly && mounts->readOnlyBinds.empty() && mounts->writableBinds == outermost(relatives)) {
    result.writable.assign(mounts->writableBinds.begin(), mounts->writableBinds.end());
    result.enforced = true;
    return result;
  }
  Status s = inMountNamespace(pid, [&]() -> Status {
    const UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (root.fd < 0) return makeError("the container's root: {}", std::strerror(errno));
    // Each location, or the parent that stands for it; then those under another dropped.
    detachBinds(*mounts);
    std::set<std::string> chosen;
    for (const auto& r : relatives) {
      std::string opened, why;
      const UniqueFd fd(openLocation(root.fd, r, opened, why));
      if (fd.fd < 0) {
        result.skipped.push_back("/" + r + " (" + why + ")");
        continue;
      }
      chosen.insert(opened);
    }
    for (const auto& dir : outermost(chosen)) {
      if (auto bound = bindWritable(root.fd, dir); !bound) return bound;
      result.writable.push_back(dir);
    }
    if (!setReadOnly(root.fd, true)) {
      if (errno != EBUSY) return makeError("making the root mount read-only: {}", std::strerror(errno));
      // Files are open for writing on it: its entries instead, the writable binds dropped.
      for (const auto& dir : result.writable) detach(dir);
      std::vector<std::string> plan;
      const std::set<std::string> writable(result.writable.begin(), result.writable.end());
      if (auto planned = planReadOnly(root.fd, "", writable, plan, result.unguarded); !planned) {
        return makeError("files are open for writing on the root, and its entries cannot be bound read-only: {}",
                         planned.error().message);
      }
      bindReadOnly(root.fd, plan, result);
      result.rootBusy = true;
    }
    result.enforced = true;
    return {};
  });
  if (!s) return makeError("pid {}: writes: {}", pid, s.error().message);
  return result;
}

Result<bool> retryReadOnlyRoot(pid_t pid, WriteGuardResult& applied) {
  if (!applied.rootBusy) return false;
  bool upgraded = false;
  Status s = inMountNamespace(pid, [&]() -> Status {
    const UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (root.fd < 0) return makeError("the container's root: {}", std::strerror(errno));
    // The locations bound writable first (the root is writable still, so nothing changes
    // for the workload); kept only if the root then goes read-only.
    std::vector<std::string> bound;
    Status done;
    for (const auto& dir : applied.writable) {
      if (done = bindWritable(root.fd, dir); !done) break;
      bound.push_back(dir);
    }
    if (!done || !setReadOnly(root.fd, true)) {
      const int error = errno;
      for (const auto& dir : bound) detach(dir);
      if (!done) return done;
      return error == EBUSY ? Status() : makeError("making the root mount read-only: {}", std::strerror(error));
    }
    for (const auto& entry : applied.readOnly) detach(entry);
    upgraded = true;
    return {};
  });
  if (!s) return makeError("pid {}: writes: {}", pid, s.error().message);
  if (upgraded) {
    applied.rootBusy = false;
    applied.readOnly.clear();
    applied.unguarded.clear();
  }
  return upgraded;
}

Result<bool> writesGuardedAsApplied(pid_t pid, const WriteGuardResult& applied) {
  auto mounts = mountsOf(pid);
  if (!mounts) return mounts.error();
  if (applied.rootBusy) {
    return mounts->writableBinds.empty() &&
           mounts->readOnlyBinds == std::set<std::string>(applied.readOnly.begin(), applied.readOnly.end());
  }
  return hasMountOption(mounts->root.options, "ro") &&
         mounts->writableBinds == std::set<std::string>(applied.writable.begin(), applied.writable.end());
}

Result<bool> writeGuardLeft(pid_t pid) {
  auto mounts = mountsOf(pid);
  if (!mounts) return mounts.error();
  return hasMountOption(mounts->root.options, "ro") && !mounts->writableBinds.empty();
}

Status releaseWrites(pid_t pid) {
  auto mounts = mountsOf(pid);
  if (!mounts) return mounts.error();
  return inMountNamespace(pid, [&]() -> Status {
    detachBinds(*mounts);
    const UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (root.fd < 0 || !setReadOnly(root.fd, false)) {
      return makeError("pid {}: making the root mount writable again: {}", pid, std::strerror(errno));
    }
    return {};
  });
}

}  // namespace bulkhead::runtime
