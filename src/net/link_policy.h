#pragma once
// Protect for links: the connections a container may open, enforced in the kernel by an
// nftables table of our own in its network namespace. Outbound packets pass on loopback,
// for connections already allowed (conntrack), and for each allowed link (destination
// addresses, transport and port); anything else is rejected at once (the caller sees
// "connection refused" or "no route to host") and counted. Addresses come from the group
// a link names, so the caller re-applies the table as that group's containers come and go.

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace bulkhead::net {

inline constexpr const char* kLinkTable = "bulkhead_links";

struct LinkRule {
  std::vector<std::string> addresses;  // destinations; none: the rule allows nothing
  std::string transport;               // "tcp", "udp", or "" for either
  std::uint16_t port = 0;
};

// A profile's link ("group:web-1a2b tcp/80", "address:192.0.2.1 udp/53", "name:api.example.com
// tcp/443") split into its destination, transport and port.
struct ParsedLink {
  enum class Kind { Group, Address, Name };
  Kind kind = Kind::Address;
  std::string name;  // the group, the address, or the DNS name
  std::string transport;
  std::uint16_t port = 0;
};
Result<ParsedLink> parseLink(const std::string& text);

// The nft script applyLinkPolicy() runs (one replacing transaction), addresses checked.
Result<std::string> linkPolicyScript(const std::vector<LinkRule>& rules);
Status applyLinkPolicy(int pid, const std::vector<LinkRule>& rules);
// Deletes the table; succeeds when there is none.
Status removeLinkPolicy(int pid);
// Packets rejected since the table was last applied.
Result<std::uint64_t> linkPolicyRejected(int pid);

}  // namespace bulkhead::net
