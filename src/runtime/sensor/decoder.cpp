#include "runtime/sensor/decoder.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>
#include <filesystem>
#include <ctime>
#include <string_view>

#include "runtime/bpf/sensor_abi.h"

namespace bulkhead::runtime {
namespace {

static_assert(sizeof(bh_record) == 128, "the record layout is shared with sensor.bpf.c");

}  // namespace

bool eventKindOfRecord(uint16_t raw, EventKind& kind) {
  switch (raw) {
    case BH_EXEC: kind = EventKind::kExec; return true;
    case BH_EXIT: kind = EventKind::kExit; return true;
    case BH_OPEN: kind = EventKind::kOpen; return true;
    case BH_CONNECT: kind = EventKind::kConnect; return true;
    case BH_ACCEPT: kind = EventKind::kAccept; return true;
    case BH_LISTEN: kind = EventKind::kListen; return true;
    case BH_SETUID: kind = EventKind::kSetuid; return true;
    case BH_SETGID: kind = EventKind::kSetgid; return true;
    case BH_CAPSET: kind = EventKind::kCapset; return true;
    case BH_PTRACE: kind = EventKind::kPtrace; return true;
    case BH_MOUNT: kind = EventKind::kMount; return true;
    case BH_MODULE: kind = EventKind::kModule; return true;
    case BH_SETNS: kind = EventKind::kSetns; return true;
    case BH_UNSHARE: kind = EventKind::kUnshare; return true;
    case BH_IO_URING: kind = EventKind::kIoUring; return true;
    case BH_RENAME: kind = EventKind::kRename; return true;
    case BH_UNLINK: kind = EventKind::kUnlink; return true;
    case BH_LINK: kind = EventKind::kLink; return true;
    case BH_SYMLINK: kind = EventKind::kSymlink; return true;
    case BH_CHMOD: kind = EventKind::kChmod; return true;
    case BH_SOCKET: kind = EventKind::kSocket; return true;
    case BH_BPF: kind = EventKind::kBpf; return true;
    case BH_CHOWN: kind = EventKind::kChown; return true;
    default: return false;
  }
}

namespace {

// A fixed char array that may or may not hold a NUL.
std::string_view fixedString(const char* chars, size_t size) {
  return {chars, strnlen(chars, size)};
}

// argv arrives NUL-separated; the last argument may be cut short without its NUL.
void splitArgv(std::string_view block, std::vector<std::string>& argv) {
  size_t count = 0;
  while (!block.empty() && count < BH_ARGV_COUNT) {
    size_t end = block.find('\0');
    std::string_view arg = block.substr(0, end);
    if (count < argv.size()) {
      argv[count].assign(arg);
    } else {
      argv.emplace_back(arg);
    }
    ++count;
    block = end == std::string_view::npos ? std::string_view{} : block.substr(end + 1);
  }
  argv.resize(count);
}

void setAddress(const bh_record& rec, std::string_view detail, Event& out) {
  char text[INET6_ADDRSTRLEN] = {};
  if (rec.family == AF_INET) {
    if (inet_ntop(AF_INET, rec.addr, text, sizeof(text))) out.address.assign(text);
  } else if (rec.family == AF_INET6) {
    if (inet_ntop(AF_INET6, rec.addr, text, sizeof(text))) out.address.assign(text);
  } else if (rec.family == AF_UNIX) {
    // Abstract names are shown the way ss and netstat show them: '@' for the leading NUL.
    if (rec.addr_flags & BH_ADDR_ABSTRACT) out.address.assign("@");
    out.address.append(detail);
  }
}

// An absolute name with ".", ".." and "//" worked out by its text (as the kernel would if
// no symlink stood in it), so `/tmp/../usr/bin/ls` is /usr/bin/ls; other names unchanged.
std::string lexicalPath(std::string_view name) {
  if (name.empty() || name[0] != '/') return std::string(name);
  std::string normal = std::filesystem::path(name).lexically_normal().string();
  if (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

// A path change's names, made absolute by the kernel side, worked out by their text; a
// symlink's content is read from the link's directory, as the kernel reads it when used.
void setChangedPaths(EventKind kind, std::string_view path, std::string_view detail, Event& out) {
  out.path = lexicalPath(path);
  if (kind == EventKind::kSymlink && !detail.empty() && detail[0] != '/' && !out.path.empty() && out.path[0] == '/') {
    const std::string dir = out.path.substr(0, out.path.rfind('/') + 1);
    out.detail = lexicalPath(dir + std::string(detail));
  } else {
    out.detail = lexicalPath(detail);
  }
}

// The wait status the kernel keeps: exit status, or minus the signal that ended the task.
int32_t exitStatus(int32_t waitStatus) {
  int signal = waitStatus & 0x7f;
  return signal != 0 ? -signal : (waitStatus >> 8) & 0xff;
}

}  // namespace

int64_t bootToRealtimeOffsetNs() {
  timespec real{}, boot{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  return (int64_t{real.tv_sec} - boot.tv_sec) * 1'000'000'000 + (real.tv_nsec - boot.tv_nsec);
}

Status decodeRecord(std::span<const uint8_t> record, int64_t bootToRealtimeNs, Event& out) {
  bh_record rec;
  if (record.size() < sizeof(rec)) {
    return makeError("sensor record: {} bytes, shorter than its {}-byte header", record.size(),
                     sizeof(rec));
  }
  std::memcpy(&rec, record.data(), sizeof(rec));  // the ring buffer gives 8-byte alignment only
  if (rec.size < sizeof(rec) || rec.size > record.size()) {
    return makeError("sensor record: size field {} does not fit the {} bytes received", rec.size,
                     record.size());
  }
  size_t strings = size_t{rec.path_len} + rec.detail_len + rec.argv_len;
  if (strings > rec.size - sizeof(rec) || rec.path_len >= BH_PATH_MAX ||
      rec.detail_len >= BH_PATH_MAX || rec.argv_len > BH_ARGV_MAX) {
    return makeError("sensor record: string lengths {}+{}+{} overrun the {}-byte record",
                     rec.path_len, rec.detail_len, rec.argv_len, rec.size);
  }
  EventKind kind;
  if (!eventKindOfRecord(rec.kind, kind)) return makeError("sensor record: unknown kind {}", rec.kind);

  const char* data = reinterpret_cast<const char*>(record.data()) + sizeof(rec);
  std::string_view path(data, rec.path_len);
  std::string_view detail(data + rec.path_len, rec.detail_len);
  std::string_view argv(data + rec.path_len + rec.detail_len, rec.argv_len);

  out.kind = kind;
  out.timeNs = static_cast<int64_t>(rec.time_boot_ns) + bootToRealtimeNs;
  out.pid = rec.pid;
  out.tid = rec.tid;
  out.ppid = rec.ppid;
  out.uid = rec.uid;
  out.euid = rec.euid;
  out.gid = rec.gid;
  out.cgroupId = rec.cgroup_id;
  out.comm.assign(fixedString(rec.comm, sizeof(rec.comm)));
  out.parentComm.assign(fixedString(rec.parent_comm, sizeof(rec.parent_comm)));
  out.path.assign(path);
  out.detail.clear();
  out.address.clear();
  out.flags = rec.flags;
  out.targetId = rec.target;
  out.exitCode = 0;
  out.family = 0;
  out.port = 0;
  out.localPort = 0;
  out.container.clear();
  out.fileless = kind == EventKind::kExec && (rec.addr_flags & BH_EXEC_FILELESS) != 0;
  out.killed = kind == EventKind::kExec && (rec.addr_flags & BH_EXEC_KILLED) != 0;
  out.unguarded = kind == EventKind::kExec && (rec.addr_flags & BH_EXEC_UNGUARDED) != 0;
  out.ioUring = kind != EventKind::kExec && (rec.addr_flags & BH_VIA_IO_URING) != 0;
  out.result = hasResult(out) ? rec.exit_code : 0;
  splitArgv(argv, out.argv);

  switch (kind) {
    case EventKind::kExit:
      out.exitCode = exitStatus(rec.exit_code);
      out.flags = static_cast<uint32_t>(rec.exit_code);  // the raw wait status
      break;
    case EventKind::kConnect:
    case EventKind::kAccept:
    case EventKind::kListen:
      out.family = rec.family;
      out.port = rec.port;
      out.localPort = rec.local_port;
      setAddress(rec, detail, out);
      break;
    case EventKind::kSocket:
      out.family = rec.family;
      break;
    case EventKind::kRename:
    case EventKind::kUnlink:
    case EventKind::kLink:
    case EventKind::kSymlink:
    case EventKind::kChmod:
    case EventKind::kChown:
      setChangedPaths(kind, path, detail, out);
      break;
    default:
      out.detail.assign(detail);
      break;
  }
  return {};
}

}  // namespace bulkhead::runtime
