#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <vector>

#include "bind_guard.skel.h"
#include "runtime/bpf/bind_guard_abi.h"
#include "runtime/enforce/listen_guard.h"

namespace bulkhead::runtime {
namespace {

static_assert(sizeof(bh_bind_key) == 16);
static_assert(sizeof(bh_bind_denial) == 64 && offsetof(bh_bind_denial, comm) == 44);

std::string errnoText(int err) { return std::strerror(err < 0 ? -err : err); }

int64_t clockNs(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

struct Enforced {
  uint64_t cgroupId = 0;
  std::set<uint16_t> ports;
  bpf_link* bind4 = nullptr;
  bpf_link* bind6 = nullptr;
};

class CgroupListenGuard final : public ListenGuard {
 public:
  explicit CgroupListenGuard(std::function<void(const BindDenial&)> onDenied) : onDenied_(std::move(onDenied)) {}

  ~CgroupListenGuard() override {
    for (auto& [id, e] : byContainer_) detach(e);
    if (ring_ != nullptr) ring_buffer__free(ring_);
    if (skel_ != nullptr) bind_guard_bpf__destroy(skel_);
  }

  Status open() {
    skel_ = bind_guard_bpf__open_and_load();
    if (skel_ == nullptr) return makeError("listen guard: cannot load its cgroup/bind programs: {}", errnoText(errno));
    ring_ = ring_buffer__new(bpf_map__fd(skel_->maps.denials), &CgroupListenGuard::onRecord, this, nullptr);
    if (ring_ == nullptr) return makeError("listen guard: ring buffer: {}", errnoText(errno));
    return {};
  }

  Status protect(const std::string& container, const std::string& cgroupDir, uint64_t cgroupId,
                 const std::set<uint16_t>& ports) override {
    std::lock_guard lock(mutex_);
    return protectLocked(container, cgroupDir, cgroupId, ports);
  }

  void release(const std::string& container) override {
    std::lock_guard lock(mutex_);
    releaseLocked(container);
  }

  bool protects(const std::string& container) const override {
    std::lock_guard lock(mutex_);
    return byContainer_.contains(container);
  }

  // Denials are collected under the lock and reported after it: the callback may take the
  // caller's locks, which are held around protect() and release().
  Status poll(int timeoutMs) override {
    std::vector<BindDenial> denials;
    {
      std::lock_guard lock(mutex_);
      collected_ = &denials;
      const int n = timeoutMs > 0 ? ring_buffer__poll(ring_, timeoutMs) : ring_buffer__consume(ring_);
      collected_ = nullptr;
      released_.clear();
      stats_.denied += denials.size();
      if (n < 0 && n != -EINTR) return makeError("listen guard: ring buffer: {}", errnoText(n));
    }
    for (const BindDenial& d : denials) onDenied_(d);
    return {};
  }

  ListenGuardStats stats() const override {
    std::lock_guard lock(mutex_);
    ListenGuardStats s = stats_;
    const int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) return s;
    std::vector<uint64_t> perCpu(static_cast<size_t>(cpus));
    const uint32_t zero = 0;
    if (bpf_map__lookup_elem(skel_->maps.unreported, &zero, sizeof zero, perCpu.data(),
                             perCpu.size() * sizeof(uint64_t), 0) == 0) {
      for (uint64_t n : perCpu) s.unreported += n;
    }
    return s;
  }

 private:
  Status protectLocked(const std::string& container, const std::string& cgroupDir, uint64_t cgroupId,
                       const std::set<uint16_t>& ports) {
    if (cgroupId == 0) return makeError("listen guard: container {} has no cgroup2 ID", container);
    auto [it, inserted] = byContainer_.try_emplace(container);
    Enforced& e = it->second;
    if (!inserted && e.cgroupId != cgroupId) {  // same ID, new container: start over
      releaseLocked(container);
      return protectLocked(container, cgroupDir, cgroupId, ports);
    }
    e.cgroupId = cgroupId;
    // Ports allowed now go in before those no longer allowed go out: nothing allowed
    // before and after is refused in between.
    for (uint16_t port : ports) {
      if (e.ports.contains(port)) continue;
      if (Status s = setPort(cgroupId, port, true); !s) {
        if (inserted) releaseLocked(container);  // an update keeps what was in force
        return s;
      }
      e.ports.insert(port);
    }
    for (auto p = e.ports.begin(); p != e.ports.end();) {
      if (ports.contains(*p)) {
        ++p;
        continue;
      }
      (void)setPort(cgroupId, *p, false);
      p = e.ports.erase(p);
    }
    if (e.bind4 == nullptr) {
      const int fd = ::open(cgroupDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) {
        const int err = errno;
        releaseLocked(container);
        return makeError("listen guard: {}: {}", cgroupDir, errnoText(err));
      }
      e.bind4 = bpf_program__attach_cgroup(skel_->progs.bind4, fd);
      const int err4 = errno;
      e.bind6 = e.bind4 != nullptr ? bpf_program__attach_cgroup(skel_->progs.bind6, fd) : nullptr;
      const int err6 = errno;
      ::close(fd);
      if (e.bind4 == nullptr || e.bind6 == nullptr) {
        const int err = e.bind4 == nullptr ? err4 : err6;
        releaseLocked(container);  // (e is gone after this)
        return makeError("listen guard: cannot attach to {}: {}", cgroupDir, errnoText(err));
      }
    }
    const uint8_t one = 1;
    if (bpf_map__update_elem(skel_->maps.protected_cgroups, &cgroupId, sizeof cgroupId, &one, sizeof one, BPF_ANY)) {
      const int err = errno;
      releaseLocked(container);
      return makeError("listen guard: protecting cgroup {}: {}", cgroupId, errnoText(err));
    }
    byCgroup_[cgroupId] = container;
    return {};
  }

  void releaseLocked(const std::string& container) {
    const auto it = byContainer_.find(container);
    if (it == byContainer_.end()) return;
    Enforced& e = it->second;
    (void)bpf_map__delete_elem(skel_->maps.protected_cgroups, &e.cgroupId, sizeof e.cgroupId, 0);
    for (uint16_t port : e.ports) (void)setPort(e.cgroupId, port, false);
    detach(e);
    // Denials still in the ring buffer are reported under the container's name.
    if (auto c = byCgroup_.find(e.cgroupId); c != byCgroup_.end() && c->second == container) released_[e.cgroupId] = container;
    byCgroup_.erase(e.cgroupId);
    byContainer_.erase(it);
  }

  Status setPort(uint64_t cgroupId, uint16_t port, bool allowed) {
    bh_bind_key key{};
    key.cgroup_id = cgroupId;
    key.port = port;
    const uint8_t one = 1;
    const int err = allowed ? bpf_map__update_elem(skel_->maps.allowed_ports, &key, sizeof key, &one, sizeof one, BPF_ANY)
                            : bpf_map__delete_elem(skel_->maps.allowed_ports, &key, sizeof key, 0);
    if (err && allowed) return makeError("listen guard: allowing port {} for cgroup {}: {}", port, cgroupId, errnoText(err));
    return {};
  }

  static void detach(Enforced& e) {
    bpf_link__destroy(e.bind4);
    bpf_link__destroy(e.bind6);
    e.bind4 = e.bind6 = nullptr;
  }

  static int onRecord(void* self, void* data, size_t size) {
    auto* guard = static_cast<CgroupListenGuard*>(self);
    if (size < sizeof(bh_bind_denial)) return 0;
    bh_bind_denial r;
    std::memcpy(&r, data, sizeof r);
    BindDenial d;
    if (auto c = guard->byCgroup_.find(r.cgroup_id); c != guard->byCgroup_.end()) {
      d.container = c->second;
    } else if (auto gone = guard->released_.find(r.cgroup_id); gone != guard->released_.end()) {
      d.container = gone->second;
    } else {
      return 0;  // a container released before this call's poll: its name is gone
    }
    d.pid = static_cast<pid_t>(r.pid);
    d.uid = r.uid;
    d.comm.assign(r.comm, strnlen(r.comm, sizeof r.comm));
    d.port = r.port;
    d.family = r.family;
    char text[INET6_ADDRSTRLEN] = {};
    if (inet_ntop(r.family == AF_INET6 ? AF_INET6 : AF_INET, r.addr, text, sizeof text) != nullptr) d.address = text;
    d.timeNs = clockNs(CLOCK_REALTIME) - (clockNs(CLOCK_MONOTONIC) - static_cast<int64_t>(r.time_ns));
    if (guard->collected_ != nullptr) guard->collected_->push_back(std::move(d));
    return 0;
  }

  std::function<void(const BindDenial&)> onDenied_;
  bind_guard_bpf* skel_ = nullptr;
  ring_buffer* ring_ = nullptr;
  std::map<std::string, Enforced> byContainer_;
  std::map<uint64_t, std::string> byCgroup_;
  std::map<uint64_t, std::string> released_;  // since the last poll
  ListenGuardStats stats_;
  std::vector<BindDenial>* collected_ = nullptr;  // during poll()
  mutable std::mutex mutex_;
};

}  // namespace

Result<std::unique_ptr<ListenGuard>> makeCgroupListenGuard(std::function<void(const BindDenial&)> onDenied) {
  auto guard = std::make_unique<CgroupListenGuard>(std::move(onDenied));
  if (Status s = guard->open(); !s) return s.error();
  return std::unique_ptr<ListenGuard>(std::move(guard));
}

}  // namespace bulkhead::runtime
