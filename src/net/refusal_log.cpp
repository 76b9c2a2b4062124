#include "net/refusal_log.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <vector>

#include "core/log.h"
#include "net/link_policy.h"
#include "net/namespace_sockets.h"

namespace bulkhead::net {
namespace {

// Enough of each packet for its IP header (options too) and the TCP ports.
constexpr std::uint32_t kCopyRange = 128;

// Binds the socket to the group, packets copied, each sent as it is logged.
Status bindGroup(mnl_socket* socket) {
  std::vector<char> buffer(8192);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
  nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = AF_UNSPEC;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = htons(kRefusedLogGroup);
  const nfulnl_msg_config_cmd bind{NFULNL_CFG_CMD_BIND};
  mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof bind, &bind);
  nfulnl_msg_config_mode mode{};
  mode.copy_range = htonl(kCopyRange);
  mode.copy_mode = NFULNL_COPY_PACKET;
  mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof mode, &mode);
  mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));  // no batching: one refusal, one message
  if (Status s = requestWithAck(socket, nlh); !s) return makeError("NFLOG group {}: {}", kRefusedLogGroup, s.error().message);
  return {};
}

}  // namespace

struct RefusalLog::State {
  OnRefused onRefused;
  std::vector<char> buffer = std::vector<char>(MNL_SOCKET_BUFFER_SIZE * 4);  // the sockets' thread's
  std::unique_ptr<NamespaceSockets> sockets;

  void drain(const std::string& key, mnl_socket* socket) {
    bool lost = false;
    while (const size_t got = receive(socket, buffer, lost, "refusal log", key)) {
      auto left = static_cast<int>(got);
      for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buffer.data()); mnl_nlmsg_ok(nlh, left);
           nlh = mnl_nlmsg_next(nlh, &left)) {
        if (nlh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) continue;
        const nlattr* payload = nullptr;
        const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
        for (auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
             mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr))); attr = mnl_attr_next(attr)) {
          if (mnl_attr_get_type(attr) == NFULA_PAYLOAD) payload = attr;
        }
        if (payload == nullptr) continue;
        const Bytes packet(static_cast<const std::uint8_t*>(mnl_attr_get_payload(payload)), mnl_attr_get_payload_len(payload));
        if (auto opening = tcpOpeningFromPacket(packet)) {
          onRefused(key, *opening);
        } else {
          log::warn("refusal log: container {}: {}", key, opening.error().message);
        }
      }
    }
    if (lost) log::warn("refusal log: container {}: logged refusals were lost", key);
  }
};

Result<std::unique_ptr<RefusalLog>> RefusalLog::start(OnRefused onRefused) {
  std::unique_ptr<RefusalLog> log(new RefusalLog());
  log->state_ = std::make_unique<State>();
  State& s = *log->state_;
  s.onRefused = std::move(onRefused);
  auto sockets = NamespaceSockets::start(fmt::format("NFLOG group {}", kRefusedLogGroup),
                                         [&s](const std::string& key, mnl_socket* socket) { s.drain(key, socket); });
  if (!sockets) return sockets.error();
  s.sockets = std::move(*sockets);
  return log;
}

RefusalLog::~RefusalLog() = default;

Status RefusalLog::watch(const std::string& key, int pid) { return state_->sockets->watch(key, pid, bindGroup); }
void RefusalLog::unwatch(const std::string& key) { state_->sockets->unwatch(key); }

}  // namespace bulkhead::net
