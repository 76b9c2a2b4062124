#include "agent/hook.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/json.h"
#include "core/log.h"

namespace bulkhead::agent {
namespace {

Result<sockaddr_un> addressOf(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) return makeError("hook socket path '{}' is empty or too long", path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Reads until EOF, `limit` bytes or the deadline; false on timeout, error or overflow.
bool readAll(int fd, std::string& out, size_t limit, std::chrono::steady_clock::time_point deadline) {
  char buffer[16384];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    if (out.size() + static_cast<size_t>(n) > limit) return false;
    out.append(buffer, static_cast<size_t>(n));
  }
}

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<HookServer>> HookServer::listen(const std::string& path, HookHandler handler) {
  auto addr = addressOf(path);
  if (!addr) return std::move(addr).error();
  // A directory made here is root's alone; an existing one (say /tmp) is left as it is:
  // the socket's own mode (0600, below) and the peer check guard it.
  std::error_code ec;
  const auto dir = std::filesystem::path(path).parent_path();
  if (std::filesystem::create_directories(dir, ec)) ::chmod(dir.c_str(), 0700);
  std::unique_ptr<HookServer> server(new HookServer());
  server->path_ = path;
  server->handler_ = std::move(handler);
  server->listenFd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (server->listenFd_ < 0) return makeError("hook socket: {}", std::strerror(errno));
  ::unlink(path.c_str());  // a stale socket of an earlier agent
  const mode_t old = ::umask(0077);
  const int bound = ::bind(server->listenFd_, reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_un));
  ::umask(old);
  if (bound != 0) return makeError("hook socket {}: bind: {}", path, std::strerror(errno));
  if (::listen(server->listenFd_, 64) != 0) return makeError("hook socket {}: listen: {}", path, std::strerror(errno));
  server->stopFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (server->stopFd_ < 0) return makeError("hook socket: eventfd: {}", std::strerror(errno));
  server->thread_ = std::thread([s = server.get()] { s->serve(); });
  return server;
}

HookServer::~HookServer() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    if (::write(stopFd_, &one, sizeof one) < 0) log::warn("hook socket: cannot stop its thread");
    thread_.join();
  }
  if (listenFd_ >= 0) {
    ::close(listenFd_);
    ::unlink(path_.c_str());
  }
  if (stopFd_ >= 0) ::close(stopFd_);
}

void HookServer::serve() {
  for (;;) {
    pollfd fds[2] = {{listenFd_, POLLIN, 0}, {stopFd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    answer(fd);
    ::close(fd);
  }
}

void HookServer::answer(int fd) {
  ucred peer{};
  socklen_t length = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 || peer.uid != 0) {
    writeAll(fd, "error only root may announce containers\n");
    return;
  }
  std::string text;
  if (!readAll(fd, text, kMaxHookStateBytes, std::chrono::steady_clock::now() + std::chrono::seconds(5))) {
    writeAll(fd, "error the OCI state was not sent whole within 5 s and 1 MiB\n");
    return;
  }
  auto state = parseJson(text, "OCI state from the hook", JsonLimits{kMaxHookStateBytes, 16});
  Result<std::string> reply = state ? handler_(*state) : Result<std::string>(std::move(state).error());
  std::string line = reply ? "ok " + *reply : "error " + reply.error().message;
  for (char& c : line) {
    if (c == '\n') c = ' ';
  }
  writeAll(fd, line + "\n");
}

Result<std::string> announceToAgent(const std::string& socketPath, const std::string& state,
                                    std::chrono::milliseconds timeout) {
  auto addr = addressOf(socketPath);
  if (!addr) return std::move(addr).error();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return makeError("socket: {}", std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_un)) != 0) {
    return makeError("no agent at {}: {}", socketPath, std::strerror(errno));
  }
  if (!writeAll(fd, state) || ::shutdown(fd, SHUT_WR) != 0) {
    return makeError("agent at {}: sending the state: {}", socketPath, std::strerror(errno));
  }
  std::string reply;
  if (!readAll(fd, reply, 4096, std::chrono::steady_clock::now() + timeout)) {
    return makeError("agent at {}: no answer within {} ms", socketPath, timeout.count());
  }
  while (!reply.empty() && reply.back() == '\n') reply.pop_back();
  if (reply.starts_with("ok")) return reply.size() > 3 ? reply.substr(3) : std::string();
  if (reply.starts_with("error ")) return makeError("agent: {}", reply.substr(6));
  return makeError("agent at {}: unexpected answer '{}'", socketPath, reply.substr(0, 200));
}

}  // namespace bulkhead::agent
