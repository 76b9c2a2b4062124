#pragma once
// Packets of Protect containers judged in user space before they go on: an NFQUEUE in each
// container's network namespace (queues are per namespace), read by one thread per gate
// through a netlink socket made inside the namespace. Two gates use it:
// - DNS answers (kDnsQueue): held until the links table's sets know their addresses, so a
//   name link allows the address the container is about to connect to (never dropped);
// - HTTP requests on links with L7 conditions (kHttpQueue): a request line outside them is
//   refused with a TCP reset (the verdict marks the packet, and a rule before the queue
//   rejects marked packets).
// Rules that queue packets are written by link_policy.cpp.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "net/protocol/bytes.h"

namespace bulkhead::net {

inline constexpr std::uint16_t kDnsQueue = 16968;
inline constexpr std::uint16_t kHttpQueue = 16969;
// The mark a refused packet comes back with (NF_REPEAT), for the rule that rejects it.
inline constexpr std::uint32_t kRefusedMark = 0x42480001;

enum class Verdict { kAccept, kRefuse };

class PacketGate {
 public:
  // Called on the gate's thread for each queued packet (from its IP header on); `key` is
  // watch()'s. The packet waits for the verdict.
  using OnPacket = std::function<Verdict(const std::string& key, Bytes packet)>;
  // failOpen: when the queue is full (1024 packets waiting), packets pass unjudged rather
  // than being dropped (DNS answers; never for packets the gate is there to refuse).
  static Result<std::unique_ptr<PacketGate>> start(std::uint16_t queue, bool failOpen, OnPacket onPacket);
  ~PacketGate();
  PacketGate(const PacketGate&) = delete;
  PacketGate& operator=(const PacketGate&) = delete;

  // Listens on the queue in the network namespace of pid (again for the same key: nothing).
  Status watch(const std::string& key, int pid);
  void unwatch(const std::string& key);
  bool watching(const std::string& key) const;
  std::uint64_t packets() const;  // judged so far
  std::uint64_t refused() const;

 private:
  PacketGate() = default;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bulkhead::net
