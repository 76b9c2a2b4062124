// Links as profiles write them, and the nftables script Protect applies for them. The
// script's effect on real traffic: tests/agent/graph_test.cpp (ProtectBlocks...).
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <string>

#include "net/dns_gate.h"
#include "net/link_policy.h"

namespace bulkhead::net {
namespace {

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
}

TEST(LinkPolicy, ScriptAllowsTheLinksAndRejectsTheRest) {
  auto script = linkPolicyScript({{{"10.0.0.2", "10.0.0.3", "fd00::2"}, "tcp", 80},
                                  {{"192.0.2.53"}, "", 53},
                                  {{}, "tcp", 6379}});  // a group with no containers: nothing
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
  EXPECT_FALSE(linkPolicyScript({{{"10.0.0.2 } accept; flush ruleset; {"}, "tcp", 80}}));
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
  LinkRule api{{}, "tcp", 443, "api.example.com", {{"192.0.2.10", 30}, {"2001:db8::10", 600}, {"not an address", 5}}};
  EXPECT_FALSE(linkPolicyScript({api})) << "an unparsed address reached the script";
  api.resolved.pop_back();
  LinkRule resolver{{"10.0.0.53"}, "udp", 53};
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

// DNS answers from the packets the gate is handed: IPv4, UDP from port 53.
TEST(DnsGate, ReadsAnswersFromPackets) {
  // api.example.com A: one answer (a pointer to the question's name), TTL 60, 192.0.2.10.
  const std::string dns =
      std::string("\x55\x01\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00", 12) +
      std::string("\x03" "api\x07" "example\x03" "com\x00\x00\x01\x00\x01", 21) +
      std::string("\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x0a", 16);
  const auto packet = [&](std::uint8_t protocol, std::uint16_t sourcePort) {
    std::string ip("\x45\x00\x00\x00\x00\x00\x40\x00\x40", 9);
    ip += static_cast<char>(protocol);
    ip += std::string(10, '\0');
    std::string udp{static_cast<char>(sourcePort >> 8), static_cast<char>(sourcePort & 0xff), '\x9c', '\x40'};
    const std::size_t length = 8 + dns.size();
    udp += static_cast<char>(length >> 8);
    udp += static_cast<char>(length & 0xff);
    udp += std::string(2, '\0');
    const std::string all = ip + udp + dns;
    return std::vector<std::uint8_t>(all.begin(), all.end());
  };
  const auto good = packet(17, 53);
  auto answer = dnsAnswerFromPacket(good);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->qname, "api.example.com");
  ASSERT_EQ(answer->addresses.size(), 1u);
  EXPECT_EQ(answer->addresses[0].address, "192.0.2.10");
  EXPECT_EQ(answer->addresses[0].ttl, 60u);
  // Not from port 53, not UDP, cut short: each refused with a reason.
  const auto wrongPort = packet(17, 5353), tcp = packet(6, 53);
  EXPECT_FALSE(dnsAnswerFromPacket(wrongPort));
  EXPECT_FALSE(dnsAnswerFromPacket(tcp));
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto cut = dnsAnswerFromPacket(Bytes(good.data(), n));
    if (cut) EXPECT_TRUE(cut->addresses.empty()) << "an address from " << n << " bytes";
  }
}

}  // namespace
}  // namespace bulkhead::net
