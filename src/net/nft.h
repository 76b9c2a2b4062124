#pragma once
// What the network rules share: running code inside a container's network namespace (a
// short-lived thread joins it, so the caller's threads never move), a libnftables context
// with its output and errors captured, and addresses checked before they reach a script.

#include <nftables/libnftables.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"

namespace bulkhead::net {

// Runs `work` on a thread that has joined the network namespace of `pid`. Errors name the
// pid and `what` was being done. Needs CAP_SYS_ADMIN.
Status inNetworkNamespace(int pid, std::string_view what, const std::function<Status()>& work);

// True when two /proc/.../ns/net paths are the same namespace.
bool sameNetworkNamespace(const std::string& a, const std::string& b);

// One libnftables context in the namespace the calling thread is in.
class Nft {
 public:
  Nft();
  ~Nft();
  Nft(const Nft&) = delete;
  Nft& operator=(const Nft&) = delete;
  // Runs `commands` (one transaction); JSON output when `json`; `outputFlags` adds
  // NFT_CTX_OUTPUT_* flags (terse, stateless).
  Result<std::string> run(const std::string& commands, bool json, unsigned outputFlags = 0);

 private:
  nft_ctx* ctx_;
};

// "10.1.2.3", "10.1.2.0/24", "fd00::/64" as {AF_INET or AF_INET6, canonical text with host
// bits cleared}: nothing but a parsed address ever reaches an nft script.
Result<std::pair<int, std::string>> nftAddress(const std::string& text);

}  // namespace bulkhead::net
