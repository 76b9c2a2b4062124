#include "net/ruleset_watch.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "net/namespace_sockets.h"

namespace bulkhead::net {
namespace {

// True when the messages read announce more than set elements (and the generation that
// closes each batch).
bool announcesRules(const char* data, size_t size) {
  auto left = static_cast<int>(size);
  for (auto* nlh = reinterpret_cast<const nlmsghdr*>(data); mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
    if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES) continue;
    const unsigned type = NFNL_MSG_TYPE(nlh->nlmsg_type);
    if (type != NFT_MSG_NEWSETELEM && type != NFT_MSG_DELSETELEM && type != NFT_MSG_NEWGEN) return true;
  }
  return false;
}

}  // namespace

struct RulesetWatch::State {
  OnChange onChange;
  std::vector<char> buffer = std::vector<char>(MNL_SOCKET_BUFFER_SIZE * 4);  // the sockets' thread's
  std::unique_ptr<NamespaceSockets> sockets;

  // Everything the socket holds; one call back when any of it changed rules.
  void drain(const std::string& key, mnl_socket* socket) {
    bool changed = false, lost = false;
    while (const size_t got = receive(socket, buffer, lost, "nftables notifications", key)) {
      changed = changed || announcesRules(buffer.data(), got);
    }
    if (changed || lost) onChange(key);  // lost notifications: anything may have changed
  }
};

Result<std::unique_ptr<RulesetWatch>> RulesetWatch::start(OnChange onChange) {
  std::unique_ptr<RulesetWatch> watch(new RulesetWatch());
  watch->state_ = std::make_unique<State>();
  State& s = *watch->state_;
  s.onChange = std::move(onChange);
  auto sockets = NamespaceSockets::start("nftables notifications",
                                         [&s](const std::string& key, mnl_socket* socket) { s.drain(key, socket); });
  if (!sockets) return sockets.error();
  s.sockets = std::move(*sockets);
  return watch;
}

RulesetWatch::~RulesetWatch() = default;

Status RulesetWatch::watch(const std::string& key, int pid) {
  return state_->sockets->watch(key, pid, [](mnl_socket* socket) -> Status {
    int group = NFNLGRP_NFTABLES;
    if (mnl_socket_setsockopt(socket, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
      return makeError("joining the nftables group: {}", std::strerror(errno));
    }
    return {};
  });
}

void RulesetWatch::unwatch(const std::string& key) { state_->sockets->unwatch(key); }

}  // namespace bulkhead::net
