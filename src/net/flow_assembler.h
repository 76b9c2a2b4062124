#pragma once
// Puts the captured first packets of each flow (bpf/flow_capture.bpf.c) back in order,
// per direction by TCP sequence number from the SYN on, and hands each flow's first bytes
// to identify() until it decides. Pure bookkeeping, fed packet by packet: bounded in flows
// (kMaxFlows, the oldest given up first), in bytes (kMaxSample a direction) and in
// out-of-order packets kept (kMaxPending a direction).
//
// It also turns the kernel's byte counts (running totals per flow, from FIN and RST records
// and from reads of the `flows` map) into the bytes not reported yet: it remembers, per
// flow, what it reported, so that a total read twice is counted once.

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <string>
#include <vector>

#include "net/bpf/flow_abi.h"
#include "net/protocol/detector.h"

namespace bulkhead::net {

// A flow as its container sees it.
struct FlowEnds {
  std::uint64_t cgroupId = 0;
  std::string transport;  // "tcp", "udp"
  bool initiatedLocally = false;  // the container connected (else it accepted)
  std::string localAddress, remoteAddress;
  std::uint16_t localPort = 0, remotePort = 0;
};

struct IdentifiedFlow : FlowEnds {
  Identification id;
  // A later exchange on a UDP flow already reported (another request and its reply on the
  // same socket, such as the AAAA query after the A query): what it says, not a new flow.
  bool repeat = false;
};

// Payload bytes of a flow not reported before (TCP and UDP payload, headers left out).
struct FlowBytes : FlowEnds {
  std::string protocol;  // as identified so far, "" when not
  std::uint64_t sent = 0, received = 0;  // by the container
};

class FlowAssembler {
 public:
  static constexpr std::size_t kMaxFlows = 8192;
  static constexpr std::size_t kMaxPending = 8;
  static constexpr std::int64_t kIdleNs = 10'000'000'000;  // a flow with no packet this long is judged as is
  static constexpr std::size_t kMaxRequests = 4;  // UDP requests kept per flow, to pair replies with

  // Flows whose byte counts are remembered, at most (the kernel's `flows` map holds 65536).
  static constexpr std::size_t kMaxCounted = 1 << 17;

  using OnFlow = std::function<void(const IdentifiedFlow&)>;
  using OnBytes = std::function<void(const FlowBytes&)>;
  explicit FlowAssembler(OnFlow onFlow, OnBytes onBytes = {})
      : onFlow_(std::move(onFlow)), onBytes_(std::move(onBytes)) {}

  // One captured packet (a chunk, as the kernel side wrote it; size checked by the caller).
  // A FIN or RST reports the flow's bytes (count()).
  void add(const bh_flow_chunk& chunk, std::int64_t nowNs);
  // Judges the flows idle since before nowNs - kIdleNs with what they have.
  void expire(std::int64_t nowNs);
  std::size_t flows() const { return flows_.size(); }

  // The kernel's running totals for a flow (from its entry made at startNs): reports what is
  // new since the last report. Only flows whose start (SYN, or first UDP datagram) was seen
  // are measured, since only they say who connected. A newer startNs for the same key is a
  // new kernel entry (evicted, or deleted once closed, then made again by a later packet)
  // whose totals start from zero; an older one is a late report from an entry replaced since,
  // and ignored.
  void count(const bh_flow_key& key, std::uint64_t startNs, std::uint64_t sent, std::uint64_t received,
             std::int64_t nowNs);
  // Forgets the flows counted last before beforeNs (their kernel entries are gone).
  void forgetCounts(std::int64_t beforeNs);
  std::size_t counted() const { return counts_.size(); }

 private:
  struct Direction {
    bool haveIsn = false;
    std::uint32_t isn = 0;  // sequence number of the first payload byte
    std::vector<std::uint8_t> bytes;
    std::map<std::uint32_t, std::vector<std::uint8_t>> pending;  // offset -> bytes
  };
  struct Flow {
    bh_flow_key key{};
    int initiator = -1;  // BH_FLOW_EGRESS or BH_FLOW_INGRESS once known
    bool decided = false;
    std::string protocol;  // once decided and identified
    Direction dir[2];
    std::vector<std::vector<std::uint8_t>> requests;  // UDP: the first datagrams from the initiator
    std::int64_t lastNs = 0;
    std::list<std::string>::iterator age;
  };

  // What was reported of a flow's bytes.
  struct Counts {
    std::uint64_t startNs = 0;  // the kernel entry's
    std::uint64_t sent = 0, received = 0;
    bool initiatedLocally = false;
    std::string protocol;
    std::int64_t seenNs = 0;
  };

  // A new flow (its start seen): its counts start from zero.
  void startCounts(const std::string& id, const Flow& f, std::uint64_t startNs, std::int64_t nowNs);
  void place(Direction& d, std::uint32_t offset, const std::uint8_t* data, std::size_t len);
  // Identifies when it can; final: no more bytes will come.
  void judge(Flow& f, bool final);
  // UDP: a reply judged with each request kept, the best pairing first (see add()).
  void judgeReply(Flow& f, const std::uint8_t* data, std::size_t len);
  IdentifiedFlow describe(const Flow& f, Identification id) const;
  // The flow's protocol is known: its byte reports carry it from then on.
  void decide(Flow& f, const std::string& protocol);
  void erase(const std::string& id);

  OnFlow onFlow_;
  OnBytes onBytes_;
  std::map<std::string, Flow> flows_;  // by the key's bytes
  std::list<std::string> order_;       // oldest first
  std::map<std::string, Counts> counts_;  // by the key's bytes; outlives flows_ entries
};

}  // namespace bulkhead::net
