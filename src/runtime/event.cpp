#include "runtime/event.h"

#include <errno.h>
#include <fcntl.h>

#include <array>
#include <utility>

namespace bulkhead::runtime {
namespace {

constexpr std::array<std::pair<EventKind, std::string_view>, 23> kNames{{
    {EventKind::kExec, "exec"},       {EventKind::kExit, "exit"},
    {EventKind::kOpen, "open"},       {EventKind::kConnect, "connect"},
    {EventKind::kAccept, "accept"},   {EventKind::kListen, "listen"},
    {EventKind::kSetuid, "setuid"},   {EventKind::kSetgid, "setgid"},
    {EventKind::kCapset, "capset"},   {EventKind::kPtrace, "ptrace"},
    {EventKind::kMount, "mount"},     {EventKind::kModule, "module"},
    {EventKind::kSetns, "setns"},     {EventKind::kUnshare, "unshare"},
    {EventKind::kIoUring, "io_uring"}, {EventKind::kRename, "rename"},
    {EventKind::kUnlink, "unlink"},   {EventKind::kLink, "link"},
    {EventKind::kSymlink, "symlink"}, {EventKind::kChmod, "chmod"},
    {EventKind::kSocket, "socket"},   {EventKind::kBpf, "bpf"},
    {EventKind::kChown, "chown"},
}};

}  // namespace

std::string_view eventKindName(EventKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

bool opensForWrite(uint64_t openFlags) {
  return (openFlags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) != 0;
}

bool writesPath(const Event& e) {
  switch (e.kind) {
    case EventKind::kOpen: return opensForWrite(e.flags);
    case EventKind::kRename:
    case EventKind::kUnlink:
    case EventKind::kLink:
    case EventKind::kSymlink:
    case EventKind::kChmod:
    case EventKind::kChown: return e.targetId != -ENOENT;  // a refused attempt counts, a missing name not
    default: return false;
  }
}

bool parseEventKind(std::string_view name, EventKind& out) {
  for (const auto& [k, n] : kNames) {
    if (n == name) {
      out = k;
      return true;
    }
  }
  return false;
}

bool hasResult(const Event& e) {
  if (e.ioUring && e.kind == EventKind::kConnect) return false;
  switch (e.kind) {
    case EventKind::kConnect:
    case EventKind::kSetuid:
    case EventKind::kSetgid:
    case EventKind::kCapset:
    case EventKind::kPtrace:
    case EventKind::kMount:
    case EventKind::kModule:
    case EventKind::kSetns:
    case EventKind::kUnshare:
    case EventKind::kSocket:
    case EventKind::kBpf: return true;
    default: return false;
  }
}

}  // namespace bulkhead::runtime
