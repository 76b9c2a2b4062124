#include "net/link_policy.h"

#include <sys/socket.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <charconv>

#include "core/json.h"
#include "core/process.h"
#include "net/packet_gate.h"
#include "net/nft.h"

namespace bulkhead::net {
namespace {

constexpr std::uint32_t kMinNameSeconds = 60;         // an answer's addresses stay at least this long
constexpr std::uint32_t kMaxNameSeconds = 24 * 3600;  // and at most this long
constexpr const char* kDnsChain = "BULKHEAD-DNS";
constexpr const char* kHttpChain = "BULKHEAD-L7";

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

bool hasNames(const std::vector<LinkRule>& rules) {
  return std::any_of(rules.begin(), rules.end(), [](const LinkRule& r) { return !r.dnsName.empty(); });
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

// The queue rules, in iptables-restore form (the kernels we run on have the NFQUEUE target
// through nft's xtables compatibility, not nft's own queue expression), each set in a chain
// of ours jumped to first from its hook's chain. Declaring a chain flushes it, so applying
// again replaces its rules; a chain with no rules is removed with its jump.
struct QueueChain {
  const char* name;
  const char* hook;   // "INPUT", "OUTPUT"
  std::string rules;  // "-A CHAIN ..." lines; empty: the chain goes
};

// DNS answers from the resolvers (and loopback), to the DNS gate; never dropped when no gate
// listens (bypass).
QueueChain dnsChain(const std::vector<LinkRule>& rules, int family) {
  QueueChain c{kDnsChain, "INPUT", ""};
  if (!hasNames(rules)) return c;
  const std::string target = fmt::format("-j NFQUEUE --queue-num {} --queue-bypass", kDnsQueue);
  c.rules += fmt::format("-A {} -i lo -p udp --sport 53 {}\n", kDnsChain, target);
  for (const auto& a : resolvers(rules, family)) c.rules += fmt::format("-A {} -s {} -p udp --sport 53 {}\n", kDnsChain, a, target);
  return c;
}

// Requests on ports with L7 conditions, to the HTTP gate (which finds the link from the
// destination and passes what is not on an L7 link); packets it refused come back marked
// and are reset. Packets too short to carry a request line (bare ACKs) and SYNs skip the
// gate. With bypass: while no agent listens (a restart), requests pass unjudged and the L4
// links still hold, rather than every request on the port hanging.
QueueChain httpChain(const std::vector<LinkRule>& rules, int family) {
  QueueChain c{kHttpChain, "OUTPUT", ""};
  std::set<std::uint16_t> ports;
  for (const auto& r : rules) {
    if (!r.http.empty()) ports.insert(r.port);
  }
  if (ports.empty()) return c;
  c.rules += fmt::format("-A {} -p tcp -m mark --mark {:#x} -j REJECT --reject-with tcp-reset\n", kHttpChain, kRefusedMark);
  const int minimum = family == AF_INET6 ? 73 : 53;  // IP + TCP with timestamps + 1 byte
  for (const auto port : ports) {
    c.rules += fmt::format(
        "-A {} -p tcp --dport {} ! --syn -m length --length {}:65535 -j NFQUEUE --queue-num {} --queue-bypass\n",
        kHttpChain, port, minimum, kHttpQueue);
  }
  return c;
}

// Runs in the container's namespace (on inNetworkNamespace's thread).
Status applyQueueRules(const std::vector<LinkRule>& rules) {
  for (const auto& [family, tool] : {std::pair{AF_INET, std::string("iptables")}, std::pair{AF_INET6, std::string("ip6tables")}}) {
    for (const QueueChain& c : {dnsChain(rules, family), httpChain(rules, family)}) {
      const bool jumps = runProgram({tool, "-w", "-C", c.hook, "-j", c.name}).ok();
      if (!c.rules.empty()) {
        const std::string restore = fmt::format("*filter\n:{} - [0:0]\n{}COMMIT\n", c.name, c.rules);
        if (auto s = runProgram({tool + "-restore", "--noflush", "-w"}, restore); !s) return s;
        if (!jumps) {
          if (auto s = runProgram({tool, "-w", "-I", c.hook, "-j", c.name}); !s) return s;
        }
      } else if (jumps) {
        if (auto s = runProgram({tool, "-w", "-D", c.hook, "-j", c.name}); !s) return s;
        if (auto s = runProgram({tool, "-w", "-F", c.name}); !s) return s;
        if (auto s = runProgram({tool, "-w", "-X", c.name}); !s) return s;
      }
    }
  }
  return {};
}


// "http METHOD PATH": a method of capital letters (or "*"), a path from "/" of printable
// characters with no quotes, spaces or semicolons, "*" only at its end.
Result<HttpRule> parseHttpCondition(const std::string& text) {
  const auto a = text.find(' '), b = a == std::string::npos ? a : text.find(' ', a + 1);
  if (a == std::string::npos || b == std::string::npos || text.substr(0, a) != "http") {
    return makeError("an L7 condition is \"http METHOD PATH\"");
  }
  HttpRule rule{text.substr(a + 1, b - a - 1), text.substr(b + 1)};
  const bool method = rule.method == "*" ||
                      (!rule.method.empty() && rule.method.size() <= 16 &&
                       std::all_of(rule.method.begin(), rule.method.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
  if (!method) return makeError("the HTTP method is not capital letters or *");
  if (rule.path.empty() || rule.path[0] != '/' || rule.path.size() > 1024) return makeError("the HTTP path does not start with /");
  for (std::size_t i = 0; i < rule.path.size(); ++i) {
    const char c = rule.path[i];
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == ';' || c == '\\' || (c == '*' && i + 1 != rule.path.size())) {
      return makeError("the HTTP path has a character it may not have (\"*\" only at its end)");
    }
  }
  return rule;
}

// Accept rules for `addresses` (checked), one per family: "    ip <direction> { A, B } <match> accept".
Result<std::string> addressRules(const std::vector<std::string>& addresses, const char* direction, const std::string& match) {
  std::string v4, v6;
  for (const auto& a : addresses) {
    auto address = nftAddress(a);
    if (!address) return std::move(address).error();
    std::string& list = address->first == AF_INET ? v4 : v6;
    list += (list.empty() ? "" : ", ") + address->second;
  }
  std::string out;
  if (!v4.empty()) out += fmt::format("    ip {} {{ {} }} {} accept\n", direction, v4, match);
  if (!v6.empty()) out += fmt::format("    ip6 {} {{ {} }} {} accept\n", direction, v6, match);
  return out;
}

// Inbound: the callers' rules, then, for a connection's first packet from anyone else, its
// source and port kept (a set the agent reads) and a reset. The reset is a rule of its own:
// a full set must not let a connection through.
Result<std::string> callerChain(const std::vector<CallerRule>& callers) {
  std::string out = "  counter refused_callers { }\n";
  for (const int family : {4, 6}) {
    out += fmt::format("  set refused_callers_{} {{\n    type {}_addr . inet_service; flags dynamic, timeout; timeout 1h; size 4096;\n  }}\n",
                       family, family == 4 ? "ipv4" : "ipv6");
  }
  out += "  chain input {\n    type filter hook input priority 0; policy accept;\n";
  out += "    iif \"lo\" accept\n    ct state established,related accept\n";
  for (const auto& c : callers) {
    auto accept = addressRules(c.addresses, "saddr", fmt::format("tcp dport {}", c.port));
    if (!accept) return std::move(accept).error();
    out += *accept;
  }
  // A source and port not refused in the last hour is kept, and its SYN logged (once: its
  // retries and a flood from it are not; a full set stops the rule before the log).
  for (const auto& [family, ip] : {std::pair{4, "ip"}, std::pair{6, "ip6"}}) {
    out += fmt::format(
        "    tcp flags & (syn | ack) == syn meta nfproto ipv{0} {1} saddr . tcp dport != @refused_callers_{0} "
        "add @refused_callers_{0} {{ {1} saddr . tcp dport }} log group {2}\n",
        family, ip, kRefusedLogGroup);
  }
  out += "    tcp flags & (syn | ack) == syn counter name \"refused_callers\" reject with tcp reset\n  }\n";
  return out;
}

// The table as listed without set elements and counter values; empty when it is not there
// (the only error listing it has, once in the namespace).
std::string listTable(Nft& nft) {
  auto out = nft.run(fmt::format("list table inet {}", kLinkTable), false, NFT_CTX_OUTPUT_TERSE | NFT_CTX_OUTPUT_STATELESS);
  return out ? std::move(*out) : std::string();
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

HttpRule httpRuleFor(const std::string& method, const std::string& path) {
  const auto second = path.find('/', 1);
  if (path.empty() || path[0] != '/') return {method, "/*"};
  if (second == std::string::npos) return {method, path};  // "/", "/index.html"
  return {method, path.substr(0, second + 1) + "*"};       // "/api/*"
}

std::string httpLinkText(const std::string& base, const HttpRule& rule) {
  return fmt::format("{} http {} {}", base, rule.method, rule.path);
}

bool httpAllowed(const std::vector<HttpRule>& rules, const std::string& method, const std::string& path) {
  return std::any_of(rules.begin(), rules.end(), [&](const HttpRule& r) {
    if (r.method != "*" && r.method != method) return false;
    if (r.path.ends_with('*')) return path.starts_with(std::string_view(r.path).substr(0, r.path.size() - 1));
    return path == r.path;
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
  const auto l7 = text.find(' ', space + 1);
  const std::string service = text.substr(space + 1, l7 == std::string::npos ? std::string::npos : l7 - space - 1);
  link.base = text.substr(0, l7);
  if (l7 != std::string::npos) {
    auto http = parseHttpCondition(text.substr(l7 + 1));
    if (!http) return fail(http.error().message);
    link.http = std::move(*http);
  }
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

Result<ParsedLink> parseCaller(const std::string& text) {
  auto link = parseLink(text);
  if (!link) return makeError("caller: {}", link.error().message);
  if (link->kind == ParsedLink::Kind::Name || link->http || link->transport != "tcp") {
    return makeError("caller \"{}\": not \"group:G tcp/PORT\" or \"address:A tcp/PORT\"", text.substr(0, 200));
  }
  return link;
}

Result<std::string> linkPolicyScript(const std::vector<LinkRule>& rules, const std::vector<CallerRule>& callers) {
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
    auto accept = addressRules(r.addresses, "daddr", portMatch(r));
    if (!accept) return std::move(accept).error();
    allow += *accept;
  }
  // add + delete + define in one transaction: replaced atomically, whether or not it existed.
  std::string script = fmt::format("add table inet {0}\ndelete table inet {0}\ntable inet {0} {{\n", kLinkTable);
  script += "  comment \"bulkhead Protect: the group's learned links only\"\n";
  script += "  counter rejected { }\n" + sets;
  script += "  chain output {\n    type filter hook output priority 0; policy accept;\n";
  script += "    oif \"lo\" accept\n    ct state established,related accept\n";
  script += "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept\n";
  script += allow;
  script += "    counter name \"rejected\" reject with icmpx admin-prohibited\n  }\n";
  auto inbound = callerChain(callers);
  if (!inbound) return std::move(inbound).error();
  return script + *inbound + "}\n";
}

Result<std::string> applyLinkPolicy(int pid, const std::vector<LinkRule>& rules, const std::vector<CallerRule>& callers) {
  auto script = linkPolicyScript(rules, callers);
  if (!script) return makeError("pid {}: links: {}", pid, script.error().message);
  std::string listing;
  Status s = inNetworkNamespace(pid, "links", [&]() -> Status {
    Nft nft;
    auto applied = nft.run(*script, false);
    if (!applied) return makeError("nftables refused the links table: {}", applied.error().message);
    if (auto queued = applyQueueRules(rules); !queued) return makeError("queue rules: {}", queued.error().message);
    listing = listTable(nft);
    return {};
  });
  if (!s) return s.error();
  return listing;
}

Status removeLinkPolicy(int pid) {
  const std::string script = fmt::format("add table inet {0}\ndelete table inet {0}\n", kLinkTable);
  return inNetworkNamespace(pid, "remove links", [&]() -> Status {
    Nft nft;
    auto removed = nft.run(script, false);
    if (!removed) return makeError("nftables could not delete table inet {}: {}", kLinkTable, removed.error().message);
    if (auto s = applyQueueRules({}); !s) return makeError("queue rules: {}", s.error().message);
    return {};
  });
}

Result<std::string> linkPolicyListing(int pid) {
  std::string listing;
  auto s = inNetworkNamespace(pid, "links table", [&]() -> Status {
    Nft nft;
    listing = listTable(nft);
    return {};
  });
  if (!s) return s.error();
  return listing;
}

Result<bool> hasLinkPolicy(int pid) {
  auto listing = linkPolicyListing(pid);
  if (!listing) return listing.error();
  return !listing->empty();
}

Result<std::uint64_t> linkPolicyRejected(int pid, const std::string& counter) {
  std::uint64_t packets = 0;
  auto s = inNetworkNamespace(pid, "links counter", [&]() -> Status {
    Nft nft;
    auto out = nft.run(fmt::format("list counter inet {} {}", kLinkTable, counter), true);
    if (!out) return makeError("nftables: {}", out.error().message);
    auto parsed = parseJson(*out, "nft list counter");
    if (!parsed) return parsed.error();
    if (const auto* items = jsonArray(*parsed, "nftables")) {
      for (const auto& item : *items) {
        if (const auto* found = jsonObject(item, "counter")) packets = static_cast<std::uint64_t>(jsonInt(*found, "packets"));
      }
    }
    return {};
  });
  if (!s) return s.error();
  return packets;
}

Result<std::vector<RefusedCaller>> refusedCallers(int pid) {
  std::vector<RefusedCaller> out;
  auto s = inNetworkNamespace(pid, "refused callers", [&]() -> Status {
    Nft nft;
    for (const char* set : {"refused_callers_4", "refused_callers_6"}) {
      auto listed = nft.run(fmt::format("list set inet {} {}", kLinkTable, set), true);
      if (!listed) return makeError("nftables: {}", listed.error().message);
      auto parsed = parseJson(*listed, "nft list set");
      if (!parsed) return parsed.error();
      const auto* items = jsonArray(*parsed, "nftables");
      if (!items) continue;
      for (const auto& item : *items) {
        const auto* found = jsonObject(item, "set");
        const auto* elements = found ? jsonArray(*found, "elem") : nullptr;
        if (!elements) continue;
        for (const auto& e : *elements) {
          // {"elem": {"val": {"concat": [A, P]}, "expires": N}}, or {"concat": [A, P]} alone.
          const nlohmann::json* value = &e;
          if (const auto* wrapped = jsonObject(e, "elem")) value = wrapped->contains("val") ? &wrapped->at("val") : nullptr;
          const auto* pair = value ? jsonArray(*value, "concat") : nullptr;
          if (!pair || pair->size() != 2 || !(*pair)[0].is_string() || !(*pair)[1].is_number_unsigned()) continue;
          const auto port = (*pair)[1].get<std::uint64_t>();
          if (port == 0 || port > 65535) continue;
          out.push_back({(*pair)[0].get<std::string>(), static_cast<std::uint16_t>(port)});
        }
      }
    }
    return {};
  });
  if (!s) return s.error();
  return out;
}

}  // namespace bulkhead::net
