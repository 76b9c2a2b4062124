#include "runtime/process_facts.h"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <optional>
#include <set>
#include <string_view>

#include <fmt/format.h>

namespace bulkhead::runtime {
namespace {

// The socket inode a /proc/PID/fd/N link names ("socket:[12345]"), or 0.
uint64_t socketInode(const std::string& link) {
  std::array<char, 64> target{};
  const ssize_t n = ::readlink(link.c_str(), target.data(), target.size() - 1);
  if (n <= 0) return 0;
  const std::string_view t(target.data(), static_cast<size_t>(n));
  if (!t.starts_with("socket:[") || !t.ends_with("]")) return 0;
  uint64_t inode = 0;
  const auto digits = t.substr(8, t.size() - 9);
  std::from_chars(digits.data(), digits.data() + digits.size(), inode);
  return inode;
}

// Inodes of listening sockets in a /proc/PID/net/tcp{,6} table (state 0A = LISTEN).
void listeningInodes(const std::string& table, std::set<uint64_t>& out) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // header
  for (int rows = 0; rows < 100000 && std::getline(in, line); ++rows) {
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
    std::array<std::string_view, 10> fields{};
    size_t count = 0;
    std::string_view rest = line;
    while (count < fields.size()) {
      const auto start = rest.find_first_not_of(' ');
      if (start == std::string_view::npos) break;
      rest.remove_prefix(start);
      const auto end = rest.find(' ');
      fields[count++] = rest.substr(0, end);
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end);
    }
    if (count < 10 || fields[3] != "0A") continue;
    uint64_t inode = 0;
    std::from_chars(fields[9].data(), fields[9].data() + fields[9].size(), inode);
    if (inode != 0) out.insert(inode);
  }
}

}  // namespace

bool stdioIsSocket(pid_t pid, const std::string& proc) {
  return socketInode(fmt::format("{}/{}/fd/0", proc, pid)) != 0 || socketInode(fmt::format("{}/{}/fd/1", proc, pid)) != 0;
}

namespace {

// Through the descriptors themselves: a copy of each socket (pidfd_getfd) asked whether it
// accepts connections. Reading /proc/PID/net/tcp instead walks the kernel's whole TCP hash
// table, milliseconds per exec on a large host. nullopt when the kernel or the
// permissions do not allow it.
std::optional<bool> listensByDescriptors(pid_t pid, const std::string& proc) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return errno == ESRCH ? std::optional<bool>(false) : std::nullopt;
  const std::string dir = fmt::format("{}/{}/fd", proc, pid);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    ::close(pidfd);
    return false;
  }
  std::optional<bool> found = false;
  int seen = 0;
  while (dirent* entry = ::readdir(d)) {
    if (entry->d_name[0] == '.' || ++seen > 65536) continue;
    if (socketInode(dir + "/" + entry->d_name) == 0) continue;
    int target = 0;
    const auto name = std::string_view(entry->d_name);
    if (std::from_chars(name.data(), name.data() + name.size(), target).ec != std::errc()) continue;
    const int fd = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, target, 0));
    if (fd < 0) {
      if (errno != ENOSYS && errno != EPERM) continue;
      found = std::nullopt;  // not allowed here: the table lookup decides
      break;
    }
    int accepting = 0, domain = 0;
    socklen_t length = sizeof accepting;
    const bool listens = ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 && accepting != 0;
    length = sizeof domain;
    const bool network = ::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) == 0 &&
                         (domain == AF_INET || domain == AF_INET6);
    ::close(fd);
    if (listens && network) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  ::close(pidfd);
  return found;
}

}  // namespace

bool holdsListeningSocket(pid_t pid, const std::string& proc) {
  if (proc == "/proc") {
    if (auto listens = listensByDescriptors(pid, proc)) return *listens;
  }
  std::set<uint64_t> listening;
  // The process's own network namespace: its view of the tables.
  listeningInodes(fmt::format("{}/{}/net/tcp", proc, pid), listening);
  listeningInodes(fmt::format("{}/{}/net/tcp6", proc, pid), listening);
  if (listening.empty()) return false;
  const std::string dir = fmt::format("{}/{}/fd", proc, pid);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return false;
  bool found = false;
  int seen = 0;
  while (dirent* entry = ::readdir(d)) {
    if (entry->d_name[0] == '.' || ++seen > 65536) continue;
    if (listening.contains(socketInode(dir + "/" + entry->d_name))) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

bool runsSetuidFile(pid_t pid, const std::string& proc) {
  struct stat st {};
  if (::stat(fmt::format("{}/{}/exe", proc, pid).c_str(), &st) != 0) return false;
  return (st.st_mode & S_ISUID) != 0;
}

}  // namespace bulkhead::runtime
