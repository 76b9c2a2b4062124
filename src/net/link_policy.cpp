#include "net/link_policy.h"

#include <sys/socket.h>

#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "core/json.h"
#include "net/nft.h"

namespace bulkhead::net {
namespace {

std::string portMatch(const LinkRule& r) {
  if (r.transport == "tcp" || r.transport == "udp") return fmt::format("{} dport {}", r.transport, r.port);
  return fmt::format("meta l4proto {{ tcp, udp }} th dport {}", r.port);
}

}  // namespace

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
    for (const char c : link.name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
        return fail("the group or name is not letters, digits, '-', '_' and '.'");
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
  std::string allow;
  for (const auto& r : rules) {
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
  script += "  counter rejected { }\n";
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
    return {};
  });
}

Status removeLinkPolicy(int pid) {
  const std::string script = fmt::format("add table inet {0}\ndelete table inet {0}\n", kLinkTable);
  return inNetworkNamespace(pid, "remove links", [&]() -> Status {
    Nft nft;
    auto removed = nft.run(script, false);
    if (!removed) return makeError("nftables could not delete table inet {}: {}", kLinkTable, removed.error().message);
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
