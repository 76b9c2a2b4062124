#pragma once
// The eBPF sensor: loads the tracepoint programs of src/runtime/bpf/sensor.bpf.c, keeps
// their filters (cgroup scope, sensitive paths) and turns the ring buffer into Events.
//
//   auto sensor = Sensor::open(options);   // load: needs root (CAP_BPF) and kernel BTF
//   sensor->watchCgroup(id);               // when options.scope is kWatchedCgroups
//   sensor->start();                       // attach
//   while (running) sensor->poll(100, [](const Event& e) { ... });
//
// One thread polls; watchCgroup/unwatchCgroup and stats() may be called from any thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "runtime/event.h"

namespace bulkhead::runtime {

enum class SensorScope {
  kAll,             // every task on the host (but the sensor's own process)
  kWatchedCgroups,  // only tasks in a cgroup passed to watchCgroup()
};

// Reads of files under these prefixes are reported; other reads stay in the kernel.
// Writes (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC) are always reported, /proc/sys/ included.
const std::vector<std::string>& defaultSensitivePrefixes();

struct SensorOptions {
  SensorScope scope = SensorScope::kAll;
  uint32_t ringBufferBytes = 8u << 20;  // rounded up to a power of two, at least one page
  // Records are read in batches: the kernel wakes the reader only when a quarter of the
  // ring buffer waits, and poll() reads what waits at least every batchMs. 0: a wake-up per
  // record (lowest latency; on this project's VMs it doubled the agent's cost per exec).
  uint32_t batchMs = 10;
  // An open that repeats one reported less than this long ago (same process, path and
  // write flags) is counted in SensorStats::merged instead of sent again: a process that
  // writes one file in a loop costs one record a second, not one per open. 0: report all.
  uint32_t repeatWindowMs = 1000;
  std::vector<std::string> sensitivePrefixes = defaultSensitivePrefixes();  // < 128 bytes each
  // Kernels without module support have no *init_module tracepoints and cannot load a
  // module at all. Attempts can still be seen through raw_syscalls/sys_exit, but that
  // runs a program on every system call of every process (dd at bs=500 measured about
  // 45 % slower on the host): off unless asked for.
  bool moduleAttemptsWithoutModuleSupport = false;
  // Kernel objects on the open path by helper reads even where the kernel allows plain
  // loads (bpf_rdonly_cast, 6.2 and later): what older kernels run, for tests of that path.
  bool helperReads = false;
};

struct SensorStats {
  uint64_t received = 0;   // records decoded and handed to the callback
  uint64_t malformed = 0;  // records the decoder rejected
  uint64_t dropped = 0;    // records lost in the kernel: ring buffer full
  std::vector<std::pair<EventKind, uint64_t>> droppedByKind;  // only kinds with drops
  uint64_t merged = 0;     // repeats counted in the kernel, not sent (repeatWindowMs)
  std::vector<std::pair<EventKind, uint64_t>> mergedByKind;
};

// Protect's kills in the kernel for one cgroup: an exec the exec guard cannot judge is
// killed before its first instruction (Event::killed).
struct ExecKills {
  bool fileless = false;  // a file with no link, in memory (a memfd): no mark can cover it
  // A file on neither the root file system nor one of mountIds: a mount made since the
  // guard last marked (Event::unguarded).
  bool unguarded = false;
  uint64_t rootDev = 0;              // st_dev of the root file system, whose superblock is marked
  std::vector<uint64_t> mountIds;    // the other mounts marked (statx STATX_MNT_ID)
};

// One tracepoint program and whether it is attached (an agent logs this at start).
struct SensorHook {
  std::string program;     // handle_openat
  std::string tracepoint;  // syscalls/sys_exit_openat
  bool attached = false;
  std::string note;        // why not, or why a fallback
  bool covered = false;    // not attached by design: another hook sees the same calls
};

class Sensor {
 public:
  static Result<std::unique_ptr<Sensor>> open(const SensorOptions& options);
  ~Sensor();
  Sensor(const Sensor&) = delete;
  Sensor& operator=(const Sensor&) = delete;

  // Attaches every program whose tracepoint the kernel has. Fails if exec could not attach.
  Status start();
  // Waits up to timeoutMs (with batching: up to min(timeoutMs, batchMs)) for records and
  // calls onEvent for each (the Event is reused: copy what you keep). Returns the number
  // of events delivered.
  Result<int> poll(int timeoutMs, const std::function<void(const Event&)>& onEvent);

  Status watchCgroup(uint64_t cgroupId);
  Status unwatchCgroup(uint64_t cgroupId);
  // Protect: which execs of this cgroup's tasks are killed in the kernel; all false: none.
  Status setExecKills(uint64_t cgroupId, const ExecKills& kills);
  // A sensitive file by its identity (dev and ino as stat gives them): a read that opens
  // it by a name no sensitive prefix covers (a hard link, a renamed file, a host file
  // through a mount) is reported as a read of `path` (< 128 bytes), with the name it was
  // reached by in Event::detail. Adding one known replaces its path.
  Status watchFileIdentity(uint64_t dev, uint64_t ino, std::string_view path);
  Status unwatchFileIdentity(uint64_t dev, uint64_t ino);

  SensorStats stats() const;
  const std::vector<SensorHook>& hooks() const { return hooks_; }
  int epollFd() const;  // readable when records are waiting, for an agent's own event loop

 private:
  struct Bpf;
  Sensor() = default;
  static int onRecord(void* self, void* data, size_t size);
  void bumpWatchGeneration();

  std::unique_ptr<Bpf> bpf_;
  std::vector<SensorHook> hooks_;
  std::mutex killsMutex_;
  std::map<uint64_t, std::set<uint64_t>> guardedKeys_;  // per cgroup: its guarded_mounts ids
  std::mutex identityMutex_;
  std::set<std::pair<uint64_t, uint64_t>> identities_;  // (kernel dev, ino) in sensitive_inodes
  std::map<uint32_t, int> identitySlots_;  // ino_filter bits in use: how many identities each
  Event event_;  // reused for every record
  const std::function<void(const Event&)>* onEvent_ = nullptr;
  int64_t bootToRealtimeNs_ = 0;
  int delivered_ = 0;
  int batchMs_ = 0;
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> malformed_{0};
};

}  // namespace bulkhead::runtime
