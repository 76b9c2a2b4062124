#include "net/dns_gate.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

// After the kernel headers: it uses their types.
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "core/log.h"
#include "net/nft.h"
#include "net/protocol/dns.h"

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

Status sendConfig(mnl_socket* socket, const std::function<void(nlmsghdr*)>& fill) {
  std::vector<char> buffer(kMessage);
  nlmsghdr* nlh = nfq_nlmsg_put(buffer.data(), NFQNL_MSG_CONFIG, kDnsQueue);
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

// A netlink socket bound to kDnsQueue, made on a thread inside the namespace (a netlink
// socket belongs to the namespace it was made in, whichever thread reads it later).
Result<std::shared_ptr<Queue>> openQueue(int pid) {
  auto queue = std::make_shared<Queue>();
  Status made = inNetworkNamespace(pid, "DNS answer queue", [&]() -> Status {
    queue->socket = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (queue->socket == nullptr) return makeError("netlink socket: {}", std::strerror(errno));
    if (mnl_socket_bind(queue->socket, 0, MNL_SOCKET_AUTOPID) < 0) return makeError("netlink bind: {}", std::strerror(errno));
    queue->portId = mnl_socket_get_portid(queue->socket);
    // Blocking for the configuration's acknowledgements, then back to non-blocking.
    const int fd = mnl_socket_get_fd(queue->socket);
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    Status s = sendConfig(queue->socket, [](nlmsghdr* nlh) { nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND); });
    if (s) {
      s = sendConfig(queue->socket, [](nlmsghdr* nlh) {
        nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, kCopyRange);
        nfq_nlmsg_cfg_put_qmaxlen(nlh, kQueueLength);
        // A full queue lets answers through rather than dropping them.
        mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_FAIL_OPEN));
        mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
      });
    }
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    return s;
  });
  if (!made) return made.error();
  return queue;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

Result<DnsAnswer> dnsAnswerFromPacket(Bytes packet) {
  if (packet.empty()) return makeError("an empty packet");
  std::size_t udpAt = 0;
  const unsigned version = packet[0] >> 4;
  if (version == 4) {
    if (packet.size() < 20) return makeError("an IPv4 header cut short ({} bytes)", packet.size());
    if (packet[9] != IPPROTO_UDP) return makeError("IPv4 protocol {}, not UDP", packet[9]);
    if ((packet[6] & 0x3f) != 0 || packet[7] != 0) return makeError("an IPv4 fragment");
    udpAt = std::size_t{packet[0] & 0x0fu} * 4;
    if (udpAt < 20) return makeError("an IPv4 header length of {}", udpAt);
  } else if (version == 6) {
    if (packet.size() < 40) return makeError("an IPv6 header cut short ({} bytes)", packet.size());
    if (packet[6] != IPPROTO_UDP) return makeError("IPv6 next header {}, not UDP", packet[6]);
    udpAt = 40;
  } else {
    return makeError("IP version {}", version);
  }
  ByteReader udp(packet.subspan(std::min(udpAt, packet.size())));
  std::uint16_t source = 0, dest = 0, length = 0, checksum = 0;
  if (!udp.be16(source) || !udp.be16(dest) || !udp.be16(length) || !udp.be16(checksum)) {
    return makeError("a UDP header cut short");
  }
  if (source != 53) return makeError("UDP from port {}, not 53", source);
  Bytes body = udp.rest();
  if (length >= 8 && length - 8u < body.size()) body = body.subspan(0, length - 8u);
  DnsMessage m;
  if (!readDnsMessage(body, m) || !m.isResponse()) return makeError("not a DNS response");
  DnsAnswer answer;
  answer.qname = lower(m.qname);
  if (m.rcode() != 0) return answer;
  readDnsAnswers(body, m);
  for (const auto& r : m.answers) {
    if (r.type == 1 || r.type == 28) answer.addresses.push_back({r.data, r.ttl});
  }
  return answer;
}

struct DnsGate::State {
  OnAnswer onAnswer;
  int epoll = -1, wake = -1;
  std::thread thread;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> answers{0};
  mutable std::mutex mutex;  // guards the maps
  std::map<std::string, std::shared_ptr<Queue>> byKey;
  std::map<int, std::pair<std::string, std::shared_ptr<Queue>>> byFd;

  void run();
  void drain(const std::string& key, Queue& q, std::vector<char>& buffer);
};

void DnsGate::State::run() {
  std::vector<char> buffer(kBuffer);
  epoll_event events[16];
  while (!stop) {
    const int n = ::epoll_wait(epoll, events, 16, -1);
    if (n < 0 && errno != EINTR) {
      log::warn("DNS gate: epoll: {}", std::strerror(errno));
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

// Every queued packet: read the answer, hand it over, then let it through.
void DnsGate::State::drain(const std::string& key, Queue& q, std::vector<char>& buffer) {
  struct Context {
    State* self;
    const std::string* key;
    Queue* queue;
  } context{this, &key, &q};
  for (;;) {
    const ssize_t got = mnl_socket_recvfrom(q.socket, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        log::warn("DNS gate: container {}: netlink receive: {}", key, std::strerror(errno));
      }
      return;
    }
    const auto onPacket = [](const nlmsghdr* nlh, void* data) -> int {
      auto* c = static_cast<Context*>(data);
      nlattr* attr[NFQA_MAX + 1] = {};
      if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == nullptr) return MNL_CB_OK;
      const auto* header = static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attr[NFQA_PACKET_HDR]));
      const std::uint32_t id = ntohl(header->packet_id);
      if (attr[NFQA_PAYLOAD] != nullptr) {
        const Bytes packet(static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr[NFQA_PAYLOAD])),
                           mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]));
        auto answer = dnsAnswerFromPacket(packet);
        if (answer && !answer->addresses.empty()) {
          ++c->self->answers;
          c->self->onAnswer(*c->key, *answer);
        } else if (!answer) {
          log::debug("DNS gate: container {}: {}", *c->key, answer.error().message);
        }
      }
      char out[kMessage];
      nlmsghdr* verdict = nfq_nlmsg_put(out, NFQNL_MSG_VERDICT, kDnsQueue);
      nfq_nlmsg_verdict_put(verdict, static_cast<int>(id), NF_ACCEPT);
      if (mnl_socket_sendto(c->queue->socket, verdict, verdict->nlmsg_len) < 0) {
        log::warn("DNS gate: container {}: verdict: {}", *c->key, std::strerror(errno));
      }
      return MNL_CB_OK;
    };
    mnl_cb_run(buffer.data(), static_cast<size_t>(got), 0, q.portId, onPacket, &context);
  }
}

Result<std::unique_ptr<DnsGate>> DnsGate::start(OnAnswer onAnswer) {
  std::unique_ptr<DnsGate> gate(new DnsGate());
  gate->state_ = std::make_unique<State>();
  State& s = *gate->state_;
  s.onAnswer = std::move(onAnswer);
  s.epoll = ::epoll_create1(EPOLL_CLOEXEC);
  s.wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s.epoll < 0 || s.wake < 0) return makeError("DNS gate: {}", std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = s.wake;
  ::epoll_ctl(s.epoll, EPOLL_CTL_ADD, s.wake, &ev);
  s.thread = std::thread([&s] { s.run(); });
  return gate;
}

DnsGate::~DnsGate() {
  if (!state_) return;
  state_->stop = true;
  const std::uint64_t one = 1;
  if (::write(state_->wake, &one, sizeof one) < 0) log::debug("DNS gate: wake: {}", std::strerror(errno));
  if (state_->thread.joinable()) state_->thread.join();
  ::close(state_->wake);
  ::close(state_->epoll);
}

Status DnsGate::watch(const std::string& key, int pid) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->byKey.contains(key)) return {};
  }
  auto queue = openQueue(pid);
  if (!queue) return queue.error();
  std::lock_guard lock(state_->mutex);
  const int fd = mnl_socket_get_fd((*queue)->socket);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(state_->epoll, EPOLL_CTL_ADD, fd, &ev) != 0) return makeError("DNS gate: epoll: {}", std::strerror(errno));
  state_->byKey[key] = *queue;
  state_->byFd[fd] = {key, *queue};
  return {};
}

void DnsGate::unwatch(const std::string& key) {
  std::lock_guard lock(state_->mutex);
  const auto it = state_->byKey.find(key);
  if (it == state_->byKey.end()) return;
  const int fd = mnl_socket_get_fd(it->second->socket);
  ::epoll_ctl(state_->epoll, EPOLL_CTL_DEL, fd, nullptr);
  state_->byFd.erase(fd);
  state_->byKey.erase(it);  // closed once the thread is done with it
}

bool DnsGate::watching(const std::string& key) const {
  std::lock_guard lock(state_->mutex);
  return state_->byKey.contains(key);
}

std::uint64_t DnsGate::answers() const { return state_->answers; }

}  // namespace bulkhead::net
