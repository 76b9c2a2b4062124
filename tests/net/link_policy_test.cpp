// Links as profiles write them, and the nftables script Protect applies for them. The
// script's effect on real traffic: tests/agent/graph_test.cpp (ProtectBlocks...).
#include <gtest/gtest.h>

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
  auto any = parseLink("address:192.0.2.1 ip/8443");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->transport, "");
  for (const char* bad : {"", "web tcp/80", "host:web tcp/80", "group:web tcp", "group:web tcp/0", "group:web tcp/70000",
                          "group:web sctp/80", "address:not-an-address tcp/80", "address:1.2.3.4; flush ruleset tcp/80",
                          "group: tcp/80", "group:s:/ /5", "group:a\"b tcp/80", "group:web /80", "name:a;b tcp/80"}) {
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

}  // namespace
}  // namespace bulkhead::net
