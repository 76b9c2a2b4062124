#pragma once
// Holds each DNS answer a Protect container receives until its links table knows the
// addresses in it, so that a name-based link ("name:api.example.com tcp/443") allows the
// address the container is about to connect to before it connects. The links table queues
// DNS answers from the container's resolvers (udp source port 53) to an NFQUEUE in the
// container's network namespace; the gate reads them on its own thread, hands the names and
// addresses to the caller, and only then lets the answer through. Answers are never
// changed or dropped; when the gate is not listening the kernel lets them pass ("bypass"),
// and the names' addresses are then simply not allowed (Protect fails closed).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "net/protocol/bytes.h"

namespace bulkhead::net {

// The queue number in each container's namespace (queues are per namespace).
inline constexpr std::uint16_t kDnsQueue = 16968;

struct DnsAnswer {
  std::string qname;  // lower case, without the final dot
  struct Address {
    std::string address;
    std::uint32_t ttl = 0;
  };
  std::vector<Address> addresses;  // the A and AAAA records (a CNAME chain's end included)
};

// A DNS answer in an IPv4 or IPv6 packet (UDP from port 53); an error says why it is not one.
Result<DnsAnswer> dnsAnswerFromPacket(Bytes packet);

class DnsGate {
 public:
  // Called on the gate's thread, before the answer is let through; `key` is watch()'s.
  using OnAnswer = std::function<void(const std::string& key, const DnsAnswer& answer)>;
  static Result<std::unique_ptr<DnsGate>> start(OnAnswer onAnswer);
  ~DnsGate();
  DnsGate(const DnsGate&) = delete;
  DnsGate& operator=(const DnsGate&) = delete;

  // Listens on kDnsQueue in the network namespace of pid (again for the same key: nothing).
  Status watch(const std::string& key, int pid);
  void unwatch(const std::string& key);
  bool watching(const std::string& key) const;
  std::uint64_t answers() const;  // answers handed to the caller so far

 private:
  DnsGate() = default;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bulkhead::net
