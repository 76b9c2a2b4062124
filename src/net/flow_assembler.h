#pragma once
// Puts the captured first packets of each flow (bpf/flow_capture.bpf.c) back in order,
// per direction by TCP sequence number from the SYN on, and hands each flow's first bytes
// to identify() until it decides. Pure bookkeeping, fed packet by packet: bounded in flows
// (kMaxFlows, the oldest given up first), in bytes (kMaxSample a direction) and in
// out-of-order packets kept (kMaxPending a direction).

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <string>
#include <vector>

#include "net/bpf/flow_abi.h"
#include "net/protocol/detector.h"

namespace bulkhead::net {

struct IdentifiedFlow {
  std::uint64_t cgroupId = 0;
  std::string transport;  // "tcp", "udp"
  bool initiatedLocally = false;  // the container connected (else it accepted)
  std::string localAddress, remoteAddress;
  std::uint16_t localPort = 0, remotePort = 0;
  Identification id;
  // A later exchange on a UDP flow already reported (another request and its reply on the
  // same socket, such as the AAAA query after the A query): what it says, not a new flow.
  bool repeat = false;
};

class FlowAssembler {
 public:
  static constexpr std::size_t kMaxFlows = 8192;
  static constexpr std::size_t kMaxPending = 8;
  static constexpr std::int64_t kIdleNs = 10'000'000'000;  // a flow with no packet this long is judged as is
  static constexpr std::size_t kMaxRequests = 4;  // UDP requests kept per flow, to pair replies with

  using OnFlow = std::function<void(const IdentifiedFlow&)>;
  explicit FlowAssembler(OnFlow onFlow) : onFlow_(std::move(onFlow)) {}

  // One captured packet (a chunk, as the kernel side wrote it; size checked by the caller).
  void add(const bh_flow_chunk& chunk, std::int64_t nowNs);
  // Judges the flows idle since before nowNs - kIdleNs with what they have.
  void expire(std::int64_t nowNs);
  std::size_t flows() const { return flows_.size(); }

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

  void place(Direction& d, std::uint32_t offset, const std::uint8_t* data, std::size_t len);
  // Identifies when it can; final: no more bytes will come.
  void judge(Flow& f, bool final);
  // UDP: a reply judged with each request kept, the best pairing first (see add()).
  void judgeReply(Flow& f, const std::uint8_t* data, std::size_t len);
  IdentifiedFlow describe(const Flow& f, Identification id) const;
  void erase(const std::string& id);

  OnFlow onFlow_;
  std::map<std::string, Flow> flows_;  // by the key's bytes
  std::list<std::string> order_;       // oldest first
};

}  // namespace bulkhead::net
