#pragma once
// Changes to nftables in containers' network namespaces, as they are made: a netlink socket
// made in each namespace joins its nftables group, and one thread calls back with the key of
// the namespace where a table, chain, rule, set or object was added or deleted. A container
// with CAP_NET_ADMIN can change the rules Protect put in its namespace; this is how the
// agent knows at once. Changes of set elements alone are not reported (the agent adds
// those itself as DNS answers come); a lost notification (a full socket) is reported as a
// change.

#include <functional>
#include <memory>
#include <string>

#include "core/result.h"

namespace bulkhead::net {

class RulesetWatch {
 public:
  // Called on the watch's thread, once per batch of messages read from a namespace.
  using OnChange = std::function<void(const std::string& key)>;
  static Result<std::unique_ptr<RulesetWatch>> start(OnChange onChange);
  ~RulesetWatch();
  RulesetWatch(const RulesetWatch&) = delete;
  RulesetWatch& operator=(const RulesetWatch&) = delete;

  // Watches the network namespace of pid under `key` (again for the same key: nothing).
  Status watch(const std::string& key, int pid);
  void unwatch(const std::string& key);

 private:
  RulesetWatch() = default;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bulkhead::net
