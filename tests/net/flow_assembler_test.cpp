// The flow assembler: packets put back in order by sequence number, retransmissions and
// gaps, flows that began before the capture, UDP, and its bounds.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <string>
#include <vector>

#include "net/flow_assembler.h"

namespace bulkhead::net {
namespace {

constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01;

bh_flow_key key(std::uint16_t localPort, std::uint8_t proto = 6) {
  bh_flow_key k{};
  k.cgroup_id = 42;
  k.family = AF_INET;
  k.proto = proto;
  k.local_port = localPort;
  k.remote_port = 6379;
  ::inet_pton(AF_INET, "10.0.0.2", k.local);
  ::inet_pton(AF_INET, "10.0.0.3", k.remote);
  return k;
}

bh_flow_chunk chunk(const bh_flow_key& k, std::uint8_t dir, std::uint8_t flags, std::uint32_t seq,
                    std::string_view payload = {}, std::uint64_t sent = 0, std::uint64_t received = 0,
                    std::uint64_t startNs = 0) {
  bh_flow_chunk c{};
  c.key = k;
  c.bytes[BH_FLOW_EGRESS] = sent;
  c.bytes[BH_FLOW_INGRESS] = received;
  c.start_ns = startNs;
  c.dir = dir;
  c.tcp_flags = flags;
  c.seq = seq;
  c.len = static_cast<std::uint16_t>(payload.size());
  c.payload = c.len;
  if (!payload.empty()) std::memcpy(c.data, payload.data(), payload.size());
  return c;
}

struct Collected {
  std::vector<IdentifiedFlow> flows;
  std::vector<FlowBytes> bytes;
  FlowAssembler assembler{[this](const IdentifiedFlow& f) { flows.push_back(f); },
                          [this](const FlowBytes& b) { bytes.push_back(b); }};
  std::uint64_t sent() const {
    std::uint64_t n = 0;
    for (const auto& b : bytes) n += b.sent;
    return n;
  }
  std::uint64_t received() const {
    std::uint64_t n = 0;
    for (const auto& b : bytes) n += b.received;
    return n;
  }
};

TEST(FlowAssembler, OrdersSegmentsBySequenceAndIdentifiesOnce) {
  Collected c;
  const auto k = key(40000);
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, kSyn, 999), 1);            // connect: ISN 1000
  c.assembler.add(chunk(k, BH_FLOW_INGRESS, kSyn | kAck, 4999), 2);   // the peer's ISN 5000
  // "*1\r\n$4\r\nPING\r\n" in two segments, the second first, then a retransmission.
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, kAck, 1008, "PING\r\n"), 3);
  EXPECT_TRUE(c.flows.empty());
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, kAck, 1000, "*1\r\n$4\r\n"), 4);
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, kAck, 1000, "*1\r\n$4\r\n"), 5);
  ASSERT_EQ(c.flows.size(), 1u);
  const IdentifiedFlow& f = c.flows[0];
  EXPECT_EQ(f.id.protocol, "redis");
  EXPECT_EQ(f.id.get("command"), "PING");
  EXPECT_TRUE(f.initiatedLocally);
  EXPECT_EQ(f.transport, "tcp");
  EXPECT_EQ(f.localAddress, "10.0.0.2");
  EXPECT_EQ(f.remoteAddress, "10.0.0.3");
  EXPECT_EQ(f.remotePort, 6379);
  EXPECT_EQ(f.cgroupId, 42u);
  c.assembler.add(chunk(k, BH_FLOW_INGRESS, kAck, 5000, "+PONG\r\n"), 6);
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, kFin | kAck, 1014), 7);
  EXPECT_EQ(c.flows.size(), 1u);  // reported once
  EXPECT_EQ(c.assembler.flows(), 0u);
}

TEST(FlowAssembler, AcceptedFlowsAndServerFirstProtocols) {
  Collected c;
  const auto k = key(22);
  c.assembler.add(chunk(k, BH_FLOW_INGRESS, kSyn, 100), 1);  // someone connects to us
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, kSyn | kAck, 700), 2);
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, kAck, 701, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"), 3);
  ASSERT_EQ(c.flows.size(), 1u);
  EXPECT_EQ(c.flows[0].id.protocol, "ssh");
  EXPECT_FALSE(c.flows[0].initiatedLocally);
  EXPECT_EQ(c.flows[0].id.get("server_version"), "SSH-2.0-OpenSSH_9.2p1 Debian-2");
}

TEST(FlowAssembler, IgnoresFlowsThatBeganBeforeTheCapture) {
  Collected c;
  c.assembler.add(chunk(key(40001), BH_FLOW_EGRESS, kAck, 5, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 1);
  EXPECT_TRUE(c.flows.empty());
  EXPECT_EQ(c.assembler.flows(), 0u);
}

TEST(FlowAssembler, UdpFirstDatagramsAndIdleFlows) {
  Collected c;
  const auto k = key(53000, 17);
  // A DNS query for a.b: header, question.
  const std::string query("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01" "a\x01" "b\x00\x00\x01\x00\x01", 21);
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, 0, 0, query), 1);
  EXPECT_TRUE(c.flows.empty()) << "judged before its reply could come";
  c.assembler.expire(1 + FlowAssembler::kIdleNs + 1);  // no reply: judged on the request
  ASSERT_EQ(c.flows.size(), 1u);
  EXPECT_EQ(c.flows[0].id.protocol, "dns");
  EXPECT_EQ(c.flows[0].transport, "udp");
  EXPECT_EQ(c.flows[0].id.get("qname"), "a.b");
  // A flow that never says enough is judged when idle: "GE" is not enough for anything.
  const auto t = key(40002);
  c.assembler.add(chunk(t, BH_FLOW_EGRESS, kSyn, 0), 1);
  c.assembler.add(chunk(t, BH_FLOW_EGRESS, kAck, 1, "GE"), 2);
  EXPECT_EQ(c.flows.size(), 1u);
  c.assembler.expire(2 + 2 * FlowAssembler::kIdleNs + 1);
  EXPECT_EQ(c.flows.size(), 1u);
  EXPECT_EQ(c.assembler.flows(), 0u);
}

// A resolver's A and AAAA queries on one socket, answered in the other order: the flow is
// reported once, at its first reply, and each reply is paired with the query it answers, so
// the A record's address is seen whichever reply comes first.
TEST(FlowAssembler, UdpRepliesArePairedWithTheirRequests) {
  Collected c;
  const auto k = key(53001, 17);
  const std::string question("\x03" "api\x07" "example\x03" "com\x00", 17);
  const auto query = [&](char id, char type) {
    return std::string{'\x55', id, '\x01', '\x00', '\x00', '\x01', '\x00', '\x00', '\x00', '\x00', '\x00', '\x00'} + question +
           std::string{'\x00', type, '\x00', '\x01'};
  };
  const std::string a = query('\x01', '\x01'), aaaa = query('\x02', '\x1c');
  // The AAAA reply: no answers (NOERROR, NODATA).
  std::string noData = aaaa;
  noData[2] = '\x81';
  noData[3] = '\x80';
  // The A reply: one answer, a pointer to the question's name, TTL 60, 192.0.2.10.
  std::string answered = a;
  answered[2] = '\x81';
  answered[3] = '\x80';
  answered[7] = '\x01';
  answered += std::string("\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x0a", 16);
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, 0, 0, a), 1);
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, 0, 0, aaaa), 2);
  EXPECT_TRUE(c.flows.empty());
  c.assembler.add(chunk(k, BH_FLOW_INGRESS, 0, 0, noData), 3);
  ASSERT_EQ(c.flows.size(), 1u);
  EXPECT_FALSE(c.flows[0].repeat);
  EXPECT_EQ(c.flows[0].id.get("qtype"), "AAAA");
  EXPECT_EQ(c.flows[0].id.get("rcode"), "NOERROR");
  EXPECT_EQ(c.flows[0].id.get("answer"), "");
  c.assembler.add(chunk(k, BH_FLOW_INGRESS, 0, 0, answered), 4);
  ASSERT_EQ(c.flows.size(), 2u);
  EXPECT_TRUE(c.flows[1].repeat);
  EXPECT_EQ(c.flows[1].id.get("qtype"), "A");
  EXPECT_EQ(c.flows[1].id.get("answer"), "api.example.com A 192.0.2.10");
}

TEST(FlowAssembler, StaysWithinItsBounds) {
  Collected c;
  for (std::uint32_t i = 0; i < FlowAssembler::kMaxFlows + 100; ++i) {
    auto k = key(static_cast<std::uint16_t>(i % 60000));
    k.cgroup_id = i;
    c.assembler.add(chunk(k, BH_FLOW_EGRESS, kSyn, 0), i);
  }
  EXPECT_EQ(c.assembler.flows(), FlowAssembler::kMaxFlows);
  // Gaps keep a few segments at most; sequence numbers far ahead are dropped.
  const auto k = key(1);
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, kSyn, 0), 1);
  for (std::uint32_t i = 0; i < 100; ++i) c.assembler.add(chunk(k, BH_FLOW_EGRESS, kAck, 100 + i * 10, "0123456789"), 2);
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, kAck, 0x7fffffff, "x"), 3);
  EXPECT_TRUE(c.flows.empty());
}

// The kernel's running totals, read from FIN and RST records and from the map, become
// bytes reported once: a total read twice counts once.
TEST(FlowAssembler, ReportsEachFlowsBytesOnce) {
  Collected c;
  const auto k = key(40010);
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, kSyn, 999, {}, 0, 0, 7), 1);
  c.assembler.add(chunk(k, BH_FLOW_INGRESS, kSyn | kAck, 4999, {}, 0, 0, 7), 2);
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, kAck, 1000, "*1\r\n$4\r\nPING\r\n", 14, 0, 7), 3);
  ASSERT_EQ(c.flows.size(), 1u);
  EXPECT_TRUE(c.bytes.empty());  // payload packets carry totals, only closes report them

  c.assembler.count(k, 7, 14, 0, 4);  // a read of the map
  ASSERT_EQ(c.bytes.size(), 1u);
  const FlowBytes& b = c.bytes[0];
  EXPECT_EQ(b.sent, 14u);
  EXPECT_EQ(b.received, 0u);
  EXPECT_EQ(b.protocol, "redis");
  EXPECT_TRUE(b.initiatedLocally);
  EXPECT_EQ(b.transport, "tcp");
  EXPECT_EQ(b.cgroupId, 42u);
  EXPECT_EQ(b.localAddress, "10.0.0.2");
  EXPECT_EQ(b.remoteAddress, "10.0.0.3");
  EXPECT_EQ(b.localPort, 40010);
  EXPECT_EQ(b.remotePort, 6379);
  c.assembler.count(k, 7, 14, 0, 5);  // read again, nothing new
  EXPECT_EQ(c.bytes.size(), 1u);
  c.assembler.count(k, 7, 14, 7, 6);
  ASSERT_EQ(c.bytes.size(), 2u);
  EXPECT_EQ(c.bytes[1].sent, 0u);
  EXPECT_EQ(c.bytes[1].received, 7u);
  // The closes carry the totals: the first FIN has nothing new, the peer's brings 2 bytes.
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, kFin | kAck, 1014, {}, 14, 7, 7), 7);
  EXPECT_EQ(c.bytes.size(), 2u);
  c.assembler.add(chunk(k, BH_FLOW_INGRESS, kFin | kAck, 5007, {}, 14, 9, 7), 8);
  ASSERT_EQ(c.bytes.size(), 3u);
  EXPECT_EQ(c.bytes[2].received, 2u);
  EXPECT_EQ(c.bytes[2].protocol, "redis");  // the flow was judged and erased; its counts stay
  // A late record of an older kernel entry of the same key: ignored.
  c.assembler.count(k, 3, 1000, 1000, 9);
  EXPECT_EQ(c.bytes.size(), 3u);
  // The same flow in a new kernel entry (evicted, then made again): its totals start at 0.
  c.assembler.count(k, 9, 4, 0, 10);
  ASSERT_EQ(c.bytes.size(), 4u);
  EXPECT_EQ(c.bytes[3].sent, 4u);
  EXPECT_EQ(c.bytes[3].protocol, "redis");
  EXPECT_EQ(c.sent(), 18u);
  EXPECT_EQ(c.received(), 9u);
}

TEST(FlowAssembler, MeasuresOnlyFlowsWhoseStartItSaw) {
  Collected c;
  const auto k = key(40011);
  c.assembler.count(k, 1, 100, 100, 1);  // in the map, never seen starting
  c.assembler.add(chunk(k, BH_FLOW_EGRESS, kFin | kAck, 5, {}, 200, 200, 1), 2);
  EXPECT_TRUE(c.bytes.empty());
  EXPECT_EQ(c.assembler.counted(), 0u);
}

TEST(FlowAssembler, AcceptedAndUdpFlowsAndAReusedPort) {
  Collected c;
  // Someone connects to us; a RST alone reports the totals.
  const auto in = key(8080);
  c.assembler.add(chunk(in, BH_FLOW_INGRESS, kSyn, 100, {}, 0, 0, 1), 1);
  c.assembler.add(chunk(in, BH_FLOW_INGRESS, 0x04, 101, {}, 300, 40, 1), 2);
  ASSERT_EQ(c.bytes.size(), 1u);
  EXPECT_FALSE(c.bytes[0].initiatedLocally);
  EXPECT_EQ(c.bytes[0].sent, 300u);
  EXPECT_EQ(c.bytes[0].received, 40u);
  EXPECT_EQ(c.bytes[0].protocol, "");
  // UDP: counts come from reads of the map only.
  const auto udp = key(53001, 17);
  const std::string query("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01" "a\x01" "b\x00\x00\x01\x00\x01", 21);
  std::string reply = query;  // the answer to it (no records): the flow is judged with its reply
  reply[2] = '\x81';
  reply[3] = '\x80';
  c.assembler.add(chunk(udp, BH_FLOW_EGRESS, 0, 0, query, 23, 0, 5), 3);
  c.assembler.add(chunk(udp, BH_FLOW_INGRESS, 0, 0, reply, 23, 23, 5), 3);
  c.assembler.count(udp, 5, 23, 80, 4);
  ASSERT_EQ(c.bytes.size(), 2u);
  EXPECT_EQ(c.bytes[1].transport, "udp");
  EXPECT_EQ(c.bytes[1].protocol, "dns");
  EXPECT_EQ(c.bytes[1].sent, 23u);
  EXPECT_EQ(c.bytes[1].received, 80u);
  // The client port taken again: a new SYN makes a new kernel entry and a new flow, whose
  // protocol is not the old one's.
  c.assembler.add(chunk(in, BH_FLOW_INGRESS, kSyn, 900, {}, 0, 0, 6), 5);
  c.assembler.count(in, 6, 10, 0, 6);
  ASSERT_EQ(c.bytes.size(), 3u);
  EXPECT_EQ(c.bytes[2].sent, 10u);
  EXPECT_EQ(c.bytes[2].protocol, "");
  // Flows no longer read are forgotten, then not measured any more.
  EXPECT_EQ(c.assembler.counted(), 2u);
  c.assembler.forgetCounts(5);
  EXPECT_EQ(c.assembler.counted(), 1u);  // the UDP flow, read last at 4, is gone
  c.assembler.count(udp, 5, 50, 100, 7);
  EXPECT_EQ(c.bytes.size(), 3u);
  c.assembler.count(in, 6, 12, 0, 7);  // the other is still measured
  ASSERT_EQ(c.bytes.size(), 4u);
  EXPECT_EQ(c.bytes[3].sent, 2u);
}

}  // namespace
}  // namespace bulkhead::net
