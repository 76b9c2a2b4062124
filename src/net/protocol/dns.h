#pragma once
// DNS messages (RFC 1035), read within bounds: the header, the first question and the answer
// records. Shared by the DNS detector (dns.cpp) and the DNS gate (packet_gate.h, queued_packet.cpp), which reads
// answers as they reach a container so that name-based links follow what it resolved.

#include <cstdint>
#include <string>
#include <vector>

#include "net/protocol/bytes.h"

namespace bulkhead::net {

struct DnsRecord {
  std::string name;  // the owner name
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::string data;  // A/AAAA: the address; CNAME/NS/PTR: the name; else "(N bytes)"
  bool isAddress = false;  // an A or AAAA record whose data is an address (4 or 16 bytes)
};

struct DnsMessage {
  std::uint16_t id = 0, flags = 0, questions = 0, answerCount = 0;
  std::string qname;
  std::uint16_t qtype = 0, qclass = 0;
  std::vector<DnsRecord> answers;  // at most kMaxDnsAnswers, read with readDnsAnswers
  std::size_t end = 0;             // just past the question

  bool isResponse() const { return (flags & 0x8000) != 0; }
  unsigned rcode() const { return flags & 0xf; }
};

inline constexpr int kMaxDnsAnswers = 32;

// The header and the one question; false when the bytes are not a DNS message.
bool readDnsMessage(Bytes msg, DnsMessage& m);
// The answer records after the question (stops at the first malformed one).
void readDnsAnswers(Bytes msg, DnsMessage& m);

std::string dnsTypeName(std::uint16_t type);
std::string dnsRcodeName(unsigned rcode);

}  // namespace bulkhead::net
