#include "runtime/discovery/discovery.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/json.h"
#include "core/log.h"
#include "runtime/discovery/annotations.h"
#include "runtime/discovery/files.h"

namespace bulkhead::runtime {

namespace {

// A container instance: the same ID may come back with a new init (delete, then create).
std::string keyOf(const Container& c) { return c.id + ":" + std::to_string(c.pid); }

bool isDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A manager's record (containerd, podman, CRI-O) names the runtime and adds metadata to
// the runtime's own state of the same container.
void mergeManager(Container& into, const Container& from) {
  into.runtime = from.runtime;
  for (const auto& [k, v] : from.labels) into.labels.emplace(k, v);
  auto fill = [](std::string& a, const std::string& b) {
    if (a.empty()) a = b;
  };
  fill(into.name, from.name);
  fill(into.image, from.image);
  fill(into.imageDigest, from.imageDigest);
  fill(into.podName, from.podName);
  fill(into.podNamespace, from.podNamespace);
  fill(into.podUid, from.podUid);
  fill(into.rootfs, from.rootfs);
}

constexpr uint32_t kWatchMask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE |
                                IN_DELETE_SELF | IN_ONLYDIR;

}  // namespace

Discovery::Discovery(DiscoveryOptions options)
    : options_(std::move(options)), sources_(discovery::makeSources(options_)) {
  cgroup2Mount_ = options_.cgroup2Mount;
  if (cgroup2Mount_.empty()) {
    auto mount = findCgroup2Mount();
    if (mount) {
      cgroup2Mount_ = *mount;
    } else {
      log::warn("discovery: {}; containers will have no cgroup ID", mount.error().message);
    }
  }
}

Discovery::~Discovery() { stop(); }

Discovery::ScanResult Discovery::scan() const {
  discovery::ScanOutput out;
  for (const auto& source : sources_) source->scan(out);
  std::map<std::string, discovery::Found> merged;
  for (auto& f : out.found) {
    if (!f.manager) merged.emplace(f.container.id, std::move(f));
  }
  for (auto& f : out.found) {
    if (!f.manager) continue;
    auto it = merged.find(f.container.id);
    if (it == merged.end()) {
      merged.emplace(f.container.id, std::move(f));
    } else {
      mergeManager(it->second.container, f.container);
    }
  }
  ScanResult result;
  result.errors = std::move(out.errors);
  for (auto& [id, f] : merged) {
    Container& c = f.container;
    if (!discovery::processAlive(c.pid, f.startTime, options_.proc)) continue;
    if (c.name.empty()) c.name = c.id;
    // What the kernel says beats what the runtime wrote (a container may have moved).
    if (auto path = cgroupPathOfPid(c.pid, options_.proc)) {
      c.cgroupPath = *path;
    } else if (!cgroup2Mount_.empty() && c.cgroupPath.rfind(cgroup2Mount_ + "/", 0) == 0) {
      c.cgroupPath = c.cgroupPath.substr(cgroup2Mount_.size());
    }
    if (!cgroup2Mount_.empty() && !c.cgroupPath.empty()) {
      if (auto cgroupId = cgroupIdOfPath(cgroup2Mount_, c.cgroupPath)) c.cgroupId = *cgroupId;
    }
    result.containers.push_back(std::move(c));
  }
  return result;
}

void Discovery::rescan() {
  std::lock_guard serial(rescanMutex_);
  ScanResult result = scan();
  std::vector<Container> started, stopped;
  {
    std::unique_lock lock(mutex_);
    std::map<std::string, Container> next;
    for (auto& c : result.containers) next.emplace(c.id, std::move(c));
    for (const auto& key : std::set<std::string>(adopted_)) {
      // A hook's container is kept until the runtime's state names it, or its init is gone.
      const std::string id = key.substr(0, key.rfind(':'));
      auto known = byId_.find(id);
      if (next.count(id) != 0 || known == byId_.end() || !discovery::processAlive(known->second.pid, 0, options_.proc)) {
        adopted_.erase(key);
      } else {
        next.emplace(id, known->second);
      }
    }
    for (const auto& [id, old] : byId_) {
      auto it = next.find(id);
      if (it == next.end() || keyOf(it->second) != keyOf(old)) stopped.push_back(old);
    }
    for (const auto& [id, now] : next) {
      auto it = byId_.find(id);
      if (it == byId_.end() || keyOf(it->second) != keyOf(now)) started.push_back(now);
    }
    byId_ = std::move(next);
    byCgroupId_.clear();
    for (const auto& [id, c] : byId_) {
      if (c.cgroupId != 0) byCgroupId_[c.cgroupId] = id;
    }
    for (const auto& e : result.errors) {
      if (warned_.insert(e.message).second) log::warn("discovery: skipped: {}", e.message);
    }
    errors_ = std::move(result.errors);
  }
  for (const auto& c : stopped) {
    if (onStop_) onStop_(c);
  }
  for (const auto& c : started) {
    if (onStart_) onStart_(c);
  }
}

Result<Container> Discovery::adopt(const nlohmann::json& state) {
  if (!state.is_object()) return makeError("OCI state: not a JSON object");
  Container c;
  c.id = jsonString(state, "id");
  c.pid = static_cast<int>(jsonInt(state, "pid"));
  c.bundle = jsonString(state, "bundle");
  if (c.id.empty() || c.id.size() > 1024 || c.id.find('/') != std::string::npos) {
    return makeError("OCI state: 'id' is missing or not a container ID");
  }
  if (c.pid <= 0) return makeError("OCI state of {}: 'pid' is missing (hooks before createRuntime have none)", c.id);
  if (c.bundle.empty() || c.bundle[0] != '/') return makeError("OCI state of {}: 'bundle' is not an absolute path", c.id);
  auto config = discovery::readJsonObject(c.bundle + "/config.json");
  if (!config) return std::move(config).error();
  if (const auto* root = jsonObject(*config, "root")) {
    const std::string path = jsonString(*root, "path");
    c.rootfs = path.empty() || path[0] == '/' ? path : c.bundle + "/" + path;
  }
  if (const auto* annotations = jsonObject(*config, "annotations")) discovery::applyAnnotations(c, *annotations);
  if (const auto* annotations = jsonObject(state, "annotations")) discovery::applyAnnotations(c, *annotations);
  if (c.name.empty()) c.name = c.id;
  auto match = ::bulkhead::runtime::resolvePid(c.pid, options_.proc);
  c.runtime = match && *match ? (*match)->runtime : "oci";
  auto path = cgroupPathOfPid(c.pid, options_.proc);
  if (!path) return makeError("OCI state of {}: pid {}: {}", c.id, c.pid, path.error().message);
  c.cgroupPath = *path;
  if (!cgroup2Mount_.empty()) {
    if (auto cgroupId = cgroupIdOfPath(cgroup2Mount_, c.cgroupPath)) c.cgroupId = *cgroupId;
  }
  std::lock_guard serial(rescanMutex_);  // callbacks one at a time, as from rescans
  std::optional<Container> replaced;      // an earlier instance under the same ID
  {
    std::unique_lock lock(mutex_);
    auto known = byId_.find(c.id);
    if (known != byId_.end()) {
      if (keyOf(known->second) == keyOf(c)) return known->second;
      replaced = known->second;
      byCgroupId_.erase(known->second.cgroupId);
    }
    byId_[c.id] = c;
    if (c.cgroupId != 0) byCgroupId_[c.cgroupId] = c.id;
    adopted_.insert(keyOf(c));
  }
  if (replaced && onStop_) onStop_(*replaced);
  if (onStart_) onStart_(c);
  return c;
}

Status Discovery::start() {
  if (thread_.joinable()) return makeError("discovery: already started");
  inotifyFd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotifyFd_ < 0) return makeError("discovery: inotify_init1: {}", std::strerror(errno));
  stopFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stopFd_ < 0) {
    ::close(inotifyFd_);
    inotifyFd_ = -1;
    return makeError("discovery: eventfd: {}", std::strerror(errno));
  }
  // Watches before the first scan: a container created in between is seen by either.
  syncWatches();
  rescan();
  syncPidfds();
  thread_ = std::thread([this] { watch(); });
  return {};
}

void Discovery::stop() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    if (::write(stopFd_, &one, sizeof one) < 0) {
      // eventfd writes of 1 cannot fail short of a broken invariant; join anyway
    }
    thread_.join();
  }
  for (auto& [key, fd] : pidfds_) ::close(fd);
  pidfds_.clear();
  watches_.clear();
  if (inotifyFd_ >= 0) ::close(inotifyFd_);
  if (stopFd_ >= 0) ::close(stopFd_);
  inotifyFd_ = stopFd_ = -1;
}

// Watches every root and its two levels of subdirectories (namespaces, containers,
// podman's userdata); a root that does not exist yet is caught through its parent.
void Discovery::syncWatches() {
  auto add = [this](const std::string& dir) {
    const int wd = ::inotify_add_watch(inotifyFd_, dir.c_str(), kWatchMask);
    if (wd >= 0) watches_[wd] = dir;
  };
  for (const auto& source : sources_) {
    for (const auto& root : source->roots()) {
      if (!isDirectory(root)) {
        const auto slash = root.find_last_of('/');
        if (slash != std::string::npos && slash > 0 && isDirectory(root.substr(0, slash))) add(root.substr(0, slash));
        continue;
      }
      add(root);
      for (const auto& child : discovery::listDirectories(root)) {
        add(root + "/" + child);
        for (const auto& grandchild : discovery::listDirectories(root + "/" + child)) {
          add(root + "/" + child + "/" + grandchild);
        }
      }
    }
  }
}

// A pidfd per live container turns readable when its init exits: a container whose
// state stays behind (exited, not deleted) is dropped at once, not at the next rescan.
void Discovery::syncPidfds() {
  std::map<std::string, int> live;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [id, c] : byId_) live.emplace(keyOf(c), c.pid);
  }
  for (auto it = pidfds_.begin(); it != pidfds_.end();) {
    if (live.count(it->first) == 0) {
      ::close(it->second);
      it = pidfds_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [key, pid] : live) {
    if (pidfds_.count(key) != 0) continue;
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd >= 0) pidfds_[key] = fd;  // else: the periodic rescan is the safety net
  }
}

void Discovery::watch() {
  alignas(struct inotify_event) char buffer[64 * 1024];
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({inotifyFd_, POLLIN, 0});
    fds.push_back({stopFd_, POLLIN, 0});
    for (const auto& [key, fd] : pidfds_) fds.push_back({fd, POLLIN, 0});
    const int timeout = static_cast<int>(options_.rescanInterval.count());
    const int n = ::poll(fds.data(), fds.size(), timeout > 0 ? timeout : -1);
    if (n < 0 && errno != EINTR) {
      log::warn("discovery: poll: {}", std::strerror(errno));
      ::usleep(100000);
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents & POLLIN) {
      for (;;) {
        const ssize_t len = ::read(inotifyFd_, buffer, sizeof buffer);
        if (len <= 0) break;
        for (ssize_t at = 0; at < len;) {
          const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
          if (event->mask & IN_IGNORED) watches_.erase(event->wd);
          at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        }
      }
    }
    // Any change, an exited init or the interval: look again. Rescans are cheap (small
    // files), and a rescan is always right where event bookkeeping could drift.
    syncWatches();
    rescan();
    syncPidfds();
  }
}

std::vector<Container> Discovery::containers() const {
  std::shared_lock lock(mutex_);
  std::vector<Container> out;
  for (const auto& [id, c] : byId_) out.push_back(c);
  return out;
}

std::optional<Container> Discovery::byId(const std::string& id) const {
  std::shared_lock lock(mutex_);
  auto it = byId_.find(id);
  if (it == byId_.end()) return std::nullopt;
  return it->second;
}

std::optional<Container> Discovery::byCgroupId(uint64_t cgroupId) const {
  std::shared_lock lock(mutex_);
  auto it = byCgroupId_.find(cgroupId);
  if (it == byCgroupId_.end()) return std::nullopt;
  return byId_.at(it->second);
}

Result<std::optional<Container>> Discovery::resolvePid(int pid) const {
  auto path = cgroupPathOfPid(pid, options_.proc);
  if (path) {
    std::shared_lock lock(mutex_);
    for (const auto& [id, c] : byId_) {
      // The container's cgroup or one it made below it.
      if (!c.cgroupPath.empty() && c.cgroupPath != "/" &&
          (*path == c.cgroupPath || path->rfind(c.cgroupPath + "/", 0) == 0)) {
        return std::optional<Container>(c);
      }
    }
  }
  auto match = ::bulkhead::runtime::resolvePid(pid, options_.proc);
  if (!match) return std::move(match).error();
  if (!*match) return std::optional<Container>();
  Container c;
  c.id = (*match)->id;
  c.name = c.id;
  c.runtime = (*match)->runtime;
  c.podUid = (*match)->podUid;
  c.pid = pid;
  if (path) c.cgroupPath = *path;
  return std::optional<Container>(std::move(c));
}

std::vector<Error> Discovery::errors() const {
  std::shared_lock lock(mutex_);
  return errors_;
}

}  // namespace bulkhead::runtime
