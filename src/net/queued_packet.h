#pragma once
// What the packet gates read from a queued packet (an IPv4 or IPv6 packet from its IP
// header on, from a peer or from a workload: hostile either way). Every read is bounded by
// the packet; an error says why the packet is not what was looked for.

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "net/protocol/bytes.h"

namespace bulkhead::net {

struct DnsAnswer {
  std::string qname;  // lower case, without the final dot
  struct Address {
    std::string address;
    std::uint32_t ttl = 0;
  };
  std::vector<Address> addresses;  // the A and AAAA records (a CNAME chain's end included)
};

// A DNS answer in a UDP packet from port 53.
Result<DnsAnswer> dnsAnswerFromPacket(Bytes packet);

struct HttpRequestLine {
  std::string method;  // "GET"
  // The request target's path, as a server would see it: percent-decoded, dot segments
  // removed ("/api/../admin" is "/admin"), query and fragment left out.
  std::string path;
  bool whole = true;  // false: the packet ended inside the line (the gate refuses those)
};

struct HttpRequests {
  std::string destination;  // the packet's destination address and port
  std::uint16_t port = 0;
  // The HTTP/1.x request lines that start in the TCP payload: at its start, then after each
  // request's headers and body (Content-Length; a chunked body is not followed), as a
  // server reads pipelined requests. None when the payload holds no request line (a
  // continuation of headers or a body).
  std::vector<HttpRequestLine> requests;
};
Result<HttpRequests> httpRequestsFromPacket(Bytes packet);

// Who opened a TCP connection and to which port: a connection's first segment, as the links
// table logs the ones it refuses.
struct TcpOpening {
  std::string source;  // the packet's source address
  std::uint16_t port = 0;  // its destination port
};
Result<TcpOpening> tcpOpeningFromPacket(Bytes packet);

}  // namespace bulkhead::net
