#include "net/packet_gate.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

// After the kernel headers: it uses their types.
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "core/log.h"
#include "net/namespace_sockets.h"

namespace bulkhead::net {
namespace {

constexpr std::size_t kBuffer = 0xffff + 8192;  // one packet copied whole, and its netlink headers
constexpr std::size_t kMessage = 8192;          // a configuration or verdict message
constexpr std::uint32_t kCopyRange = 0xffff;
constexpr std::uint32_t kQueueLength = 1024;

Status sendConfig(mnl_socket* socket, std::uint16_t queueNumber, const std::function<void(nlmsghdr*)>& fill) {
  std::vector<char> buffer(kMessage);
  nlmsghdr* nlh = nfq_nlmsg_put(buffer.data(), NFQNL_MSG_CONFIG, queueNumber);
  fill(nlh);
  return requestWithAck(socket, nlh);
}

// Binds the socket (made inside the namespace) to the queue.
Status bindQueue(mnl_socket* socket, std::uint16_t queueNumber, bool failOpen) {
  Status s = sendConfig(socket, queueNumber, [](nlmsghdr* nlh) { nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND); });
  if (s) {
    s = sendConfig(socket, queueNumber, [failOpen](nlmsghdr* nlh) {
      nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, kCopyRange);
      nfq_nlmsg_cfg_put_qmaxlen(nlh, kQueueLength);
      // Fail open: a full queue lets packets through rather than dropping them.
      mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(failOpen ? NFQA_CFG_F_FAIL_OPEN : 0));
      mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
    });
  }
  return s;
}

}  // namespace

struct PacketGate::State {
  std::uint16_t queue = 0;
  bool failOpen = false;
  OnPacket onPacket;
  std::atomic<std::uint64_t> packets{0}, refused{0};
  std::vector<char> buffer = std::vector<char>(kBuffer);  // the sockets' thread's
  std::unique_ptr<NamespaceSockets> sockets;

  void drain(const std::string& key, mnl_socket* socket);
};

// Every queued packet: judged by the caller, then the verdict.
void PacketGate::State::drain(const std::string& key, mnl_socket* socket) {
  struct Context {
    State* self;
    const std::string* key;
    mnl_socket* socket;
  } context{this, &key, socket};
  bool lost = false;
  while (const size_t got = receive(socket, buffer, lost, "packet gate", key)) {
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
      if (mnl_socket_sendto(c->socket, verdict, verdict->nlmsg_len) < 0) {
        log::warn("packet gate {}: container {}: verdict: {}", c->self->queue, *c->key, std::strerror(errno));
      }
      return MNL_CB_OK;
    };
    mnl_cb_run(buffer.data(), got, 0, mnl_socket_get_portid(socket), judge, &context);
  }
  if (lost) log::warn("packet gate {}: container {}: the kernel could not hand over some queued packets", queue, key);
}

Result<std::unique_ptr<PacketGate>> PacketGate::start(std::uint16_t queue, bool failOpen, OnPacket onPacket) {
  std::unique_ptr<PacketGate> gate(new PacketGate());
  gate->state_ = std::make_unique<State>();
  State& s = *gate->state_;
  s.queue = queue;
  s.failOpen = failOpen;
  s.onPacket = std::move(onPacket);
  auto sockets = NamespaceSockets::start(fmt::format("packet queue {}", queue),
                                         [&s](const std::string& key, mnl_socket* socket) { s.drain(key, socket); });
  if (!sockets) return sockets.error();
  s.sockets = std::move(*sockets);
  return gate;
}

PacketGate::~PacketGate() = default;

Status PacketGate::watch(const std::string& key, int pid) {
  const std::uint16_t queue = state_->queue;
  const bool failOpen = state_->failOpen;
  return state_->sockets->watch(key, pid, [&](mnl_socket* socket) { return bindQueue(socket, queue, failOpen); });
}

void PacketGate::unwatch(const std::string& key) { state_->sockets->unwatch(key); }
bool PacketGate::watching(const std::string& key) const { return state_->sockets->watching(key); }

std::uint64_t PacketGate::packets() const { return state_->packets; }
std::uint64_t PacketGate::refused() const { return state_->refused; }

}  // namespace bulkhead::net
