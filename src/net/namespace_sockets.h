#pragma once
// Netlink sockets made inside containers' network namespaces (a netlink socket belongs to
// the namespace it was made in, whichever thread reads it later), one per key, read by one
// thread. The packet gates (NFQUEUE), the ruleset watch (nftables notifications) and the
// refusal log (NFLOG) use it.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct mnl_socket;
struct nlmsghdr;

namespace bulkhead::net {

class NamespaceSockets {
 public:
  // Called on the thread when the socket of `key` has something to read (non-blocking).
  using OnReadable = std::function<void(const std::string& key, mnl_socket* socket)>;
  // Sets up a bound NETLINK_NETFILTER socket, inside the namespace.
  using SetUp = std::function<Status(mnl_socket* socket)>;
  // `what` names the user in messages.
  static Result<std::unique_ptr<NamespaceSockets>> start(std::string what, OnReadable onReadable);
  ~NamespaceSockets();
  NamespaceSockets(const NamespaceSockets&) = delete;
  NamespaceSockets& operator=(const NamespaceSockets&) = delete;

  // A socket in the network namespace of pid under `key` (again for the same key: nothing).
  Status watch(const std::string& key, int pid, const SetUp& setUp);
  void unwatch(const std::string& key);
  bool watching(const std::string& key) const;

 private:
  NamespaceSockets() = default;
  struct State;
  std::unique_ptr<State> state_;
};

// The next datagram waiting on a non-blocking socket (`key`'s), read into `buffer`: its
// size, or 0 when none is left (or on an error, logged as `what`'s). `lost` is set when the
// kernel dropped some for want of room (ENOBUFS); reading goes on after it.
size_t receive(mnl_socket* socket, std::vector<char>& buffer, bool& lost, std::string_view what, const std::string& key);

// Sends a configuration request and waits for its acknowledgement (5 s at most); the
// error is the kernel's (EBUSY: the queue or group is taken by another program).
Status requestWithAck(mnl_socket* socket, nlmsghdr* request);

}  // namespace bulkhead::net
