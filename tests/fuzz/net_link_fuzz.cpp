// Links and callers from profile files (src/net/link_policy.h) on arbitrary text: parsed,
// then turned into the nftables script Protect would apply; nothing unparsed may reach it.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "net/link_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bulkhead::net;
  if (size > 4096) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto caller = parseCaller(text)) {
    if (caller->transport != "tcp" || caller->kind == ParsedLink::Kind::Name || caller->http) std::abort();
    CallerRule rule{{caller->kind == ParsedLink::Kind::Address ? caller->name : "10.0.0.1"}, caller->port};
    if (!linkPolicyScript({}, {rule})) std::abort();  // a parsed caller always makes a script
  }
  auto link = parseLink(text);
  if (!link) return 0;
  if (link->port == 0 || (link->transport != "" && link->transport != "tcp" && link->transport != "udp")) std::abort();
  LinkRule rule;
  rule.addresses = link->kind == ParsedLink::Kind::Address ? std::vector<std::string>{link->name}
                                                           : std::vector<std::string>{"10.0.0.1"};
  rule.transport = link->transport;
  rule.port = link->port;
  if (link->kind == ParsedLink::Kind::Name) rule.dnsName = link->name;  // a set named for it, the name in a comment
  if (link->http) rule.http = {*link->http};
  auto script = linkPolicyScript({rule});
  if (!script) std::abort();  // a parsed link always makes a script
  // Nothing that could end or open an nft statement survives parsing.
  for (const char c : link->name) {
    if (c == '\n' || c == ';' || c == '{' || c == '}' || c == '"' || c == ' ') std::abort();
  }
  return 0;
}
