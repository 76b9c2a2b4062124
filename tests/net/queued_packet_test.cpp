// What the packet gates read from queued packets: DNS answers (UDP from port 53) and HTTP
// request lines (TCP), with their bounds and the paths as a server sees them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/queued_packet.h"

namespace bulkhead::net {
namespace {

// DNS answers from the packets the gate is handed: IPv4, UDP from port 53.
TEST(QueuedPacket, DnsAnswers) {
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
  // An A record whose data is not 4 bytes gives no address (found by the fuzzer: it gave
  // "(0 bytes)", which nftables then refused).
  std::vector<std::uint8_t> empty = good;
  empty[good.size() - 5] = 0;  // RDLENGTH 4 -> 0: the address bytes are left over
  auto noAddress = dnsAnswerFromPacket(empty);
  ASSERT_TRUE(noAddress) << noAddress.error().message;
  EXPECT_TRUE(noAddress->addresses.empty());
  // Not from port 53, not UDP, cut short: each refused with a reason.
  const auto wrongPort = packet(17, 5353), tcp = packet(6, 53);
  EXPECT_FALSE(dnsAnswerFromPacket(wrongPort));
  EXPECT_FALSE(dnsAnswerFromPacket(tcp));
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto cut = dnsAnswerFromPacket(Bytes(good.data(), n));
    if (cut) {
      EXPECT_TRUE(cut->addresses.empty()) << "an address from " << n << " bytes";
    }
  }
}

// An IPv4 TCP packet to 10.0.0.2:80 carrying `payload`.
std::vector<std::uint8_t> tcpPacket(const std::string& payload) {
  std::string ip("\x45\x00\x00\x00\x00\x00\x40\x00\x40\x06\x00\x00\x0a\x00\x00\x03\x0a\x00\x00\x02", 20);
  const std::size_t total = 20 + 20 + payload.size();
  ip[2] = static_cast<char>(total >> 8);
  ip[3] = static_cast<char>(total & 0xff);
  std::string tcp("\x9c\x40\x00\x50\x00\x00\x00\x01\x00\x00\x00\x01\x50\x18\xff\xff\x00\x00\x00\x00", 20);
  const std::string all = ip + tcp + payload;
  return {all.begin(), all.end()};
}

TEST(QueuedPacket, HttpRequestLines) {
  auto one = httpRequestsFromPacket(tcpPacket("GET /api/v1/items?id=7 HTTP/1.1\r\nHost: web\r\n\r\n"));
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->destination, "10.0.0.2");
  EXPECT_EQ(one->port, 80);
  ASSERT_EQ(one->requests.size(), 1u);
  EXPECT_EQ(one->requests[0].method, "GET");
  EXPECT_EQ(one->requests[0].path, "/api/v1/items");
  EXPECT_TRUE(one->requests[0].whole);
  // Paths as the server resolves them: dot segments and percent-encoding do not hide /admin.
  for (const char* target : {"/api/../admin/x", "/api/%2e%2e/admin/x", "/./admin/x", "http://web/admin/x", "/api/..%2fadmin/x"}) {
    auto r = httpRequestsFromPacket(tcpPacket(std::string("GET ") + target + " HTTP/1.1\r\n\r\n"));
    ASSERT_TRUE(r && r->requests.size() == 1u) << target;
    EXPECT_EQ(r->requests[0].path, "/admin/x") << target;
  }
  // Pipelined requests, after a body of Content-Length bytes.
  auto two = httpRequestsFromPacket(tcpPacket(
      "POST /api/x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloDELETE /admin HTTP/1.1\r\nHost: web\r\n\r\n"));
  ASSERT_TRUE(two);
  ASSERT_EQ(two->requests.size(), 2u);
  EXPECT_EQ(two->requests[1].method, "DELETE");
  EXPECT_EQ(two->requests[1].path, "/admin");
  // A line the packet cuts off is not whole (the gate refuses it); a continuation is none.
  auto cut = httpRequestsFromPacket(tcpPacket("GET /adm"));
  ASSERT_TRUE(cut && cut->requests.size() == 1u);
  EXPECT_FALSE(cut->requests[0].whole);
  auto body = httpRequestsFromPacket(tcpPacket("{\"json\": \"body\"}"));
  ASSERT_TRUE(body);
  EXPECT_TRUE(body->requests.empty());
  auto ack = httpRequestsFromPacket(tcpPacket(""));
  ASSERT_TRUE(ack);
  EXPECT_TRUE(ack->requests.empty());
  // Not TCP, or cut short before the payload: an error.
  auto packet = tcpPacket("GET / HTTP/1.1\r\n\r\n");
  for (std::size_t n = 0; n < 40; ++n) EXPECT_FALSE(httpRequestsFromPacket(Bytes(packet.data(), n))) << n;
  packet[9] = 17;
  EXPECT_FALSE(httpRequestsFromPacket(packet));
}

// A SYN the links table refused and logged: who sent it, to which port.
TEST(QueuedPacket, TcpOpenings) {
  auto syn = tcpPacket("");
  syn[33] = 0x02;  // SYN
  auto v4 = tcpOpeningFromPacket(syn);
  ASSERT_TRUE(v4) << v4.error().message;
  EXPECT_EQ(v4->source, "10.0.0.3");
  EXPECT_EQ(v4->port, 80);
  // IPv6 from 2001:db8::7 to port 8443 (0x20fb).
  std::string ip6(40, '\0');
  ip6[0] = 0x60;
  ip6[6] = 6;  // TCP
  ip6[8] = 0x20, ip6[9] = 0x01, ip6[10] = 0x0d, ip6[11] = static_cast<char>(0xb8), ip6[23] = 7;
  ip6[39] = 1;  // to ::1
  std::string tcp6("\x9c\x40\x20\xfb", 4);
  const std::string all = ip6 + tcp6;
  auto v6 = tcpOpeningFromPacket(std::vector<std::uint8_t>(all.begin(), all.end()));
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->source, "2001:db8::7");
  EXPECT_EQ(v6->port, 8443);
  // Cut before the ports, or not TCP: an error naming what is wrong.
  for (std::size_t n = 0; n < 24; ++n) EXPECT_FALSE(tcpOpeningFromPacket(Bytes(syn.data(), n))) << n;
  syn[9] = 17;
  auto udp = tcpOpeningFromPacket(syn);
  ASSERT_FALSE(udp);
  EXPECT_NE(udp.error().message.find("not 6"), std::string::npos) << udp.error().message;
}

}  // namespace
}  // namespace bulkhead::net
