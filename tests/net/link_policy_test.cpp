// Links as profiles write them, and the nftables script Protect applies for them. The
// script's effect on real traffic: tests/agent/graph_test.cpp (ProtectBlocks...).
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <string>

#include "net/link_policy.h"

namespace bulkhead::net {
namespace {

LinkRule l4(std::vector<std::string> addresses, std::string transport, std::uint16_t port) {
  LinkRule r;
  r.addresses = std::move(addresses);
  r.transport = std::move(transport);
  r.port = port;
  return r;
}

TEST(LinkPolicy, ParsesLinksToGroupsAndAddresses) {
  auto web = parseLink("group:web-1a2b3c4d tcp/80");
  ASSERT_TRUE(web) << web.error().message;
  EXPECT_EQ(web->kind, ParsedLink::Kind::Group);
  EXPECT_EQ(web->name, "web-1a2b3c4d");
  EXPECT_EQ(web->transport, "tcp");
  EXPECT_EQ(web->port, 80);
  auto dns = parseLink("address:fd00::53 udp/53");
  ASSERT_TRUE(dns) << dns.error().message;
  EXPECT_EQ(dns->kind, ParsedLink::Kind::Address);
  auto api = parseLink("name:api.example.com tcp/443");
  ASSERT_TRUE(api) << api.error().message;
  EXPECT_EQ(api->kind, ParsedLink::Kind::Name);
  EXPECT_EQ(api->name, "api.example.com");
  EXPECT_EQ(dns->name, "fd00::53");
  auto wild = parseLink("name:*.example.com tcp/443");
  ASSERT_TRUE(wild) << wild.error().message;
  EXPECT_EQ(wild->name, "*.example.com");
  auto any = parseLink("address:192.0.2.1 ip/8443");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->transport, "");
  for (const char* bad : {"", "web tcp/80", "host:web tcp/80", "group:web tcp", "group:web tcp/0", "group:web tcp/70000",
                          "group:web sctp/80", "address:not-an-address tcp/80", "address:1.2.3.4; flush ruleset tcp/80",
                          "group: tcp/80", "group:s:/ /5", "group:a\"b tcp/80", "group:web /80", "name:a;b tcp/80",
                          "name:*. tcp/80", "name:*example.com tcp/80", "name:a.*.com tcp/80", "group:*.web tcp/80"}) {
    EXPECT_FALSE(parseLink(bad)) << bad;
  }
  // Found by the fuzzer: inet_pton stops at a NUL, so "::" was taken and the rest kept.
  EXPECT_FALSE(parseLink(std::string("address:::\0\0\0\n/125 udp/3", 25)));
}

TEST(LinkPolicy, ScriptAllowsTheLinksAndRejectsTheRest) {
  auto script = linkPolicyScript({l4({"10.0.0.2", "10.0.0.3", "fd00::2"}, "tcp", 80), l4({"192.0.2.53"}, "", 53),
                                  l4({}, "tcp", 6379)});  // a group with no containers: nothing
  ASSERT_TRUE(script) << script.error().message;
  EXPECT_NE(script->find("ip daddr { 10.0.0.2, 10.0.0.3 } tcp dport 80 accept"), std::string::npos) << *script;
  EXPECT_NE(script->find("ip6 daddr { fd00::2 } tcp dport 80 accept"), std::string::npos) << *script;
  EXPECT_NE(script->find("ip daddr { 192.0.2.53 } meta l4proto { tcp, udp } th dport 53 accept"), std::string::npos);
  EXPECT_EQ(script->find("6379"), std::string::npos);
  EXPECT_NE(script->find("ct state established,related accept"), std::string::npos);
  EXPECT_NE(script->find("oif \"lo\" accept"), std::string::npos);
  // Replaced in one transaction, and the last rule rejects and counts.
  EXPECT_EQ(script->rfind("add table inet bulkhead_links\ndelete table inet bulkhead_links\n", 0), 0u);
  EXPECT_NE(script->find("counter name \"rejected\" reject"), std::string::npos);
  // Only parsed addresses reach the script.
  EXPECT_FALSE(linkPolicyScript({l4({"10.0.0.2 } accept; flush ruleset; {"}, "tcp", 80)}));
}

// Inbound: a caller's addresses reach the container's port; from anyone else a connection's
// first packet is reset (whatever the set of refused callers holds: a full set lets nothing
// through), and loopback and replies to the container's own connections pass.
TEST(LinkPolicy, ScriptResetsConnectionsFromAnyoneButTheCallers) {
  auto script = linkPolicyScript({l4({"10.0.0.9"}, "tcp", 5432)},
                                 {CallerRule{{"10.0.0.2", "10.0.0.3", "fd00::3"}, 80}, CallerRule{{}, 6379}});
  ASSERT_TRUE(script) << script.error().message;
  const auto input = script->find("chain input {");
  ASSERT_NE(input, std::string::npos) << *script;
  const std::string chain = script->substr(input);
  EXPECT_NE(chain.find("iif \"lo\" accept"), std::string::npos);
  EXPECT_NE(chain.find("ct state established,related accept"), std::string::npos);
  EXPECT_NE(chain.find("ip saddr { 10.0.0.2, 10.0.0.3 } tcp dport 80 accept"), std::string::npos) << chain;
  EXPECT_NE(chain.find("ip6 saddr { fd00::3 } tcp dport 80 accept"), std::string::npos) << chain;
  EXPECT_EQ(chain.find("6379"), std::string::npos) << "a group with no containers allowed something";
  const auto reset = chain.find("tcp flags & (syn | ack) == syn counter name \"refused_callers\" reject with tcp reset");
  ASSERT_NE(reset, std::string::npos) << chain;
  EXPECT_EQ(chain.substr(reset).find("@refused_callers"), std::string::npos) << "the reset depends on the set";
  // Each source and port once an hour: kept in the set and logged for the agent.
  EXPECT_NE(chain.find("ip saddr . tcp dport != @refused_callers_4 add @refused_callers_4 { ip saddr . tcp dport } log group " +
                       std::to_string(kRefusedLogGroup)),
            std::string::npos) << chain;
  EXPECT_NE(chain.find("ip6 saddr . tcp dport != @refused_callers_6 add @refused_callers_6 { ip6 saddr . tcp dport } log group"),
            std::string::npos) << chain;
  // The outbound chain is unchanged by callers.
  EXPECT_NE(script->find("ip daddr { 10.0.0.9 } tcp dport 5432 accept"), std::string::npos);
  // With no callers, nobody may connect in.
  auto none = linkPolicyScript({});
  ASSERT_TRUE(none);
  EXPECT_NE(none->find("reject with tcp reset"), std::string::npos);
  EXPECT_EQ(none->find("saddr {"), std::string::npos);
  EXPECT_FALSE(linkPolicyScript({}, {CallerRule{{"10.0.0.2 } accept; flush ruleset; {"}, 80}}));
}

TEST(LinkPolicy, ParsesCallers) {
  auto group = parseCaller("group:client-1a2b3c4d tcp/6379");
  ASSERT_TRUE(group) << group.error().message;
  EXPECT_EQ(group->kind, ParsedLink::Kind::Group);
  EXPECT_EQ(group->port, 6379);
  auto address = parseCaller("address:fd00::7 tcp/80");
  ASSERT_TRUE(address) << address.error().message;
  EXPECT_EQ(address->name, "fd00::7");
  for (const char* bad : {"name:api.example.com tcp/80", "address:10.0.0.7 udp/53", "address:10.0.0.7 ip/80",
                          "group:web tcp/80 http GET /", "address:10.0.0.7; flush ruleset tcp/80", "from 10.0.0.7"}) {
    EXPECT_FALSE(parseCaller(bad)) << bad;
  }
}

TEST(LinkPolicy, NamePatterns) {
  EXPECT_TRUE(nameMatches("api.example.com", "api.example.com"));
  EXPECT_FALSE(nameMatches("api.example.com", "www.api.example.com"));
  EXPECT_TRUE(nameMatches("*.example.com", "api.example.com"));
  EXPECT_TRUE(nameMatches("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(nameMatches("*.example.com", "example.com"));
  EXPECT_FALSE(nameMatches("*.example.com", "badexample.com"));
  // One set per name and family, with a name nftables takes whatever the DNS name.
  EXPECT_NE(nameSet("api.example.com", AF_INET), nameSet("api.example.com", AF_INET6));
  EXPECT_NE(nameSet("api.example.com", AF_INET), nameSet("www.example.com", AF_INET));
  EXPECT_EQ(nameSet("*.example.com", AF_INET).find('*'), std::string::npos);
}

// A name link is a set of the table, filled from DNS answers (with what is known already),
// and DNS answers are queued to the gate.
TEST(LinkPolicy, NameLinksAreSetsFilledFromDns) {
  LinkRule api = l4({}, "tcp", 443);
  api.dnsName = "api.example.com";
  api.resolved = {{"192.0.2.10", 30}, {"2001:db8::10", 600}, {"not an address", 5}};
  EXPECT_FALSE(linkPolicyScript({api})) << "an unparsed address reached the script";
  api.resolved.pop_back();
  LinkRule resolver = l4({"10.0.0.53"}, "udp", 53);
  auto script = linkPolicyScript({api, resolver});
  ASSERT_TRUE(script) << script.error().message;
  const std::string v4 = nameSet("api.example.com", AF_INET), v6 = nameSet("api.example.com", AF_INET6);
  EXPECT_NE(script->find("set " + v4 + " {\n    type ipv4_addr; flags timeout;"), std::string::npos) << *script;
  // Timeouts: at least a minute whatever the TTL.
  EXPECT_NE(script->find("elements = { 192.0.2.10 timeout 60s }"), std::string::npos) << *script;
  EXPECT_NE(script->find("elements = { 2001:db8::10 timeout 600s }"), std::string::npos) << *script;
  EXPECT_NE(script->find("ip daddr @" + v4 + " tcp dport 443 accept"), std::string::npos) << *script;
  EXPECT_NE(script->find("ip6 daddr @" + v6 + " tcp dport 443 accept"), std::string::npos) << *script;
  EXPECT_NE(script->find("ip daddr { 10.0.0.53 } udp dport 53 accept"), std::string::npos) << *script;
}

// L7 conditions: parsed strictly, learned from a request's path by its first segment, and
// met by method and exact path or prefix.
TEST(LinkPolicy, HttpConditions) {
  auto api = parseLink("group:web-1a2b tcp/80 http GET /api/*");
  ASSERT_TRUE(api) << api.error().message;
  EXPECT_EQ(api->base, "group:web-1a2b tcp/80");
  ASSERT_TRUE(api->http);
  EXPECT_EQ(api->http->method, "GET");
  EXPECT_EQ(api->http->path, "/api/*");
  EXPECT_FALSE(parseLink("group:web-1a2b tcp/80")->http);
  for (const char* bad : {"group:w tcp/80 http", "group:w tcp/80 http GET", "group:w tcp/80 ftp GET /", "group:w tcp/80 http get /",
                          "group:w tcp/80 http GET api", "group:w tcp/80 http GET /a*b", "group:w tcp/80 http GET /a;b",
                          "group:w tcp/80 http GET /a\"b", "group:w tcp/80 http GET /a b"}) {
    EXPECT_FALSE(parseLink(bad)) << bad;
  }
  EXPECT_EQ(httpRuleFor("GET", "/api/v1/users/7"), (HttpRule{"GET", "/api/*"}));
  EXPECT_EQ(httpRuleFor("GET", "/"), (HttpRule{"GET", "/"}));
  EXPECT_EQ(httpRuleFor("POST", "/index.html"), (HttpRule{"POST", "/index.html"}));
  EXPECT_EQ(httpLinkText("group:web tcp/80", {"GET", "/api/*"}), "group:web tcp/80 http GET /api/*");
  const std::vector<HttpRule> rules{{"GET", "/api/*"}, {"GET", "/"}, {"*", "/health"}};
  EXPECT_TRUE(httpAllowed(rules, "GET", "/api/x"));
  EXPECT_TRUE(httpAllowed(rules, "GET", "/api/"));
  EXPECT_TRUE(httpAllowed(rules, "GET", "/"));
  EXPECT_TRUE(httpAllowed(rules, "DELETE", "/health"));
  EXPECT_FALSE(httpAllowed(rules, "POST", "/api/x"));
  EXPECT_FALSE(httpAllowed(rules, "GET", "/apix"));
  EXPECT_FALSE(httpAllowed(rules, "GET", "/index.html"));
  EXPECT_FALSE(httpAllowed({}, "GET", "/"));
}

// A link with L7 conditions: the HTTP chain resets refused requests and queues the port's
// requests to the gate; the L4 rule still lets the connection open.
TEST(LinkPolicy, HttpConditionsKeepTheirL4Rule) {
  LinkRule web = l4({"10.0.0.2"}, "tcp", 80);
  web.http = {{"GET", "/api/*"}};
  auto script = linkPolicyScript({web});
  ASSERT_TRUE(script) << script.error().message;
  EXPECT_NE(script->find("ip daddr { 10.0.0.2 } tcp dport 80 accept"), std::string::npos) << *script;
}

}  // namespace
}  // namespace bulkhead::net
