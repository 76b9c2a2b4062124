#pragma once
// What the sensor reports: one flat, typed event per kernel observation. The sensor
// (eBPF ring buffer) fills everything but `container`; the resolver sets that from the
// cgroup ID. Rules and profiles judge Events, so they are testable without a kernel.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bulkhead::runtime {

enum class EventKind : uint8_t {
  kExec,     // path, argv, parent (ppid, parentComm), uid; flags = the executable's mode
             // (S_ISUID ...), targetId = its inode (0 when the sensor could not read them)
  kExit,     // exitCode
  kOpen,     // path, flags (open flags); only write intent or sensitive paths
  kConnect,  // family, address, port (remote); flags: the socket's IP protocol (6 TCP, 17 UDP)
  kAccept,   // family, address, port (remote peer), localPort; flags: IP protocol
  kListen,   // family, address, port (local)
  kSetuid,   // targetId = new uid (setuid/setreuid/setresuid/setfsuid)
  kSetgid,   // targetId = new gid
  kCapset,   // flags = effective capability bits (low 32), targetId = pid
  kPtrace,   // flags = request, targetId = target pid
  kMount,    // path = target, detail = source, flags = mount flags
  kModule,   // path = module name or file (init_module/finit_module)
  kSetns,    // flags = nstype
  kUnshare,  // flags = unshare flags
  kIoUring,  // an io_uring ring set up: targetId = submission queue entries, flags = setup flags
  // Path changes, every call (targetId = its result: 0, or -errno); names made absolute
  // and worked out by their text (no ".", ".." or "//").
  kRename,   // path = new name, detail = old name, flags = renameat2 flags
  kUnlink,   // path = the name removed, flags = AT_REMOVEDIR for a directory
  kLink,     // path = new name, detail = the file linked (a hard link)
  kSymlink,  // path = the link, detail = its content (a relative one from the link's directory)
  kChmod,    // path = the file (absolute, worked out by its text), flags = the mode asked for
             // (07777 bits), targetId = the result: 0, or -errno
  kChown,    // path = the file (as kChmod), flags = the owner asked for | the group << 32
             // (0xffffffff: left as is), targetId = the result: 0, or -errno
  kSocket,   // a packet (AF_PACKET) or raw socket: family, flags = type, targetId = protocol
  kBpf,      // bpf(2) loading or attaching a program: flags = the command (5 BPF_PROG_LOAD,
             // 8 BPF_PROG_ATTACH, 17 BPF_RAW_TRACEPOINT_OPEN, 28 BPF_LINK_CREATE), targetId =
             // the program type (load) or attach type, detail = the program's or tracepoint's name
};

std::string_view eventKindName(EventKind kind);
// An open's flags ask to change the file.
bool opensForWrite(uint64_t openFlags);
struct Event;
// The event changes what is at its path: an open for writing, a path change or a mode
// change, refused ones too but not one whose name did not exist (what learning and the
// write rules look at).
bool writesPath(const Event& e);
bool parseEventKind(std::string_view name, EventKind& out);
// The event carries its call's result in Event::result: the kinds reported at a system
// call's exit, and their io_uring requests at completion (a ring's connect is reported at
// submission, before it has one).
bool hasResult(const Event& e);

struct Event {
  EventKind kind = EventKind::kExec;
  int64_t timeNs = 0;      // ns since the epoch (CLOCK_REALTIME)
  uint32_t pid = 0;        // thread group ID (host PID namespace)
  uint32_t tid = 0;
  uint32_t ppid = 0;
  uint32_t uid = 0;        // real uid
  uint32_t euid = 0;       // effective uid (a set-user-ID program's owner)
  uint32_t gid = 0;
  uint64_t cgroupId = 0;   // cgroup2 ID of the task
  std::string comm;        // task name
  std::string parentComm;  // parent's task name (exec)
  std::string path;        // exec binary, opened file, mount target, module
  std::string detail;      // mount source, socket path, ...
  std::vector<std::string> argv;  // exec
  uint64_t flags = 0;      // open flags, mount flags, ns type, ptrace request, caps
  int64_t targetId = 0;    // new uid/gid, ptrace target pid
  int32_t exitCode = 0;    // exit
  // The call's result (0, an fd, or -errno) where it is reported at the call's exit
  // (hasResult): connect, setuid, setgid, capset, ptrace, mount, module, setns, unshare,
  // socket, bpf.
  int64_t result = 0;
  uint16_t family = 0;     // AF_INET, AF_INET6, AF_UNIX
  std::string address;     // textual IP (or unix socket path)
  uint16_t port = 0;       // remote port (connect/accept) or local port (listen)
  uint16_t localPort = 0;
  std::string container;   // container ID, set by the resolver; empty on the host
  // Set by the agent from its service graph, and recorded for replay: the link a connect
  // opened ("group:redis-1a2b3c4d tcp/6379") and the caller an accepted TCP connection came
  // from ("group:web-5e6f7a8b tcp/80"), as profiles list them; empty when the graph has none.
  std::string link;
  std::string caller;
  bool fileless = false;   // exec: the executable has no link on any file system (memfd, deleted)
  bool killed = false;     // exec: killed by the sensor before its first instruction (Protect)
  bool unguarded = false;  // exec: from a mount the exec guard had not marked yet (so killed)
  bool ioUring = false;    // open, connect, accept, listen: made through an io_uring ring
};

}  // namespace bulkhead::runtime
