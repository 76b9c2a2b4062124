// DNS (RFC 1035) over UDP, or over TCP with its two-byte length prefix: the query's name
// and type, and from the server's reply the response code and the answers (A, AAAA, CNAME
// and the like), so that name-based rules can follow what a workload resolved.
// Attributes: qname, qtype, rcode, answer (one per record, "name TYPE data").
#include <arpa/inet.h>
#include <fmt/format.h>

#include "net/protocol/bytes.h"
#include "net/protocol/detector.h"
#include "net/protocol/dns.h"

namespace bulkhead::net {
namespace {

constexpr int kMaxPointers = 16;

// A domain name at offset pos of the message, following compression pointers (at most
// kMaxPointers, always backwards); pos moves past the name as it appears at pos.
bool readName(Bytes msg, std::size_t& pos, std::string& out) {
  out.clear();
  std::size_t at = pos;
  bool jumped = false;
  for (int pointers = 0;;) {
    if (at >= msg.size()) return false;
    const std::uint8_t len = msg[at];
    if (len == 0) {
      if (!jumped) pos = at + 1;
      if (out.empty()) out = ".";
      return out.size() <= 255;
    }
    if ((len & 0xc0) == 0xc0) {
      if (at + 1 >= msg.size() || ++pointers > kMaxPointers) return false;
      const std::size_t target = std::size_t{len & 0x3fu} << 8 | msg[at + 1];
      if (target >= at) return false;  // forward or self pointers: loops
      if (!jumped) pos = at + 2;
      jumped = true;
      at = target;
      continue;
    }
    if ((len & 0xc0) != 0 || at + 1 + len > msg.size()) return false;
    if (!out.empty()) out += '.';
    const std::string_view label = asText(msg.subspan(at + 1, len));
    for (const char c : label) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7f) return false;  // hostnames and service labels only
    }
    out += label;
    if (out.size() > 255) return false;
    at += 1 + len;
  }
}

}  // namespace

std::string dnsTypeName(std::uint16_t t) {
  switch (t) {
    case 1: return "A";
    case 2: return "NS";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 12: return "PTR";
    case 15: return "MX";
    case 16: return "TXT";
    case 28: return "AAAA";
    case 33: return "SRV";
    case 65: return "HTTPS";
    case 255: return "ANY";
    default: return fmt::format("TYPE{}", t);
  }
}

std::string dnsRcodeName(unsigned r) {
  constexpr std::string_view names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  return r < std::size(names) ? std::string(names[r]) : fmt::format("RCODE{}", r);
}

bool readDnsMessage(Bytes msg, DnsMessage& m) {
  ByteReader in(msg);
  std::uint16_t authority = 0, additional = 0;
  if (!in.be16(m.id) || !in.be16(m.flags) || !in.be16(m.questions) || !in.be16(m.answerCount) ||
      !in.be16(authority) || !in.be16(additional)) {
    return false;
  }
  const unsigned opcode = (m.flags >> 11) & 0xf;
  if (m.questions != 1 || (opcode != 0 && opcode != 2 && opcode != 4 && opcode != 5)) return false;
  if ((m.flags & 0x0040) != 0) return false;  // the Z bit is zero
  if (m.answerCount > 512 || authority > 512 || additional > 512) return false;
  std::size_t pos = 12;
  if (!readName(msg, pos, m.qname)) return false;
  ByteReader q(msg.subspan(pos));
  if (!q.be16(m.qtype) || !q.be16(m.qclass)) return false;
  if (m.qclass != 1 && m.qclass != 3 && m.qclass != 4 && m.qclass != 254 && m.qclass != 255 &&
      (m.qclass & 0x7fff) != 1) {  // mDNS sets the top bit
    return false;
  }
  m.end = pos + 4;
  return true;
}

void readDnsAnswers(Bytes msg, DnsMessage& m) {
  m.answers.clear();
  std::size_t pos = m.end;
  for (int i = 0; i < m.answerCount && i < kMaxDnsAnswers; ++i) {
    DnsRecord record;
    if (!readName(msg, pos, record.name)) return;
    ByteReader rr(msg.subspan(pos));
    std::uint16_t klass = 0, rdlength = 0;
    Bytes rdata;
    if (!rr.be16(record.type) || !rr.be16(klass) || !rr.be32(record.ttl) || !rr.be16(rdlength) ||
        !rr.take(rdlength, rdata)) {
      return;
    }
    const std::size_t rdataAt = pos + 10;
    pos = rdataAt + rdlength;
    char text[INET6_ADDRSTRLEN] = {};
    if (record.type == 1 && rdlength == 4) {
      ::inet_ntop(AF_INET, rdata.data(), text, sizeof text);
      record.data = text;
      record.isAddress = true;
    } else if (record.type == 28 && rdlength == 16) {
      ::inet_ntop(AF_INET6, rdata.data(), text, sizeof text);
      record.data = text;
      record.isAddress = true;
    } else if (record.type == 5 || record.type == 2 || record.type == 12) {
      std::size_t at = rdataAt;
      if (!readName(msg, at, record.data)) return;
    } else {
      record.data = fmt::format("({} bytes)", rdlength);
    }
    m.answers.push_back(std::move(record));
  }
}

namespace {

class DnsDetector final : public Detector {
 public:
  std::string_view name() const override { return "dns"; }

  Detection detect(const FlowSample& flow) const override {
    Bytes query = flow.client, reply = flow.server;
    if (flow.transport == Transport::Tcp) {  // each message after a two-byte length
      if (!unframe(query) || !unframe(reply)) return Detection::noMatch();
    }
    if (query.empty()) return Detection::needMore();
    DnsMessage q;
    if (!readDnsMessage(query, q) || q.isResponse()) {
      // Over TCP the message may continue past the sample: wait while its header is sound.
      const bool partial = flow.transport == Transport::Tcp && query.size() < declared(flow.client);
      return partial && soundHeader(query) ? Detection::needMore() : Detection::noMatch();
    }
    Identification id{"dns", {}};
    id.add("qname", printable(q.qname));
    id.add("qtype", dnsTypeName(q.qtype));
    DnsMessage r;
    if (!reply.empty() && readDnsMessage(reply, r) && r.isResponse() && r.id == q.id) {
      id.add("rcode", dnsRcodeName(r.rcode()));
      readDnsAnswers(reply, r);
      for (const auto& a : r.answers) id.add("answer", fmt::format("{} {} {}", a.name, dnsTypeName(a.type), a.data));
    }
    return Detection::match(std::move(id));
  }

 private:
  static std::size_t declared(Bytes b) { return b.size() < 2 ? 0 : std::size_t{b[0]} << 8 | b[1]; }
  // What there is of a query's header: one question, the Z bit clear, not a reply.
  static bool soundHeader(Bytes h) {
    if (h.size() >= 3 && (h[2] & 0x80) != 0) return false;
    if (h.size() >= 4 && (h[3] & 0x40) != 0) return false;
    if (h.size() >= 6 && (h[4] != 0 || h[5] != 1)) return false;
    return true;
  }
  // The first message of a TCP stream (a prefix when the sample ends inside it).
  static bool unframe(Bytes& b) {
    if (b.empty()) return true;
    if (b.size() < 2) return false;
    const std::size_t length = std::size_t{b[0]} << 8 | b[1];
    if (length < 12) return false;
    b = b.subspan(2, std::min(length, b.size() - 2));
    return true;
  }
};

}  // namespace

const Detector& dnsDetector() {
  static const DnsDetector d;
  return d;
}

}  // namespace bulkhead::net
