#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <climits>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>
#include <utility>

#include "core/log.h"
#include "runtime/enforce/exec_guard.h"
#include "runtime/mount_info.h"

namespace bulkhead::runtime {
namespace {

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Owned through shared_ptr: the guard's thread may still drain a group that release()
// just removed; its fanotify fd closes with the last reference, so the number cannot be
// reused under the thread's feet.
struct Protected {
  std::string container;
  int fd = -1;
  size_t passMarks = 0;
  GuardedMounts marks;  // what the marks cover: the root file system's dev, the mounts marked
  std::shared_ptr<const ExecPolicy> policy;  // swapped and read under the guard's mutex
  std::string rootfs;
  // holdFirstExec: called before the next exec is answered, its pass marks held back till
  // then (set under the guard's mutex; `holding` lets each event skip the mutex).
  std::function<void(pid_t)> beforeFirstExec;
  std::atomic<bool> holding{false};
  Protected() = default;
  Protected(const Protected&) = delete;
  Protected& operator=(const Protected&) = delete;
  ~Protected() {
    // Closing a fanotify group answers its pending events with "allow" and drops its marks.
    if (fd >= 0) ::close(fd);
  }
};

// Lets the kernel run the policy's own files without asking the guard: an ignore mark for
// FAN_OPEN_EXEC_PERM on each one's inode, in the container's group. Such an exec costs no
// event, no context switch and no answer. A write to the file clears its mark (the kernel
// drops an ignore mask on FS_MODIFY), so a changed file is asked about again; a new file
// (a copy, a download, a rename over the name) has no mark. Only a file found at one of
// the policy's paths is marked, so the marks let no content run that the path check
// would not: a hard link or a rename of a marked file runs under its new name too (the
// same program; the sensor still reports the exec as outside the profile). Marks that
// cannot be placed (a marks limit) leave the file to the guard. Returns the marks placed.
size_t passAllowedFiles(int fanotifyFd, const std::string& rootfs, const ExecPolicy& policy) {
  const int root = ::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return 0;
  std::unordered_set<FileId, FileIdHash> marked;
  for (const std::string& path : policy.allowed) {
    if (path.size() < 2 || path[0] != '/') continue;
    open_how how{};
    how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;  // the container's view of its paths
    const long opened = ::syscall(SYS_openat2, root, path.c_str() + 1, &how, sizeof how);
    if (opened < 0) continue;
    const int file = static_cast<int>(opened);
    struct stat st {};
    if (::fstat(file, &st) == 0 && S_ISREG(st.st_mode) && marked.insert(fileIdOf(st)).second) {
      // The mark goes on exactly the inode opened above (fanotify_mark refuses O_PATH
      // descriptors, but follows their /proc link).
      std::array<char, 64> link{};
      std::snprintf(link.data(), link.size(), "/proc/self/fd/%d", file);
      if (::fanotify_mark(fanotifyFd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_OPEN_EXEC_PERM, AT_FDCWD,
                          link.data()) != 0) {
        marked.erase(fileIdOf(st));
      }
    }
    ::close(file);
  }
  ::close(root);
  return marked.size();
}

// File systems that hold no file a process could run, or none of the workload's.
bool cannotRunFiles(const MountEntry& m) {
  static const std::set<std::string, std::less<>> kNone{
      "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "securityfs", "debugfs", "tracefs",
      "bpf", "pstore", "configfs", "fusectl", "binfmt_misc", "efivarfs", "selinuxfs", "nsfs"};
  return hasMountOption(m.options, "noexec") || kNone.contains(m.fsType);
}

// The container's other mounts, where its processes can run files too: runc's /dev (a
// tmpfs without noexec), volumes, bind-mounted files. Each gets a mount mark, which covers
// that mount as the container sees it and nothing else: a volume's directory stays
// unjudged on the host. Mounts are found in the mount namespace of `pid` and opened
// through its root; a mount point that no longer opens to the same mount (a container
// swapping it meanwhile) is skipped. Nothing is marked when `pid` shares our mount
// namespace (there, a mount mark would judge the host's execs). Marking a mount again is
// harmless, so every call marks all of them: mounts made since the last one are covered.
// `guarded` gets the mounts marked (replaced when the mounts could be read); a mount of its
// root file system (rootDev) is covered by that file system's mark.
void markContainerMounts(int fanotifyFd, pid_t pid, GuardedMounts& guarded) {
  if (pid <= 0) return;
  const std::string proc = "/proc/" + std::to_string(pid);
  struct stat own {}, theirs {};
  if (::stat("/proc/self/ns/mnt", &own) != 0 || ::stat((proc + "/ns/mnt").c_str(), &theirs) != 0 ||
      (own.st_dev == theirs.st_dev && own.st_ino == theirs.st_ino)) {
    return;
  }
  auto mounts = readMountInfo(proc + "/mountinfo");
  if (!mounts) {
    log::warn("exec guard: {}", mounts.error().message);
    return;
  }
  const int root = ::open((proc + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return;
  guarded.mountIds.clear();
  guarded.mountsKnown = true;
  for (const MountEntry& m : *mounts) {
    if (m.point.size() < 2 || m.point[0] != '/' || cannotRunFiles(m)) continue;
    open_how how{};
    how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const long opened = ::syscall(SYS_openat2, root, m.point.c_str() + 1, &how, sizeof how);
    if (opened < 0) continue;
    const int point = static_cast<int>(opened);
    struct statx sx {};
    const bool same = ::statx(point, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) == 0 && (sx.stx_mask & STATX_MNT_ID) != 0 &&
                      sx.stx_mnt_id == static_cast<uint64_t>(m.id);
    // A bind mount of part of the root file system is covered by its superblock mark.
    if (same && ::makedev(sx.stx_dev_major, sx.stx_dev_minor) != guarded.rootDev) {
      std::array<char, 64> link{};
      std::snprintf(link.data(), link.size(), "/proc/self/fd/%d", point);
      if (::fanotify_mark(fanotifyFd, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN_EXEC_PERM, AT_FDCWD, link.data()) == 0) {
        guarded.mountIds.push_back(sx.stx_mnt_id);
      } else {
        log::warn("exec guard: mount {} ({}) of process {}: fanotify mark: {}", m.point, m.fsType, pid, std::strerror(errno));
      }
    }
    ::close(point);
  }
  ::close(root);
}

class FanotifyExecGuard final : public ExecGuard {
 public:
  FanotifyExecGuard(int epoll, int wake, std::function<void(const ExecDenial&)> onDenied)
      : epoll_(epoll), wake_(wake), onDenied_(std::move(onDenied)) {
    thread_ = std::thread([this] { run(); });
  }

  ~FanotifyExecGuard() override {
    stop_ = true;
    const uint64_t one = 1;
    (void)!::write(wake_, &one, sizeof one);
    thread_.join();
    byFd_.clear();
    byId_.clear();
    ::close(wake_);
    ::close(epoll_);
  }

  Status protect(const std::string& container, const std::string& rootfs, pid_t initPid,
                 std::shared_ptr<const ExecPolicy> policy) override {
    std::lock_guard lock(mutex_);
    if (auto it = byId_.find(container); it != byId_.end()) {
      // The old policy's marks go before the new policy is in force, so that a file the
      // new one drops is asked about again. (Only inode marks: the file system mark stays.)
      Protected& p = *it->second;
      if (::fanotify_mark(p.fd, FAN_MARK_FLUSH, 0, AT_FDCWD, nullptr) != 0) {
        return makeError("container {}: clearing the old policy's exec marks: {}", container, std::strerror(errno));
      }
      p.policy = std::move(policy);
      p.rootfs = rootfs;
      p.passMarks = p.holding ? 0 : passAllowedFiles(p.fd, rootfs, *p.policy);
      markContainerMounts(p.fd, initPid, p.marks);  // mounts made since
      return {};
    }
    struct stat root {}, rootfsStat {};
    if (::stat("/", &root) != 0 || ::stat(rootfs.c_str(), &rootfsStat) != 0) {
      return makeError("container {}: root file system {}: {}", container, rootfs, std::strerror(errno));
    }
    // A superblock mark covers the whole file system: it must be the container's own, or
    // the guard would judge the host's (or another container's) execs by this policy.
    if (rootfsStat.st_dev == root.st_dev) {
      return makeError("container {}: root file system {} is on the host's root file system; Protect needs a "
                       "file system of the container's own (an overlay mount, as containerd, CRI-O and podman make)",
                       container, rootfs);
    }
    for (const auto& [id, p] : byId_) {
      if (p->marks.rootDev == rootfsStat.st_dev) {
        return makeError("container {}: root file system {} is shared with container {}", container, rootfs, id);
      }
    }
    const int fd = ::fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
    if (fd < 0) return makeError("fanotify_init: {} (needs CAP_SYS_ADMIN)", std::strerror(errno));
    if (::fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM, AT_FDCWD, rootfs.c_str()) != 0) {
      const int err = errno;
      ::close(fd);
      return makeError("container {}: fanotify mark on {}: {}", container, rootfs, std::strerror(err));
    }
    auto p = std::make_shared<Protected>();
    p->container = container;
    p->fd = fd;
    p->marks.rootDev = rootfsStat.st_dev;
    p->policy = std::move(policy);
    p->rootfs = rootfs;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) return makeError("epoll_ctl: {}", std::strerror(errno));
    p->passMarks = passAllowedFiles(fd, rootfs, *p->policy);
    markContainerMounts(fd, initPid, p->marks);
    byFd_[fd] = p;
    byId_[container] = std::move(p);
    return {};
  }

  void holdFirstExec(const std::string& container, std::function<void(pid_t)> beforeExec) override {
    std::lock_guard lock(mutex_);
    const auto it = byId_.find(container);
    if (it == byId_.end()) return;
    Protected& p = *it->second;
    // Without pass marks, every exec from the container is an event: the first one waits.
    if (::fanotify_mark(p.fd, FAN_MARK_FLUSH, 0, AT_FDCWD, nullptr) != 0) {
      log::warn("exec guard: container {}: holding its first exec: {}", container, std::strerror(errno));
      return;
    }
    p.passMarks = 0;
    p.beforeFirstExec = std::move(beforeExec);
    p.holding = true;
  }

  void markNewMounts(const std::string& container, pid_t initPid) override {
    std::lock_guard lock(mutex_);
    const auto it = byId_.find(container);
    if (it == byId_.end()) return;
    markContainerMounts(it->second->fd, initPid, it->second->marks);
  }

  std::optional<GuardedMounts> guarded(const std::string& container) const override {
    std::lock_guard lock(mutex_);
    const auto it = byId_.find(container);
    if (it == byId_.end()) return std::nullopt;
    return it->second->marks;
  }

  void release(const std::string& container) override {
    std::lock_guard lock(mutex_);
    const auto it = byId_.find(container);
    if (it == byId_.end()) return;
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, it->second->fd, nullptr);
    byFd_.erase(it->second->fd);
    byId_.erase(it);
  }

  bool protects(const std::string& container) const override {
    std::lock_guard lock(mutex_);
    return byId_.contains(container);
  }

  ExecGuardStats stats() const override {
    ExecGuardStats s{allowed_.load(), allowedByIdentity_.load(), denied_.load(), errors_.load(), 0};
    std::lock_guard lock(mutex_);
    for (const auto& [id, p] : byId_) s.passMarks += p->passMarks;
    return s;
  }

 private:
  void run() {
    std::array<epoll_event, 16> ready{};
    std::array<fanotify_event_metadata, 8192 / sizeof(fanotify_event_metadata)> buf{};
    while (!stop_) {
      const int n = ::epoll_wait(epoll_, ready.data(), static_cast<int>(ready.size()), -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        log::warn("exec guard: epoll_wait: {}", std::strerror(errno));
        return;
      }
      for (int i = 0; i < n; ++i) {
        if (ready[i].data.fd == wake_) continue;
        std::shared_ptr<Protected> p;
        std::shared_ptr<const ExecPolicy> policy;
        {
          std::lock_guard lock(mutex_);
          const auto it = byFd_.find(ready[i].data.fd);
          if (it == byFd_.end()) continue;
          p = it->second;
          policy = p->policy;
        }
        drain(*p, *policy, buf.data(), sizeof buf);
      }
    }
  }

  // More than any one event takes: metadata plus the info records this group never asks for.
  static constexpr size_t kMaxEventBytes = 4096;

  // holdFirstExec's work runs while the exec waits in the kernel (its event unanswered);
  // then the policy's files pass without asking again.
  void endHold(Protected& p, pid_t pid) {
    std::function<void(pid_t)> work;
    {
      std::lock_guard lock(mutex_);
      work = std::exchange(p.beforeFirstExec, nullptr);
      p.holding = false;
    }
    if (work) work(pid);
    std::lock_guard lock(mutex_);
    if (!p.holding && byFd_.contains(p.fd)) p.passMarks = passAllowedFiles(p.fd, p.rootfs, *p.policy);
  }

  static void respond(int fanotifyFd, int eventFd, uint32_t verdict) {
    fanotify_response response{};
    response.fd = eventFd;
    response.response = verdict;
    (void)!::write(fanotifyFd, &response, sizeof response);
    ::close(eventFd);
  }

  void drain(Protected& p, const ExecPolicy& policy, fanotify_event_metadata* buf, size_t size) {
    for (;;) {
      const ssize_t len = ::read(p.fd, buf, size);
      if (len <= 0) return;  // EAGAIN: drained; EBADF: released meanwhile
      // The kernel stops copying only when the queue is empty or the next event does not
      // fit: with room for any event left, the queue was empty, and one more read would
      // only say EAGAIN (a system call per wake-up; epoll is level-triggered and wakes us
      // again for events queued since).
      const bool drained = static_cast<size_t>(len) + kMaxEventBytes <= size;
      // Walked by offset with a copy of each header (FAN_EVENT_NEXT casts char* up).
      const char* bytes = reinterpret_cast<const char*>(buf);
      for (size_t off = 0; off + sizeof(fanotify_event_metadata) <= static_cast<size_t>(len);) {
        fanotify_event_metadata meta;
        std::memcpy(&meta, bytes + off, sizeof meta);
        if (meta.event_len < sizeof meta || off + meta.event_len > static_cast<size_t>(len)) break;
        off += meta.event_len;
        const fanotify_event_metadata* m = &meta;
        if (m->vers != FANOTIFY_METADATA_VERSION || m->fd < 0) continue;
        if (p.holding) endHold(p, m->pid);
        struct stat st {};
        if (::fstat(m->fd, &st) == 0 && policy.allowsFile(fileIdOf(st))) {
          respond(p.fd, m->fd, FAN_ALLOW);
          ++allowed_;
          ++allowedByIdentity_;
          continue;
        }
        std::array<char, 64> link{};
        std::snprintf(link.data(), link.size(), "/proc/self/fd/%d", m->fd);
        std::array<char, PATH_MAX> path{};
        const ssize_t n = ::readlink(link.data(), path.data(), path.size() - 1);
        const std::string file = n > 0 ? std::string(path.data(), static_cast<size_t>(n)) : std::string();
        // An unreadable path is allowed: denying on our own failure would break the
        // workload for a bug of ours; it is counted and reported instead.
        const bool allow = file.empty() || policy.allows(file);
        respond(p.fd, m->fd, allow ? FAN_ALLOW : FAN_DENY);
        if (file.empty()) {
          ++errors_;
        } else if (allow) {
          ++allowed_;
        } else {
          ++denied_;
          if (onDenied_) onDenied_(ExecDenial{p.container, policy.group, m->pid, file, nowNs()});
        }
      }
      if (drained) return;
    }
  }

  int epoll_;
  int wake_;
  std::function<void(const ExecDenial&)> onDenied_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Protected>> byId_;
  std::map<int, std::shared_ptr<Protected>> byFd_;
  std::atomic<uint64_t> allowed_{0}, allowedByIdentity_{0}, denied_{0}, errors_{0};
};

}  // namespace

Result<std::unique_ptr<ExecGuard>> makeFanotifyExecGuard(std::function<void(const ExecDenial&)> onDenied) {
  const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll < 0) return makeError("epoll_create1: {}", std::strerror(errno));
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake;
  if (wake < 0 || ::epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &ev) != 0) {
    ::close(epoll);
    return makeError("eventfd: {}", std::strerror(errno));
  }
  // Probe once, so that a kernel without fanotify permission events fails here, clearly.
  const int probe = ::fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);
  if (probe < 0) {
    const int err = errno;
    ::close(wake);
    ::close(epoll);
    return makeError("fanotify permission events are unavailable: {}", std::strerror(err));
  }
  ::close(probe);
  return std::unique_ptr<ExecGuard>(new FanotifyExecGuard(epoll, wake, std::move(onDenied)));
}

}  // namespace bulkhead::runtime
