// The service graph: connections folded into group-to-group edges, addresses resolved to
// groups, each connection counted once, and the text, DOT and JSON renderings.
#include <gtest/gtest.h>

#include "net/graph.h"

namespace bulkhead::net {
namespace {

Connection out(std::string container, std::string to, std::uint16_t port, std::int64_t t,
               std::string transport = "tcp") {
  return {t, std::move(container), false, std::move(to), port, std::move(transport), "", 0};
}
Connection in(std::string container, std::string from, std::uint16_t port, std::int64_t t) {
  return {t, std::move(container), true, std::move(from), port, "tcp", "", 0};
}

ServiceGraph threeTier() {
  ServiceGraph g;
  g.setContainer("f1", "front", "front-1");
  g.setContainer("a1", "app", "app-1");
  g.setContainer("a2", "app", "app-2");
  g.setContainer("r1", "redis", "redis-1");
  g.setAddresses("f1", {"127.0.0.1", "10.1.0.2", "fe80::1"});
  g.setAddresses("a1", {"10.1.0.3"});
  g.setAddresses("a2", {"10.1.0.4"});
  g.setAddresses("r1", {"10.1.0.5"});
  return g;
}

const Edge* find(const std::vector<Edge>& edges, std::string_view from, std::string_view to, std::uint16_t port) {
  for (const auto& e : edges) {
    if (e.key.from.name == from && e.key.to.name == to && e.key.port == port) return &e;
  }
  return nullptr;
}

TEST(ServiceGraph, FoldsConnectionsIntoGroupEdges) {
  ServiceGraph g = threeTier();
  EXPECT_TRUE(g.add(out("f1", "10.1.0.3", 8080, 100)));
  EXPECT_TRUE(g.add(out("f1", "10.1.0.4", 8080, 200)));  // the other replica: same edge
  EXPECT_TRUE(g.add(out("a1", "10.1.0.5", 6379, 150)));
  EXPECT_TRUE(g.add(out("a2", "10.1.0.5", 6379, 250)));
  // The accepting side of the same connections is not counted again.
  EXPECT_TRUE(g.add(in("a1", "10.1.0.2", 8080, 101)));
  EXPECT_TRUE(g.add(in("r1", "10.1.0.3", 6379, 151)));
  const auto edges = g.edges();
  ASSERT_EQ(edges.size(), 2u);
  const Edge* web = find(edges, "front", "app", 8080);
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->connections, 2u);
  EXPECT_EQ(web->firstNs, 100);
  EXPECT_EQ(web->lastNs, 200);
  EXPECT_EQ(web->key.transport, "tcp");
  const Edge* cache = find(edges, "app", "redis", 6379);
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->connections, 2u);
}

TEST(ServiceGraph, OutsideAddressesLoopbackAndUnknownContainers) {
  ServiceGraph g = threeTier();
  EXPECT_TRUE(g.add(out("a1", "192.0.2.10", 443, 1)));
  EXPECT_TRUE(g.add(out("a1", "9.9.9.9", 53, 2, "udp")));
  EXPECT_TRUE(g.add(in("f1", "198.51.100.7", 80, 3)));      // a client from outside
  EXPECT_TRUE(g.add(out("r1", "127.0.0.1", 6379, 4)));       // inside its own namespace
  EXPECT_FALSE(g.add(out("nobody", "10.1.0.5", 6379, 5)));   // not a known container
  const auto edges = g.edges();
  ASSERT_EQ(edges.size(), 4u);
  const Edge* tls = find(edges, "app", "192.0.2.10", 443);
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(tls->key.to.kind, Endpoint::Kind::External);
  ASSERT_NE(find(edges, "app", "9.9.9.9", 53), nullptr);
  EXPECT_EQ(find(edges, "app", "9.9.9.9", 53)->key.transport, "udp");
  const Edge* client = find(edges, "198.51.100.7", "front", 80);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->key.from.kind, Endpoint::Kind::External);
  ASSERT_NE(find(edges, "redis", "redis", 6379), nullptr);
  EXPECT_TRUE(g.knowsAddress("10.1.0.5"));
  EXPECT_TRUE(g.knowsAddress("127.0.0.1"));
  EXPECT_FALSE(g.knowsAddress("192.0.2.10"));
}

// Who called a group, as its profile keeps it: by group where a container holds the
// address, else by the address; a dual-stack socket's IPv4 peer as IPv4; never loopback.
TEST(ServiceGraph, CallersByGroupOrAddress) {
  ServiceGraph g = threeTier();
  EXPECT_EQ(g.callerOf("10.1.0.3", 6379), "group:app tcp/6379");
  EXPECT_EQ(g.callerOf("::ffff:10.1.0.2", 8080), "group:front tcp/8080");
  EXPECT_EQ(g.callerOf("198.51.100.7", 80), "address:198.51.100.7 tcp/80");
  EXPECT_EQ(g.callerOf("::ffff:198.51.100.7", 80), "address:198.51.100.7 tcp/80");
  EXPECT_EQ(g.callerOf("2001:db8::7", 80), "address:2001:db8::7 tcp/80");
  EXPECT_EQ(g.callerOf("127.0.0.1", 80), "");
  EXPECT_EQ(g.callerOf("::1", 80), "");
  EXPECT_EQ(g.callerOf("", 80), "");
  g.removeContainer("a1");
  EXPECT_EQ(g.callerOf("10.1.0.3", 6379), "address:10.1.0.3 tcp/6379");
}

TEST(ServiceGraph, AddressesFollowContainersAsTheyComeAndGo) {
  ServiceGraph g = threeTier();
  g.removeContainer("r1");
  EXPECT_FALSE(g.knowsAddress("10.1.0.5"));
  EXPECT_TRUE(g.add(out("a1", "10.1.0.5", 6379, 1)));  // now an outside address
  g.setContainer("r2", "redis", "redis-2");
  g.setAddresses("r2", {"10.1.0.5"});  // a new replica got the address
  EXPECT_TRUE(g.add(out("a1", "10.1.0.5", 6379, 2)));
  const auto edges = g.edges();
  ASSERT_NE(find(edges, "app", "10.1.0.5", 6379), nullptr);
  ASSERT_NE(find(edges, "app", "redis", 6379), nullptr);
}

TEST(ServiceGraph, ProtocolsMoveConnectionsToTheirEdge) {
  ServiceGraph g = threeTier();
  ASSERT_TRUE(g.add(out("f1", "10.1.0.3", 8080, 1)));
  ASSERT_TRUE(g.add(out("f1", "10.1.0.3", 8080, 2)));
  Connection http = out("f1", "10.1.0.3", 8080, 3);
  http.protocol = "http";
  ASSERT_TRUE(g.addProtocol(http));  // one of the two is HTTP
  auto edges = g.edges();
  ASSERT_EQ(edges.size(), 2u);
  for (const auto& e : edges) EXPECT_EQ(e.connections, 1u) << e.key.protocol;
  // Identified before its connection was reported: the connection takes it when it comes.
  Connection redis = out("a1", "10.1.0.5", 6379, 4);
  redis.protocol = "redis";
  ASSERT_TRUE(g.addProtocol(redis));
  ASSERT_TRUE(g.add(out("a1", "10.1.0.5", 6379, 5)));
  edges = g.edges();
  const Edge* cache = find(edges, "app", "redis", 6379);
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->key.protocol, "redis");
  EXPECT_EQ(cache->connections, 1u);
  // The other side of a connection between watched containers changes nothing.
  Connection accepted = in("r1", "10.1.0.3", 6379, 6);
  accepted.protocol = "redis";
  ASSERT_TRUE(g.addProtocol(accepted));
  EXPECT_EQ(g.edges().size(), 3u);
}

Connection withBytes(Connection c, std::uint64_t bytes, std::string protocol = "") {
  c.bytes = bytes;
  c.protocol = std::move(protocol);
  return c;
}

// Bytes land on the edge their connection counts on, without counting it again, and only
// from the side that counts it.
TEST(ServiceGraph, BytesFollowTheirConnections) {
  ServiceGraph g = threeTier();
  ASSERT_TRUE(g.add(out("f1", "10.1.0.3", 8080, 1)));
  ASSERT_TRUE(g.addProtocol(withBytes(out("f1", "10.1.0.3", 8080, 2), 0, "http")));
  ASSERT_TRUE(g.add(out("a1", "10.1.0.5", 6379, 3)));  // never identified
  ASSERT_TRUE(g.addBytes(withBytes(out("f1", "10.1.0.3", 8080, 4), 1000, "http")));
  ASSERT_TRUE(g.addBytes(withBytes(out("f1", "10.1.0.3", 8080, 5), 500, "http")));
  ASSERT_TRUE(g.addBytes(withBytes(out("a1", "10.1.0.5", 6379, 6), 70)));
  // The accepting sides of the same connections: counted by the side that connected.
  ASSERT_TRUE(g.addBytes(withBytes(in("a1", "10.1.0.2", 8080, 7), 1500, "http")));
  ASSERT_TRUE(g.addBytes(withBytes(in("r1", "10.1.0.3", 6379, 8), 70)));
  EXPECT_FALSE(g.addBytes(withBytes(out("nobody", "10.1.0.3", 8080, 9), 5)));
  // A client from outside: the accepting side counts it.
  ASSERT_TRUE(g.add(in("f1", "198.51.100.7", 80, 10)));
  ASSERT_TRUE(g.addBytes(withBytes(in("f1", "198.51.100.7", 80, 11), 300)));

  auto edges = g.edges();
  ASSERT_EQ(edges.size(), 3u);
  const Edge* web = find(edges, "front", "app", 8080);
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->key.protocol, "http");
  EXPECT_EQ(web->connections, 1u);
  EXPECT_EQ(web->bytes, 1500u);
  EXPECT_EQ(web->lastNs, 5);
  const Edge* cache = find(edges, "app", "redis", 6379);
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->key.protocol, "");
  EXPECT_EQ(cache->connections, 1u);
  EXPECT_EQ(cache->bytes, 70u);
  const Edge* client = find(edges, "198.51.100.7", "front", 80);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->bytes, 300u);
}

// Bytes reported before their connection make its edge, which the connection then joins;
// bytes counted before a protocol was identified stay where they were counted.
TEST(ServiceGraph, BytesBeforeTheirConnectionOrProtocol) {
  ServiceGraph g = threeTier();
  ASSERT_TRUE(g.addBytes(withBytes(out("a1", "192.0.2.10", 443, 1), 500, "tls")));
  ASSERT_TRUE(g.addProtocol(withBytes(out("a1", "192.0.2.10", 443, 2), 0, "tls")));
  auto edges = g.edges();
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(edges[0].connections, 0u);
  EXPECT_EQ(edges[0].bytes, 500u);
  ASSERT_TRUE(g.add(out("a1", "192.0.2.10", 443, 3)));
  edges = g.edges();
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(edges[0].key.protocol, "tls");
  EXPECT_EQ(edges[0].connections, 1u);
  EXPECT_EQ(edges[0].bytes, 500u);
  EXPECT_EQ(edges[0].firstNs, 1);

  ASSERT_TRUE(g.add(out("f1", "10.1.0.3", 8080, 4)));
  ASSERT_TRUE(g.addBytes(withBytes(out("f1", "10.1.0.3", 8080, 5), 40)));
  ASSERT_TRUE(g.addProtocol(withBytes(out("f1", "10.1.0.3", 8080, 6), 0, "http")));
  edges = g.edges();
  ASSERT_EQ(edges.size(), 3u);
  for (const auto& e : edges) {
    if (e.key.port != 8080) continue;
    EXPECT_EQ(e.connections, e.key.protocol == "http" ? 1u : 0u) << e.key.protocol;
    EXPECT_EQ(e.bytes, e.key.protocol == "http" ? 0u : 40u) << e.key.protocol;
  }
}

TEST(ServiceGraph, RendersTextDotAndJsonThatReadsBack) {
  ServiceGraph g = threeTier();
  ASSERT_TRUE(g.add(out("f1", "10.1.0.3", 8080, 1700000000000000000)));
  ASSERT_TRUE(g.add(out("a1", "192.0.2.10", 443, 1700000001000000000)));
  ASSERT_TRUE(g.addBytes(withBytes(out("a1", "192.0.2.10", 443, 1700000001000000000), 1234567)));
  const std::string text = renderText(g);
  EXPECT_NE(text.find("BYTES"), std::string::npos) << text;
  EXPECT_NE(text.find(" 1234567 "), std::string::npos) << text;
  EXPECT_NE(text.find("front"), std::string::npos);
  EXPECT_NE(text.find("tcp/8080"), std::string::npos);
  EXPECT_NE(text.find("external 192.0.2.10"), std::string::npos);
  EXPECT_NE(text.find("2023-11-14T22:13:20Z"), std::string::npos);
  EXPECT_NE(text.find("2 edge(s) between 3 group(s)"), std::string::npos);
  const std::string dot = renderDot(g);
  EXPECT_NE(dot.find("\"front\" -> \"app\" [label=\"tcp/8080 x1 0 B\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("[label=\"tcp/443 x1 1.2 MiB\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("style=dashed"), std::string::npos);  // the outside address

  const auto j = g.toJson();
  ASSERT_EQ(j["edges"].size(), 2u);
  for (const auto& e : j["edges"]) EXPECT_EQ(e["bytes"], e["port"] == 443 ? 1234567 : 0) << e.dump();
  auto back = ServiceGraph::fromJson(j);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->toJson(), g.toJson());
  EXPECT_EQ(renderText(*back), text);
}

TEST(ServiceGraph, RejectsMalformedFiles) {
  const auto parse = [](const char* text) { return ServiceGraph::fromJson(nlohmann::json::parse(text)); };
  EXPECT_FALSE(parse("[]"));
  EXPECT_FALSE(parse(R"({"edges": 3})"));
  EXPECT_FALSE(parse(R"({"edges": [{"from": {"group": "a"}, "to": {"group": "b"}, "port": 70000}]})"));
  EXPECT_FALSE(parse(R"({"edges": [{"from": "a", "to": {"group": "b"}, "port": 80}]})"));
  EXPECT_FALSE(parse(R"({"edges": [{"from": {"group": "a", "address": "x"}, "to": {"group": "b"}, "port": 80}]})"));
  auto ok = parse(R"({"edges": [{"from": {"group": "a"}, "to": {"address": "1.2.3.4"}, "port": 80}]})");
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_EQ(ok->edges().size(), 1u);
  EXPECT_EQ(ok->edges()[0].key.to.kind, Endpoint::Kind::External);
  // Written before bytes were measured.
  auto old = parse(R"({"edges": [{"from": {"group": "a"}, "to": {"group": "b"}, "port": 80,
                                   "connections": 2, "bytes": null}]})");
  ASSERT_TRUE(old) << old.error().message;
  ASSERT_EQ(old->edges().size(), 1u);
  EXPECT_EQ(old->edges()[0].bytes, 0u);
  EXPECT_EQ(old->edges()[0].connections, 2u);
}

}  // namespace
}  // namespace bulkhead::net
