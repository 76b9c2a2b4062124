// What the packet gates read from queued packets (src/net/queued_packet.h): an IPv4 or
// IPv6 packet from a peer or a workload, which may be anything. Reading stays within the
// packet; every DNS address and TCP source is one nftables would accept; request lines are
// bounded.
#include <cstdint>
#include <cstdlib>

#include "net/nft.h"
#include "net/queued_packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bulkhead::net;
  if (size > 65535) return 0;
  const Bytes packet(data, size);
  if (auto answer = dnsAnswerFromPacket(packet)) {
    for (const auto& a : answer->addresses) {
      if (!nftAddress(a.address)) std::abort();  // addresses come from A/AAAA data, printed by inet_ntop
    }
    if (answer->qname.size() > 255) std::abort();
  }
  if (auto http = httpRequestsFromPacket(packet)) {
    if (http->requests.size() > 16) std::abort();
    for (const auto& r : http->requests) {
      if (r.method.empty() || r.method.size() > 16 || r.path.empty() || r.path[0] != '/' || r.path.size() > 2049) std::abort();
    }
  }
  if (auto opening = tcpOpeningFromPacket(packet)) {
    if (!nftAddress(opening->source)) std::abort();  // printed by inet_ntop from the header
  }
  return 0;
}
