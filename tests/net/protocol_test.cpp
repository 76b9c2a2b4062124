// The protocol detectors on crafted messages (the formats' own examples where the RFCs give
// them), on every prefix of each, and on hostile bytes. Real traffic: capture_test.cpp.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "net/protocol/detector.h"
#include "net/protocol/hpack.h"

namespace bulkhead::net {
namespace {

using Buffer = std::vector<std::uint8_t>;

Buffer bytes(std::string_view s) { return Buffer(s.begin(), s.end()); }
Buffer hex(std::string_view h) {
  Buffer out;
  for (std::size_t i = 0; i + 1 < h.size(); ++i) {
    if (h[i] == ' ') continue;
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    ++i;
  }
  return out;
}
Buffer& operator+=(Buffer& a, const Buffer& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
void be16(Buffer& b, unsigned v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void be32(Buffer& b, std::uint32_t v) {
  be16(b, v >> 16);
  be16(b, v & 0xffff);
}
void le32(Buffer& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

Detection run(const Buffer& client, const Buffer& server = {}, Transport t = Transport::Tcp) {
  FlowSample flow;
  flow.transport = t;
  flow.client = client;
  flow.server = server;
  return identify(flow);
}

std::vector<std::string> all(const Identification& id, std::string_view key) {
  std::vector<std::string> out;
  for (const auto& [k, v] : id.attributes) {
    if (k == key) out.push_back(v);
  }
  return out;
}

// --- samples ------------------------------------------------------------------------------
// RFC 7541 C.4.1: a request header block with Huffman-coded :authority www.example.com.
const Buffer kRfcBlock1 = hex("828684418cf1e3c2e5f23a6ba0ab90f4ff");

Buffer h2Frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream, const Buffer& payload) {
  Buffer f;
  f.push_back(static_cast<std::uint8_t>(payload.size() >> 16));
  be16(f, payload.size() & 0xffff);
  f.push_back(type);
  f.push_back(flags);
  be32(f, stream);
  f += payload;
  return f;
}
Buffer h2Request(const Buffer& block) {
  Buffer c = bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  c += h2Frame(4, 0, 0, hex("000300000064"));  // SETTINGS
  c += h2Frame(1, 0x4 | 0x1, 1, block);         // HEADERS, END_HEADERS | END_STREAM
  return c;
}

Buffer clientHello(std::string_view sni, std::vector<std::string_view> alpn, bool tls13) {
  Buffer ext;
  Buffer name;  // server_name
  be16(name, sni.size() + 3);
  name.push_back(0);
  be16(name, sni.size());
  name += bytes(sni);
  be16(ext, 0);
  be16(ext, name.size());
  ext += name;
  Buffer list;
  for (auto p : alpn) {
    list.push_back(static_cast<std::uint8_t>(p.size()));
    list += bytes(p);
  }
  be16(ext, 16);
  be16(ext, list.size() + 2);
  be16(ext, list.size());
  ext += list;
  if (tls13) ext += hex("002b 0005 04 3a3a 0304");  // GREASE and 1.3
  Buffer hello = hex("0303");
  hello += Buffer(32, 0x11);  // random
  hello.push_back(0);         // no session id
  hello += hex("0004 1301 c02f 01 00");
  be16(hello, ext.size());
  hello += ext;
  Buffer hs{1};
  hs.push_back(0);
  be16(hs, hello.size());
  hs += hello;
  Buffer record = hex("160301");
  be16(record, hs.size());
  record += hs;
  return record;
}

Buffer dnsQuery(std::uint16_t id) {
  Buffer q;
  be16(q, id);
  q += hex("0100 0001 0000 0000 0000");  // RD, one question
  q += hex("03 777777 07 6578616d706c65 03 636f6d 00");  // www.example.com
  q += hex("0001 0001");
  return q;
}
Buffer dnsReply(std::uint16_t id) {
  Buffer r;
  be16(r, id);
  r += hex("8180 0001 0002 0000 0000");
  r += hex("03 777777 07 6578616d706c65 03 636f6d 00 0001 0001");
  // www.example.com CNAME web.example.com (pointer to example.com at 16)
  r += hex("c00c 0005 0001 0000003c 0006 03 776562 c010");
  // web.example.com A 93.184.216.34 (pointer to the CNAME's data)
  r += hex("c02d 0001 0001 0000003c 0004 5db8d822");
  return r;
}

Buffer pgStartup(std::string_view user, std::string_view db) {
  Buffer body;
  be32(body, 196608);
  for (auto s : {std::string_view("user"), user, std::string_view("database"), db}) {
    body += bytes(s);
    body.push_back(0);
  }
  body.push_back(0);
  Buffer m;
  be32(m, body.size() + 4);
  m += body;
  return m;
}

Buffer mysqlGreeting(std::string_view version) {
  Buffer p{10};
  p += bytes(version);
  p.push_back(0);
  le32(p, 42);                   // connection id
  p += bytes("abcdefgh");        // auth data 1
  p.push_back(0);                // filler
  p += hex("fff7 08 0200 ffc1 15 00000000000000000000");
  p += bytes("ijklmnopqrst");
  p.push_back(0);
  p += bytes("mysql_native_password");
  p.push_back(0);
  Buffer out{static_cast<std::uint8_t>(p.size()), 0, 0, 0};
  out += p;
  return out;
}
Buffer mysqlResponse(std::string_view user) {
  Buffer p;
  le32(p, 0x000fa685);  // protocol 4.1, secure connection, ...
  le32(p, 16777216);
  p.push_back(33);
  p += Buffer(23, 0);
  p += bytes(user);
  p.push_back(0);
  p.push_back(0);  // empty auth response
  Buffer out{static_cast<std::uint8_t>(p.size()), 0, 0, 1};
  out += p;
  return out;
}

Buffer bsonHello() {  // {hello: 1, $db: "admin"}
  Buffer doc;
  doc += hex("10");
  doc += bytes("hello");
  doc += hex("00 01000000");
  doc += hex("02");
  doc += bytes("$db");
  doc += hex("00 06000000");
  doc += bytes("admin");
  doc += hex("00 00");
  Buffer out;
  le32(out, doc.size() + 4);
  out += doc;
  return out;
}
Buffer mongoMsg() {
  Buffer body;
  le32(body, 0);     // flags
  body.push_back(0);  // body section
  body += bsonHello();
  Buffer m;
  le32(m, body.size() + 16);
  le32(m, 7);
  le32(m, 0);
  le32(m, 2013);
  m += body;
  return m;
}

Buffer kafkaApiVersions(std::string_view clientId) {
  Buffer body;
  be16(body, 18);  // ApiVersions
  be16(body, 3);
  be32(body, 1);  // correlation id
  be16(body, clientId.size());
  body += bytes(clientId);
  body += hex("00 0a 6c6962726466616b61 06 322e302e3200");  // tagged fields and software name
  Buffer m;
  be32(m, body.size());
  m += body;
  return m;
}

struct Sample {
  std::string protocol;
  Buffer client, server;
};
std::vector<Sample> samples() {
  return {
      {"http", bytes("GET /api/v1/items?id=7 HTTP/1.1\r\nHost: shop.internal:8080\r\nUser-Agent: curl/7.88.1\r\n\r\n"),
       bytes("HTTP/1.1 200 OK\r\n")},
      {"http2", h2Request(kRfcBlock1), {}},
      {"tls", clientHello("api.example.org", {"h2", "http/1.1"}, true), {}},
      {"ssh", bytes("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), bytes("SSH-2.0-OpenSSH_9.2p1\r\n")},
      {"redis", bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"), bytes("+OK\r\n")},
      {"postgresql", pgStartup("app", "orders"), bytes("R\0\0\0\x08\0\0\0\0")},
      {"mysql", mysqlResponse("shop"), mysqlGreeting("10.11.6-MariaDB-0+deb12u1")},
      {"mongodb", mongoMsg(), {}},
      {"kafka", kafkaApiVersions("rdkafka"), {}},
  };
}

// --- tests --------------------------------------------------------------------------------
TEST(Hpack, DecodesTheRfcExamplesWithHuffmanAndTheDynamicTable) {
  HpackDecoder decoder;
  auto first = decoder.decode(kRfcBlock1);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->size(), 4u);
  EXPECT_EQ((*first)[3], (Header{":authority", "www.example.com"}));
  // C.4.2: the same authority from the dynamic table (index 62) and a Huffman literal.
  auto second = decoder.decode(hex("828684be5886a8eb10649cbf"));
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_EQ(second->size(), 5u);
  EXPECT_EQ((*second)[3], (Header{":authority", "www.example.com"}));
  EXPECT_EQ((*second)[4], (Header{"cache-control", "no-cache"}));
}

TEST(Hpack, RejectsBadHuffmanAndIndexes) {
  EXPECT_FALSE(huffmanDecode(hex("f1e3c2e5f23a6ba0ab90f400")));  // padding not all ones
  EXPECT_FALSE(huffmanDecode(hex("ffffffff")));                  // EOS inside
  EXPECT_TRUE(huffmanDecode(hex("f1e3c2e5f23a6ba0ab90f4ff")));
  HpackDecoder decoder;
  EXPECT_FALSE(decoder.decode(hex("ff00")));   // index 127: nothing there
  EXPECT_FALSE(decoder.decode(hex("4185")));   // string longer than the block
  EXPECT_FALSE(decoder.decode(hex("3fffffffff0f")));  // table size far too large
}

TEST(Detectors, IdentifyEachProtocolAndItsAttributes) {
  for (const auto& s : samples()) {
    const Detection d = run(s.client, s.server);
    ASSERT_TRUE(d.matched()) << s.protocol;
    EXPECT_EQ(d.id.protocol, s.protocol);
  }
  auto http = run(samples()[0].client, samples()[0].server).id;
  EXPECT_EQ(http.get("method"), "GET");
  EXPECT_EQ(http.get("path"), "/api/v1/items?id=7");
  EXPECT_EQ(http.get("host"), "shop.internal:8080");
  EXPECT_EQ(http.get("status"), "200");
  auto h2 = run(samples()[1].client).id;
  EXPECT_EQ(h2.get("authority"), "www.example.com");
  EXPECT_EQ(h2.get("path"), "/");
  auto tls = run(samples()[2].client).id;
  EXPECT_EQ(tls.get("sni"), "api.example.org");
  EXPECT_EQ(all(tls, "alpn"), (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(tls.get("version"), "1.3");
  auto ssh = run(samples()[3].client, samples()[3].server).id;
  EXPECT_EQ(ssh.get("client_version"), "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");
  EXPECT_EQ(run(samples()[4].client).id.get("command"), "SET");
  auto pg = run(samples()[5].client).id;
  EXPECT_EQ(pg.get("user"), "app");
  EXPECT_EQ(pg.get("database"), "orders");
  auto my = run(samples()[6].client, samples()[6].server).id;
  EXPECT_EQ(my.get("server_version"), "10.11.6-MariaDB-0+deb12u1");
  EXPECT_EQ(my.get("user"), "shop");
  auto mongo = run(samples()[7].client).id;
  EXPECT_EQ(mongo.get("command"), "hello");
  EXPECT_EQ(mongo.get("opcode"), "OP_MSG");
  auto kafka = run(samples()[8].client).id;
  EXPECT_EQ(kafka.get("api_key"), "ApiVersions");
  EXPECT_EQ(kafka.get("client_id"), "rdkafka");
}

TEST(Detectors, GrpcIsHttp2WithItsContentType) {
  Buffer block = hex("8386");  // :method POST, :scheme http
  block += hex("04");          // :path: a literal without indexing, name from index 4
  block.push_back(23);
  block += bytes("/shop.Orders/PlaceOrder");
  block += hex("0f10");        // content-type (31), literal without indexing
  block.push_back(16);
  block += bytes("application/grpc");
  const Detection d = run(h2Request(block));
  ASSERT_TRUE(d.matched());
  EXPECT_EQ(d.id.protocol, "grpc");
  EXPECT_EQ(d.id.get("path"), "/shop.Orders/PlaceOrder");
  EXPECT_EQ(d.id.get("method"), "POST");
}

TEST(Detectors, DnsQueryAndAnswersOverUdpAndTcp) {
  const Detection d = run(dnsQuery(0x1234), dnsReply(0x1234), Transport::Udp);
  ASSERT_TRUE(d.matched());
  EXPECT_EQ(d.id.protocol, "dns");
  EXPECT_EQ(d.id.get("qname"), "www.example.com");
  EXPECT_EQ(d.id.get("qtype"), "A");
  EXPECT_EQ(d.id.get("rcode"), "NOERROR");
  EXPECT_EQ(all(d.id, "answer"), (std::vector<std::string>{"www.example.com CNAME web.example.com",
                                                            "web.example.com A 93.184.216.34"}));
  Buffer tcp;
  be16(tcp, dnsQuery(9).size());
  tcp += dnsQuery(9);
  const Detection t = run(tcp);
  ASSERT_TRUE(t.matched());
  EXPECT_EQ(t.id.protocol, "dns");
  // A reply to another query id is not this query's answer.
  EXPECT_TRUE(all(run(dnsQuery(1), dnsReply(2), Transport::Udp).id, "answer").empty());
}

TEST(Detectors, PostgresAfterARefusedSslRequest) {
  Buffer client = hex("00000008 04d2162f");
  client += pgStartup("billing", "ledger");
  const Detection d = run(client, bytes("N"));
  ASSERT_TRUE(d.matched());
  EXPECT_EQ(d.id.protocol, "postgresql");
  EXPECT_EQ(d.id.get("ssl_request"), "true");
  EXPECT_EQ(d.id.get("user"), "billing");
  // Accepted: TLS follows, nothing more to read.
  const Detection s = run(hex("00000008 04d2162f"), bytes("S"));
  ASSERT_TRUE(s.matched());
  EXPECT_EQ(s.id.get("user"), "");
}

TEST(Detectors, EveryPrefixWaitsOrAgrees) {
  for (const auto& s : samples()) {
    for (std::size_t n = 0; n < s.client.size(); ++n) {
      const Buffer part(s.client.begin(), s.client.begin() + static_cast<long>(n));
      // Server-first protocols see the whole greeting with part of the client's answer.
      const Detection d = run(part, s.protocol == "mysql" ? s.server : Buffer{});
      if (d.matched()) {
        EXPECT_EQ(d.id.protocol, s.protocol) << "prefix " << n;
      } else {
        EXPECT_EQ(d.kind, Detection::Kind::NeedMore) << s.protocol << " prefix " << n;
      }
    }
  }
}

TEST(Detectors, OtherBytesAreNoMatch) {
  EXPECT_EQ(run({}).kind, Detection::Kind::NeedMore);
  EXPECT_EQ(run(bytes("hello there, this is not a protocol\n")).kind, Detection::Kind::NoMatch);
  EXPECT_EQ(run(bytes("GET  HTTP/1.1\r\n\r\n")).kind, Detection::Kind::NoMatch);
  EXPECT_EQ(run(bytes("GET / HTTP/3.0\r\n\r\n")).kind, Detection::Kind::NoMatch);
  EXPECT_EQ(run(bytes("SSH-3.0-x\r\n")).kind, Detection::Kind::NoMatch);
  EXPECT_EQ(run(bytes("*1\r\n$4\r\n\x01\x02\x03\x04\r\n")).kind, Detection::Kind::NoMatch);
  // A PostgreSQL start-up is not read as a Kafka request (both start with a size).
  EXPECT_EQ(run(pgStartup("u", "d")).id.protocol, "postgresql");
}

TEST(Detectors, HostileDnsNamesEndWithoutLooping) {
  Buffer loop;
  be16(loop, 1);
  loop += hex("8180 0001 0001 0000 0000 c00c 0001 0001");  // the question points at itself
  EXPECT_EQ(run(dnsQuery(1), loop, Transport::Udp).id.get("rcode"), "");
  Buffer reply = dnsReply(1);
  reply[reply.size() - 15] = 0xc0;  // the A record's name points forward
  reply[reply.size() - 14] = 0xff;
  const Detection d = run(dnsQuery(1), reply, Transport::Udp);
  ASSERT_TRUE(d.matched());
  EXPECT_EQ(all(d.id, "answer").size(), 1u);
}

TEST(Detectors, RandomBytesNeverCrashAndRarelyMatch) {
  std::mt19937 rng(7);
  int matched = 0;
  for (int i = 0; i < 20000; ++i) {
    Buffer c(rng() % 600), s(rng() % 100);
    for (auto& b : c) b = static_cast<std::uint8_t>(rng());
    for (auto& b : s) b = static_cast<std::uint8_t>(rng());
    matched += run(c, s).matched() ? 1 : 0;
  }
  EXPECT_LT(matched, 20);  // random bytes are not a protocol
}

}  // namespace
}  // namespace bulkhead::net
