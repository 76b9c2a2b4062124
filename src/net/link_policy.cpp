#include "net/link_policy.h"

#include <sys/socket.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <charconv>

#include "core/json.h"
#include "core/process.h"
#include "net/dns_gate.h"
#include "net/nft.h"

namespace bulkhead::net {
namespace {

constexpr std::uint32_t kMinNameSeconds = 60;         // an answer's addresses stay at least this long
constexpr std::uint32_t kMaxNameSeconds = 24 * 3600;  // and at most this long
constexpr const char* kDnsChain = "BULKHEAD-DNS";

std::string portMatch(const LinkRule& r) {
  if (r.transport == "tcp" || r.transport == "udp") return fmt::format("{} dport {}", r.transport, r.port);
  return fmt::format("meta l4proto {{ tcp, udp }} th dport {}", r.port);
}

std::uint32_t clampSeconds(std::uint32_t s) { return std::clamp(s, kMinNameSeconds, kMaxNameSeconds); }

// "A timeout Ns, B timeout Ms" for the addresses of one family, checked.
Result<std::string> elementList(const std::vector<ResolvedAddress>& addresses, int family) {
  std::string out;
  for (const auto& a : addresses) {
    auto address = nftAddress(a.address);
    if (!address) return std::move(address).error();
    if (address->first != family || address->second.find('/') != std::string::npos) continue;
    out += fmt::format("{}{} timeout {}s", out.empty() ? "" : ", ", address->second, clampSeconds(a.seconds));
  }
  return out;
}

// The resolvers whose answers are queued: the destinations of the rules for port 53.
std::vector<std::string> resolvers(const std::vector<LinkRule>& rules, int family) {
  std::vector<std::string> out;
  for (const auto& r : rules) {
    if (r.port != 53 || r.transport == "tcp") continue;
    for (const auto& a : r.addresses) {
      if (auto address = nftAddress(a); address && address->first == family) out.push_back(address->second);
    }
  }
  return out;
}

// The queue rules for DNS answers, in iptables-restore form (the kernels we run on have the
// NFQUEUE target through nft's xtables compatibility, not nft's own queue expression). The
// chain is ours; declaring it flushes it, so applying again replaces its rules.
std::string dnsQueueRules(const std::vector<std::string>& from) {
  std::string out = fmt::format("*filter\n:{} - [0:0]\n", kDnsChain);
  const std::string target = fmt::format("-j NFQUEUE --queue-num {} --queue-bypass", kDnsQueue);
  out += fmt::format("-A {} -i lo -p udp --sport 53 {}\n", kDnsChain, target);
  for (const auto& a : from) out += fmt::format("-A {} -s {} -p udp --sport 53 {}\n", kDnsChain, a, target);
  return out + "COMMIT\n";
}

// Runs in the container's namespace (on inNetworkNamespace's thread): the queue rules for
// both families, or none.
Status applyDnsQueue(const std::vector<LinkRule>& rules, bool on) {
  for (const auto& [family, tool] : {std::pair{AF_INET, std::string("iptables")}, std::pair{AF_INET6, std::string("ip6tables")}}) {
    if (on) {
      if (auto s = runProgram({tool + "-restore", "--noflush", "-w"}, dnsQueueRules(resolvers(rules, family))); !s) return s;
      if (!runProgram({tool, "-w", "-C", "INPUT", "-j", kDnsChain})) {
        if (auto s = runProgram({tool, "-w", "-I", "INPUT", "-j", kDnsChain}); !s) return s;
      }
    } else if (runProgram({tool, "-w", "-C", "INPUT", "-j", kDnsChain})) {
      if (auto s = runProgram({tool, "-w", "-D", "INPUT", "-j", kDnsChain}); !s) return s;
      if (auto s = runProgram({tool, "-w", "-F", kDnsChain}); !s) return s;
      if (auto s = runProgram({tool, "-w", "-X", kDnsChain}); !s) return s;
    }
  }
  return {};
}

bool hasNames(const std::vector<LinkRule>& rules) {
  return std::any_of(rules.begin(), rules.end(), [](const LinkRule& r) { return !r.dnsName.empty(); });
}

}  // namespace

std::string nameSet(const std::string& dnsName, int family) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a: a set name nft accepts for any DNS name
  for (const unsigned char c : dnsName) h = (h ^ c) * 1099511628211ULL;
  return fmt::format("name_{:016x}_{}", h, family == AF_INET6 ? 6 : 4);
}

bool nameMatches(const std::string& pattern, const std::string& name) {
  if (pattern.starts_with("*.")) {
    const std::string_view suffix = std::string_view(pattern).substr(1);  // ".example.com"
    return name.size() > suffix.size() && name.ends_with(suffix);
  }
  return pattern == name;
}

Status addResolved(int pid, const std::string& dnsName, const std::vector<ResolvedAddress>& addresses) {
  std::string script;
  for (const auto& a : addresses) {
    auto address = nftAddress(a.address);
    if (!address) return makeError("pid {}: links: {}", pid, address.error().message);
    const std::string set = nameSet(dnsName, address->first);
    // An element already there keeps its old timeout when added again: delete it first (the
    // add just before makes the delete safe when it was not there).
    script += fmt::format("add element inet {0} {1} {{ {2} }}\ndelete element inet {0} {1} {{ {2} }}\n"
                          "add element inet {0} {1} {{ {2} timeout {3}s }}\n",
                          kLinkTable, set, address->second, clampSeconds(a.seconds));
  }
  if (script.empty()) return {};
  return inNetworkNamespace(pid, "links for " + dnsName, [&]() -> Status {
    Nft nft;
    if (auto s = nft.run(script, false); !s) return makeError("nftables refused the addresses: {}", s.error().message);
    return {};
  });
}

Result<ParsedLink> parseLink(const std::string& text) {
  const auto fail = [&](std::string_view why) { return makeError("link \"{}\": {}", text.substr(0, 200), why); };
  const auto space = text.find(' ');
  const auto colon = text.find(':');
  if (space == std::string::npos || colon == std::string::npos || colon > space) {
    return fail("not \"group:G PROTO/PORT\", \"address:A PROTO/PORT\" or \"name:N PROTO/PORT\"");
  }
  ParsedLink link;
  const std::string kind = text.substr(0, colon);
  if (kind != "group" && kind != "address" && kind != "name") return fail("the destination is not group:, address: or name:");
  link.kind = kind == "group" ? ParsedLink::Kind::Group : kind == "name" ? ParsedLink::Kind::Name : ParsedLink::Kind::Address;
  link.name = text.substr(colon + 1, space - colon - 1);
  const std::string service = text.substr(space + 1);
  const auto slash = service.find('/');
  if (link.name.empty() || slash == std::string::npos) return fail("no destination or no PROTO/PORT");
  link.transport = service.substr(0, slash);
  if (link.transport != "tcp" && link.transport != "udp" && link.transport != "ip") {
    return fail("the transport is not tcp, udp or ip");
  }
  if (link.transport == "ip") link.transport.clear();
  if (link.kind != ParsedLink::Kind::Address) {  // group IDs (name-hash) and DNS names
    const bool wildcard = link.kind == ParsedLink::Kind::Name && link.name.starts_with("*.") && link.name.size() > 2;
    for (const char c : std::string_view(link.name).substr(wildcard ? 2 : 0)) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
        return fail("the group or name is not letters, digits, '-', '_' and '.' (a name may start with \"*.\")");
      }
    }
  }
  unsigned port = 0;
  const std::string digits = service.substr(slash + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) {
    return fail("the port is not 1 to 65535");
  }
  link.port = static_cast<std::uint16_t>(port);
  if (link.kind == ParsedLink::Kind::Address) {
    auto address = nftAddress(link.name);
    if (!address) return fail(address.error().message);
  }
  return link;
}

Result<std::string> linkPolicyScript(const std::vector<LinkRule>& rules) {
  std::string allow, sets;
  std::set<std::string> named;
  for (const auto& r : rules) {
    if (!r.dnsName.empty()) {
      for (const int family : {AF_INET, AF_INET6}) {
        const std::string set = nameSet(r.dnsName, family);
        if (named.insert(set).second) {
          auto elements = elementList(r.resolved, family);
          if (!elements) return std::move(elements).error();
          sets += fmt::format("  set {} {{\n    type {}; flags timeout;\n    comment \"{}\"\n{}  }}\n", set,
                              family == AF_INET ? "ipv4_addr" : "ipv6_addr", r.dnsName,
                              elements->empty() ? "" : "    elements = { " + *elements + " }\n");
        }
        allow += fmt::format("    {} daddr @{} {} accept\n", family == AF_INET ? "ip" : "ip6", set, portMatch(r));
      }
      continue;
    }
    std::string v4, v6;
    for (const auto& a : r.addresses) {
      auto address = nftAddress(a);
      if (!address) return std::move(address).error();
      std::string& list = address->first == AF_INET ? v4 : v6;
      list += (list.empty() ? "" : ", ") + address->second;
    }
    if (!v4.empty()) allow += fmt::format("    ip daddr {{ {} }} {} accept\n", v4, portMatch(r));
    if (!v6.empty()) allow += fmt::format("    ip6 daddr {{ {} }} {} accept\n", v6, portMatch(r));
  }
  // add + delete + define in one transaction: replaced atomically, whether or not it existed.
  std::string script = fmt::format("add table inet {0}\ndelete table inet {0}\ntable inet {0} {{\n", kLinkTable);
  script += "  comment \"bulkhead Protect: the group's learned links only\"\n";
  script += "  counter rejected { }\n" + sets;
  script += "  chain output {\n    type filter hook output priority 0; policy accept;\n";
  script += "    oif \"lo\" accept\n    ct state established,related accept\n";
  script += "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept\n";
  script += allow;
  script += "    counter name \"rejected\" reject with icmpx admin-prohibited\n  }\n}\n";
  return script;
}

Status applyLinkPolicy(int pid, const std::vector<LinkRule>& rules) {
  auto script = linkPolicyScript(rules);
  if (!script) return makeError("pid {}: links: {}", pid, script.error().message);
  return inNetworkNamespace(pid, "links", [&]() -> Status {
    Nft nft;
    auto applied = nft.run(*script, false);
    if (!applied) return makeError("nftables refused the links table: {}", applied.error().message);
    if (auto s = applyDnsQueue(rules, hasNames(rules)); !s) return makeError("DNS answer queue: {}", s.error().message);
    return {};
  });
}

Status removeLinkPolicy(int pid) {
  const std::string script = fmt::format("add table inet {0}\ndelete table inet {0}\n", kLinkTable);
  return inNetworkNamespace(pid, "remove links", [&]() -> Status {
    Nft nft;
    auto removed = nft.run(script, false);
    if (!removed) return makeError("nftables could not delete table inet {}: {}", kLinkTable, removed.error().message);
    if (auto s = applyDnsQueue({}, false); !s) return makeError("DNS answer queue: {}", s.error().message);
    return {};
  });
}

Result<std::uint64_t> linkPolicyRejected(int pid) {
  std::uint64_t packets = 0;
  auto s = inNetworkNamespace(pid, "links counter", [&]() -> Status {
    Nft nft;
    auto out = nft.run(fmt::format("list counter inet {} rejected", kLinkTable), true);
    if (!out) return makeError("nftables: {}", out.error().message);
    auto parsed = parseJson(*out, "nft list counter");
    if (!parsed) return parsed.error();
    if (const auto* items = jsonArray(*parsed, "nftables")) {
      for (const auto& item : *items) {
        if (const auto* counter = jsonObject(item, "counter")) packets = static_cast<std::uint64_t>(jsonInt(*counter, "packets"));
      }
    }
    return {};
  });
  if (!s) return s.error();
  return packets;
}

}  // namespace bulkhead::net
