// DNS answers as the DNS gate reads them from its queue (src/net/dns_gate.h): an IPv4 or
// IPv6 packet from a peer, which may be anything. Whatever it is, reading it stays within
// the packet, and every address it yields is one nftables would accept.
#include <cstdint>
#include <cstdlib>

#include "net/dns_gate.h"
#include "net/nft.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bulkhead::net;
  if (size > 65535) return 0;
  auto answer = dnsAnswerFromPacket(Bytes(data, size));
  if (!answer) return 0;
  for (const auto& a : answer->addresses) {
    if (!nftAddress(a.address)) std::abort();  // addresses come from A/AAAA data, printed by inet_ntop
  }
  if (answer->qname.size() > 255) std::abort();
  return 0;
}
