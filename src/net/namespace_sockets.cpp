#include "net/namespace_sockets.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/log.h"
#include "net/nft.h"

namespace bulkhead::net {
namespace {

// Shared with the thread, which may still be reading it when unwatch() drops it.
struct Socket {
  mnl_socket* socket = nullptr;
  ~Socket() {
    if (socket != nullptr) mnl_socket_close(socket);
  }
};

}  // namespace

struct NamespaceSockets::State {
  std::string what;
  OnReadable onReadable;
  int epoll = -1, wake = -1;
  std::thread thread;
  std::atomic<bool> stop{false};
  mutable std::mutex mutex;  // guards the maps
  std::map<std::string, std::shared_ptr<Socket>> byKey;
  std::map<int, std::pair<std::string, std::shared_ptr<Socket>>> byFd;

  void run() {
    epoll_event events[16];
    while (!stop) {
      const int n = ::epoll_wait(epoll, events, 16, -1);
      if (n < 0 && errno != EINTR) {
        log::warn("{}: epoll: {}", what, std::strerror(errno));
        return;
      }
      for (int i = 0; i < n; ++i) {
        std::pair<std::string, std::shared_ptr<Socket>> found;
        {
          std::lock_guard lock(mutex);
          const auto it = byFd.find(events[i].data.fd);
          if (it == byFd.end()) continue;
          found = it->second;
        }
        onReadable(found.first, found.second->socket);
      }
    }
  }
};

Result<std::unique_ptr<NamespaceSockets>> NamespaceSockets::start(std::string what, OnReadable onReadable) {
  std::unique_ptr<NamespaceSockets> sockets(new NamespaceSockets());
  sockets->state_ = std::make_unique<State>();
  State& s = *sockets->state_;
  s.what = std::move(what);
  s.onReadable = std::move(onReadable);
  s.epoll = ::epoll_create1(EPOLL_CLOEXEC);
  s.wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s.epoll < 0 || s.wake < 0) return makeError("{}: {}", s.what, std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = s.wake;
  ::epoll_ctl(s.epoll, EPOLL_CTL_ADD, s.wake, &ev);
  s.thread = std::thread([&s] { s.run(); });
  return sockets;
}

NamespaceSockets::~NamespaceSockets() {
  if (!state_) return;
  state_->stop = true;
  const std::uint64_t one = 1;
  if (::write(state_->wake, &one, sizeof one) < 0) log::debug("{}: wake: {}", state_->what, std::strerror(errno));
  if (state_->thread.joinable()) state_->thread.join();
  ::close(state_->wake);
  ::close(state_->epoll);
}

Status NamespaceSockets::watch(const std::string& key, int pid, const SetUp& setUp) {
  if (watching(key)) return {};
  auto socket = std::make_shared<Socket>();
  Status made = inNetworkNamespace(pid, state_->what, [&]() -> Status {
    socket->socket = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (socket->socket == nullptr) return makeError("netlink socket: {}", std::strerror(errno));
    if (mnl_socket_bind(socket->socket, 0, MNL_SOCKET_AUTOPID) < 0) return makeError("netlink bind: {}", std::strerror(errno));
    return setUp(socket->socket);
  });
  if (!made) return made.error();
  std::lock_guard lock(state_->mutex);
  const int fd = mnl_socket_get_fd(socket->socket);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(state_->epoll, EPOLL_CTL_ADD, fd, &ev) != 0) return makeError("{}: epoll: {}", state_->what, std::strerror(errno));
  state_->byKey[key] = socket;
  state_->byFd[fd] = {key, socket};
  return {};
}

void NamespaceSockets::unwatch(const std::string& key) {
  std::lock_guard lock(state_->mutex);
  const auto it = state_->byKey.find(key);
  if (it == state_->byKey.end()) return;
  const int fd = mnl_socket_get_fd(it->second->socket);
  ::epoll_ctl(state_->epoll, EPOLL_CTL_DEL, fd, nullptr);
  state_->byFd.erase(fd);
  state_->byKey.erase(it);  // closed once the thread is done with it
}

size_t receive(mnl_socket* socket, std::vector<char>& buffer, bool& lost, std::string_view what, const std::string& key) {
  for (;;) {
    const ssize_t got = mnl_socket_recvfrom(socket, buffer.data(), buffer.size());
    if (got > 0) return static_cast<size_t>(got);
    if (got < 0 && errno == ENOBUFS) {
      lost = true;
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      log::warn("{}: container {}: netlink receive: {}", what, key, std::strerror(errno));
    }
    return 0;
  }
}

Status requestWithAck(mnl_socket* socket, nlmsghdr* request) {
  request->nlmsg_flags |= NLM_F_ACK;
  if (mnl_socket_sendto(socket, request, request->nlmsg_len) < 0) return makeError("netlink send: {}", std::strerror(errno));
  pollfd ready{mnl_socket_get_fd(socket), POLLIN, 0};  // the socket may be non-blocking
  if (::poll(&ready, 1, 5000) != 1) return makeError("netlink: no acknowledgement in 5 s");
  std::vector<char> buffer(8192);
  const ssize_t got = mnl_socket_recvfrom(socket, buffer.data(), buffer.size());
  if (got < 0) return makeError("netlink receive: {}", std::strerror(errno));
  if (mnl_cb_run(buffer.data(), static_cast<size_t>(got), 0, mnl_socket_get_portid(socket), nullptr, nullptr) < 0) {
    return makeError("{}", errno == EBUSY ? "taken by another program" : std::strerror(errno));
  }
  return {};
}

bool NamespaceSockets::watching(const std::string& key) const {
  std::lock_guard lock(state_->mutex);
  return state_->byKey.contains(key);
}

}  // namespace bulkhead::net
