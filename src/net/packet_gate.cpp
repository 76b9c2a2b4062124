#include "net/packet_gate.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

// After the kernel headers: it uses their types.
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "core/log.h"
#include "net/nft.h"

namespace bulkhead::net {
namespace {

constexpr std::size_t kBuffer = 0xffff + 8192;  // one packet copied whole, and its netlink headers
constexpr std::size_t kMessage = 8192;          // a configuration or verdict message
constexpr std::uint32_t kCopyRange = 0xffff;
constexpr std::uint32_t kQueueLength = 1024;

// One queue in one namespace. Shared with the gate's thread, which may still be reading it
// when unwatch() drops it from the map.
struct Queue {
  mnl_socket* socket = nullptr;
  unsigned portId = 0;
  ~Queue() {
    if (socket != nullptr) mnl_socket_close(socket);
  }
};

Status sendConfig(mnl_socket* socket, std::uint16_t queueNumber, const std::function<void(nlmsghdr*)>& fill) {
  std::vector<char> buffer(kMessage);
  nlmsghdr* nlh = nfq_nlmsg_put(buffer.data(), NFQNL_MSG_CONFIG, queueNumber);
  fill(nlh);
  nlh->nlmsg_flags |= NLM_F_ACK;
  if (mnl_socket_sendto(socket, nlh, nlh->nlmsg_len) < 0) return makeError("netlink send: {}", std::strerror(errno));
  const ssize_t got = mnl_socket_recvfrom(socket, buffer.data(), buffer.size());
  if (got < 0) return makeError("netlink receive: {}", std::strerror(errno));
  if (mnl_cb_run(buffer.data(), static_cast<size_t>(got), 0, mnl_socket_get_portid(socket), nullptr, nullptr) < 0) {
    return makeError("{}", errno == EBUSY ? "the queue is taken by another program" : std::strerror(errno));
  }
  return {};
}

// A netlink socket bound to the queue, made on a thread inside the namespace (a netlink
// socket belongs to the namespace it was made in, whichever thread reads it later).
Result<std::shared_ptr<Queue>> openQueue(int pid, std::uint16_t queueNumber, bool failOpen) {
  auto queue = std::make_shared<Queue>();
  Status made = inNetworkNamespace(pid, fmt::format("packet queue {}", queueNumber), [&]() -> Status {
    queue->socket = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (queue->socket == nullptr) return makeError("netlink socket: {}", std::strerror(errno));
    if (mnl_socket_bind(queue->socket, 0, MNL_SOCKET_AUTOPID) < 0) return makeError("netlink bind: {}", std::strerror(errno));
    queue->portId = mnl_socket_get_portid(queue->socket);
    // Blocking for the configuration's acknowledgements, then back to non-blocking.
    const int fd = mnl_socket_get_fd(queue->socket);
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    Status s = sendConfig(queue->socket, queueNumber,
                          [](nlmsghdr* nlh) { nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND); });
    if (s) {
      s = sendConfig(queue->socket, queueNumber, [failOpen](nlmsghdr* nlh) {
        nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, kCopyRange);
        nfq_nlmsg_cfg_put_qmaxlen(nlh, kQueueLength);
        // Fail open: a full queue lets packets through rather than dropping them.
        mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(failOpen ? NFQA_CFG_F_FAIL_OPEN : 0));
        mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
      });
    }
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    return s;
  });
  if (!made) return made.error();
  return queue;
}

}  // namespace

struct PacketGate::State {
  std::uint16_t queue = 0;
  bool failOpen = false;
  OnPacket onPacket;
  int epoll = -1, wake = -1;
  std::thread thread;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> packets{0}, refused{0};
  mutable std::mutex mutex;  // guards the maps
  std::map<std::string, std::shared_ptr<Queue>> byKey;
  std::map<int, std::pair<std::string, std::shared_ptr<Queue>>> byFd;

  void run();
  void drain(const std::string& key, Queue& q, std::vector<char>& buffer);
};

void PacketGate::State::run() {
  std::vector<char> buffer(kBuffer);
  epoll_event events[16];
  while (!stop) {
    const int n = ::epoll_wait(epoll, events, 16, -1);
    if (n < 0 && errno != EINTR) {
      log::warn("packet gate {}: epoll: {}", queue, std::strerror(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == wake) continue;
      std::string key;
      std::shared_ptr<Queue> q;
      {
        std::lock_guard lock(mutex);
        const auto it = byFd.find(events[i].data.fd);
        if (it == byFd.end()) continue;
        key = it->second.first;
        q = it->second.second;
      }
      drain(key, *q, buffer);
    }
  }
}

// Every queued packet: judged by the caller, then the verdict.
void PacketGate::State::drain(const std::string& key, Queue& q, std::vector<char>& buffer) {
  struct Context {
    State* self;
    const std::string* key;
    Queue* queue;
  } context{this, &key, &q};
  for (;;) {
    const ssize_t got = mnl_socket_recvfrom(q.socket, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        log::warn("packet gate {}: container {}: netlink receive: {}", queue, key, std::strerror(errno));
      }
      return;
    }
    const auto judge = [](const nlmsghdr* nlh, void* data) -> int {
      auto* c = static_cast<Context*>(data);
      nlattr* attr[NFQA_MAX + 1] = {};
      if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == nullptr) return MNL_CB_OK;
      const auto* header = static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attr[NFQA_PACKET_HDR]));
      const std::uint32_t id = ntohl(header->packet_id);
      Verdict v = Verdict::kAccept;
      if (attr[NFQA_PAYLOAD] != nullptr) {
        const Bytes packet(static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr[NFQA_PAYLOAD])),
                           mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]));
        ++c->self->packets;
        v = c->self->onPacket(*c->key, packet);
      }
      char out[kMessage];
      nlmsghdr* verdict = nfq_nlmsg_put(out, NFQNL_MSG_VERDICT, c->self->queue);
      if (v == Verdict::kRefuse) {
        // Back through the hook with the mark: the rule before the queue rejects it.
        ++c->self->refused;
        nfq_nlmsg_verdict_put(verdict, static_cast<int>(id), NF_REPEAT);
        nfq_nlmsg_verdict_put_mark(verdict, kRefusedMark);
      } else {
        nfq_nlmsg_verdict_put(verdict, static_cast<int>(id), NF_ACCEPT);
      }
      if (mnl_socket_sendto(c->queue->socket, verdict, verdict->nlmsg_len) < 0) {
        log::warn("packet gate {}: container {}: verdict: {}", c->self->queue, *c->key, std::strerror(errno));
      }
      return MNL_CB_OK;
    };
    mnl_cb_run(buffer.data(), static_cast<size_t>(got), 0, q.portId, judge, &context);
  }
}

Result<std::unique_ptr<PacketGate>> PacketGate::start(std::uint16_t queue, bool failOpen, OnPacket onPacket) {
  std::unique_ptr<PacketGate> gate(new PacketGate());
  gate->state_ = std::make_unique<State>();
  State& s = *gate->state_;
  s.queue = queue;
  s.failOpen = failOpen;
  s.onPacket = std::move(onPacket);
  s.epoll = ::epoll_create1(EPOLL_CLOEXEC);
  s.wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s.epoll < 0 || s.wake < 0) return makeError("packet gate {}: {}", queue, std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = s.wake;
  ::epoll_ctl(s.epoll, EPOLL_CTL_ADD, s.wake, &ev);
  s.thread = std::thread([&s] { s.run(); });
  return gate;
}

PacketGate::~PacketGate() {
  if (!state_) return;
  state_->stop = true;
  const std::uint64_t one = 1;
  if (::write(state_->wake, &one, sizeof one) < 0) log::debug("packet gate: wake: {}", std::strerror(errno));
  if (state_->thread.joinable()) state_->thread.join();
  ::close(state_->wake);
  ::close(state_->epoll);
}

Status PacketGate::watch(const std::string& key, int pid) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->byKey.contains(key)) return {};
  }
  auto queue = openQueue(pid, state_->queue, state_->failOpen);
  if (!queue) return queue.error();
  std::lock_guard lock(state_->mutex);
  const int fd = mnl_socket_get_fd((*queue)->socket);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(state_->epoll, EPOLL_CTL_ADD, fd, &ev) != 0) return makeError("packet gate {}: epoll: {}", state_->queue, std::strerror(errno));
  state_->byKey[key] = *queue;
  state_->byFd[fd] = {key, *queue};
  return {};
}

void PacketGate::unwatch(const std::string& key) {
  std::lock_guard lock(state_->mutex);
  const auto it = state_->byKey.find(key);
  if (it == state_->byKey.end()) return;
  const int fd = mnl_socket_get_fd(it->second->socket);
  ::epoll_ctl(state_->epoll, EPOLL_CTL_DEL, fd, nullptr);
  state_->byFd.erase(fd);
  state_->byKey.erase(it);  // closed once the thread is done with it
}

bool PacketGate::watching(const std::string& key) const {
  std::lock_guard lock(state_->mutex);
  return state_->byKey.contains(key);
}

std::uint64_t PacketGate::packets() const { return state_->packets; }
std::uint64_t PacketGate::refused() const { return state_->refused; }

}  // namespace bulkhead::net
