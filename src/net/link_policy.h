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

// An address DNS gave a container for a name, and the seconds it stays allowed.
struct ResolvedAddress {
  std::string address;
  std::uint32_t seconds = 0;
};

struct LinkRule {
  std::vector<std::string> addresses;  // destinations; none: the rule allows nothing
  std::string transport;               // "tcp", "udp", or "" for either
  std::uint16_t port = 0;
  // A name link ("api.example.com", "*.example.com"): the destinations are the addresses DNS
  // gives the container for it, kept in a set of the table (nameSet()) that grows as answers
  // arrive (addResolved()); `resolved` is what the set starts with.
  std::string dnsName;
  std::vector<ResolvedAddress> resolved;
};

// The set holding a DNS name's addresses of one family (AF_INET, AF_INET6) in the table.
std::string nameSet(const std::string& dnsName, int family);
// True when a name link's name ("api.example.com", "*.example.com") covers a DNS name.
bool nameMatches(const std::string& pattern, const std::string& name);
// Addresses a DNS answer gave for a name link, added to its set (again: the timeout starts anew).
Status addResolved(int pid, const std::string& dnsName, const std::vector<ResolvedAddress>& addresses);

// A profile's link ("group:web-1a2b tcp/80", "address:192.0.2.1 udp/53", "name:api.example.com
// tcp/443", "name:*.example.com tcp/443") split into its destination, transport and port.
struct ParsedLink {
  enum class Kind { Group, Address, Name };
  Kind kind = Kind::Address;
  std::string name;  // the group, the address, or the DNS name
  std::string transport;
  std::uint16_t port = 0;
};
Result<ParsedLink> parseLink(const std::string& text);

// The nft script applyLinkPolicy() runs (one replacing transaction), addresses checked. With
// name links, DNS answers from the resolvers (the destinations of the rules for port 53, and
// loopback) are queued to kDnsQueue (dns_gate.h) before the container reads them.
Result<std::string> linkPolicyScript(const std::vector<LinkRule>& rules);
Status applyLinkPolicy(int pid, const std::vector<LinkRule>& rules);
// Deletes the table; succeeds when there is none.
Status removeLinkPolicy(int pid);
// Packets rejected since the table was last applied.
Result<std::uint64_t> linkPolicyRejected(int pid);

}  // namespace bulkhead::net
