// The flow assembler (src/net/flow_assembler.h) on hostile packet sequences: what the
// kernel captures from a container's traffic is the peer's to choose. Input: records of a
// byte selecting the flow (bits 0-1), protocol (bit 2: UDP), direction (bit 3), the kernel
// entry (bits 4-5: start_ns), a read of the map (bit 6) and an expiry (bit 7), a TCP flags
// byte, a 4-byte sequence number (also the byte totals), a length byte, then that many
// payload bytes.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "net/flow_assembler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bulkhead::net;
  std::size_t reported = 0;
  FlowAssembler assembler(
      [&](const IdentifiedFlow& f) {
        if (f.id.protocol.empty() || f.id.attributes.size() > Identification::kMaxAttributes) std::abort();
        ++reported;
      },
      [&](const FlowBytes& b) {
        // Totals are at most 32 bits here: no report is more, none is empty.
        if ((b.sent == 0 && b.received == 0) || b.sent > 0xffffffffULL || b.received > 0xffffffffULL) std::abort();
      });
  std::int64_t now = 0;
  size_t at = 0;
  while (at + 7 <= size) {
    bh_flow_chunk chunk{};
    const uint8_t select = data[at];
    chunk.key.cgroup_id = select & 3;
    chunk.key.family = 2;
    chunk.key.proto = (select & 4) ? 17 : 6;
    chunk.key.local_port = 40000;
    chunk.key.remote_port = 80;
    chunk.dir = (select >> 3) & 1;
    chunk.tcp_flags = data[at + 1];
    std::memcpy(&chunk.seq, data + at + 2, 4);
    chunk.bytes[0] = chunk.seq;
    chunk.bytes[1] = chunk.seq >> 8;
    chunk.start_ns = (select >> 4) & 3;
    const size_t len = std::min<size_t>(data[at + 6], size - at - 7);
    chunk.len = static_cast<uint16_t>(len);
    chunk.payload = chunk.len;
    std::memcpy(chunk.data, data + at + 7, len);
    at += 7 + len;
    assembler.add(chunk, now);
    if (select & 0x40) assembler.count(chunk.key, chunk.start_ns, chunk.bytes[0], chunk.bytes[1], now);
    now += 1000000000;  // a second per packet: idle flows expire along the way
    if (select & 0x80) {
      assembler.expire(now);
      assembler.forgetCounts(now - 30000000000);
    }
    if (assembler.flows() > FlowAssembler::kMaxFlows) std::abort();
  }
  assembler.expire(now + FlowAssembler::kIdleNs + 1);
  if (assembler.flows() != 0 || assembler.counted() > FlowAssembler::kMaxCounted) std::abort();
  if (reported > size) std::abort();  // at most once per flow
  return 0;
}
