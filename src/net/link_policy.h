#pragma once
// Protect for links: the connections a container may open, enforced in the kernel by an
// nftables table of our own in its network namespace. Outbound packets pass on loopback,
// for connections already allowed (conntrack), and for each allowed link (destination
// addresses, transport and port); anything else is rejected at once (the caller sees
// "connection refused" or "no route to host") and counted. Addresses come from the group
// a link names, so the caller re-applies the table as that group's containers come and go.

#include <cstdint>
#include <optional>
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

// An L7 condition on an HTTP link: the method ("GET", or "*" for any) and the path, exact
// ("/index.html") or a prefix ending in "*" ("/api/*").
struct HttpRule {
  std::string method;
  std::string path;
  auto operator<=>(const HttpRule&) const = default;
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
  // L7 conditions: each HTTP request line sent on the link must meet one of them (checked
  // by the HTTP gate, packet_gate.h); none: the link is L4 only.
  std::vector<HttpRule> http;
};

// Who may open TCP connections to the container (Protect's inbound rules): source addresses
// and the container's port. A caller that is a group has its containers' addresses now.
// Only TCP is judged: a caller is learned from an accept, which datagrams never make.
struct CallerRule {
  std::vector<std::string> addresses;  // none: the rule allows nothing
  std::uint16_t port = 0;
};

// The set holding a DNS name's addresses of one family (AF_INET, AF_INET6) in the table.
std::string nameSet(const std::string& dnsName, int family);
// True when a name link's name ("api.example.com", "*.example.com") covers a DNS name.
bool nameMatches(const std::string& pattern, const std::string& name);
// Addresses a DNS answer gave for a name link, added to its set (again: the timeout starts anew).
Status addResolved(int pid, const std::string& dnsName, const std::vector<ResolvedAddress>& addresses);

// A profile's link ("group:web-1a2b tcp/80", "address:192.0.2.1 udp/53", "name:api.example.com
// tcp/443", "name:*.example.com tcp/443") split into its destination, transport and port.
// A link may carry an L7 condition: "group:web-1a2b tcp/80 http GET /api/*" (the same link
// without it is the L4 link it narrows).
struct ParsedLink {
  enum class Kind { Group, Address, Name };
  Kind kind = Kind::Address;
  std::string name;  // the group, the address, or the DNS name
  std::string transport;
  std::uint16_t port = 0;
  std::optional<HttpRule> http;
  std::string base;  // the text of the L4 link ("group:web-1a2b tcp/80")
};
Result<ParsedLink> parseLink(const std::string& text);
// A profile's caller ("group:client-1a2b tcp/6379", "address:10.0.0.7 tcp/80"): who opened a
// connection to the group, and on which of its ports. TCP only, no DNS name, no condition.
Result<ParsedLink> parseCaller(const std::string& text);

// L7: the condition learned from a request (the path's first segment: "/api/v1/users/7" ->
// "/api/*"; "/" and "/index.html" stay whole), the link text that carries it, and whether a
// request meets any of a link's conditions.
HttpRule httpRuleFor(const std::string& method, const std::string& path);
std::string httpLinkText(const std::string& base, const HttpRule& rule);
bool httpAllowed(const std::vector<HttpRule>& rules, const std::string& method, const std::string& path);

inline constexpr std::uint16_t kRefusedLogGroup = 16970;

// The nft script applyLinkPolicy() runs (one replacing transaction), addresses checked. With
// name links, DNS answers from the resolvers (the destinations of the rules for port 53, and
// loopback) are queued to kDnsQueue (packet_gate.h) before the container reads them; with L7
// conditions, requests on those links are queued to kHttpQueue. Inbound, a TCP connection
// from loopback or from a caller passes; any other is reset at its SYN, counted, and its
// source and port are kept a while for refusedCallers(), the first SYN of each logged to
// NFLOG group kRefusedLogGroup (refusal_log.h).
Result<std::string> linkPolicyScript(const std::vector<LinkRule>& rules, const std::vector<CallerRule>& callers = {});
// Returns the table as linkPolicyListing() lists it, read in the same visit.
Result<std::string> applyLinkPolicy(int pid, const std::vector<LinkRule>& rules, const std::vector<CallerRule>& callers = {});
// Deletes the table (and the queue rules); succeeds when there is none.
Status removeLinkPolicy(int pid);
// True when the namespace holds the table (left by an agent that stopped, say).
Result<bool> hasLinkPolicy(int pid);
// The links table as listed without what changes by itself (set elements, counter values):
// equal listings mean the same rules. Empty when the table is not there.
Result<std::string> linkPolicyListing(int pid);
// Packets the table's counter ("rejected": outbound; "refused_callers": inbound) counted
// since the table was last applied.
Result<std::uint64_t> linkPolicyRejected(int pid, const std::string& counter = "rejected");
// The connections refused inbound in the last hour: each source address and port once
// ("address:10.0.0.9 tcp/6379" is {"10.0.0.9", 6379}), at most the table's 4096 per family.
struct RefusedCaller {
  std::string address;
  std::uint16_t port = 0;
  auto operator<=>(const RefusedCaller&) const = default;
};
Result<std::vector<RefusedCaller>> refusedCallers(int pid);

}  // namespace bulkhead::net
