#pragma once
// The service graph: who talks to whom. Connections observed per container are folded into
// edges between workload groups (or a group and an outside address), keyed by destination
// port, transport and application protocol, with connection counts, payload bytes (both
// directions) and first and last seen. Container addresses, learned as they appear, turn a
// destination address into the group it belongs to; an address no container holds stays an
// external endpoint.

#include <cstdint>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "net/dns_names.h"

namespace bulkhead::net {

// A dual-stack socket names an IPv4 peer ::ffff:a.b.c.d: that is a.b.c.d.
std::string unmappedAddress(std::string address);

struct Endpoint {
  enum class Kind { Group, External, Name };
  Kind kind = Kind::External;
  std::string name;  // the group, the address, or the DNS name a container resolved to it
  auto operator<=>(const Endpoint&) const = default;
};

struct EdgeKey {
  Endpoint from, to;
  std::uint16_t port = 0;
  std::string transport;  // "tcp", "udp" or "" when unknown
  std::string protocol;   // application protocol, "" when not identified
  auto operator<=>(const EdgeKey&) const = default;
};

struct Edge {
  EdgeKey key;
  std::uint64_t connections = 0;  // 0 when only bytes were seen (their connection not yet)
  std::uint64_t bytes = 0;        // TCP/UDP payload, both directions
  std::int64_t firstNs = 0, lastNs = 0;
};

// One observed connection, from the side that saw it.
struct Connection {
  std::int64_t timeNs = 0;
  std::string container;  // the container that made or accepted it
  bool accepted = false;  // false: it connected out; true: it accepted from peerAddress
  std::string peerAddress;
  std::uint16_t port = 0;  // the destination port (the local port when accepted)
  std::string transport;
  std::string protocol;
  std::uint64_t bytes = 0;  // payload bytes, both directions
};

class ServiceGraph {
 public:
  void setContainer(const std::string& container, const std::string& group, const std::string& name);
  // The container's addresses now (replacing the ones it had).
  void setAddresses(const std::string& container, const std::vector<std::string>& addresses);
  void removeContainer(const std::string& container);
  // True when the address belongs to a known container (or is a loopback address).
  bool knowsAddress(const std::string& address) const;
  // The edge a connection counts on; nullopt when its container is unknown or when the
  // other side counts it.
  std::optional<EdgeKey> edgeOf(const Connection& c) const;
  // The container's addresses besides loopback ones (none when it is unknown).
  std::vector<std::string> addressesOf(const std::string& container) const;
  // A DNS answer a container received: outside addresses it names are shown (and linked)
  // by that name from then on. True when it taught something new.
  bool observeDns(const Identification& dns);
  std::vector<std::string> nameAddresses(const std::string& name) const { return names_.addressesOf(name); }
  // The caller a connection accepted from peerAddress on the container's port counts as:
  // "group:G tcp/P" when a watched container holds the address, else "address:A tcp/P" (an
  // IPv4-mapped address as IPv4); empty for loopback, which Protect never judges.
  std::string callerOf(const std::string& peerAddress, std::uint16_t port) const;
  // Every address the group's containers hold now.
  std::vector<std::string> groupAddresses(const std::string& group) const;
  // Bumps whenever a container's addresses change (or it goes): rules by group re-resolve.
  std::uint64_t addressesVersion() const { return addressesVersion_; }
  // Returns false when the connection's container is unknown.
  bool add(const Connection& c);
  // The application protocol of a connection already added without one (it moves to the
  // edge of that protocol), or about to be: then the next such connection takes it.
  bool addProtocol(const Connection& c);
  // Payload bytes of a connection (c.bytes), counted on its edge without counting the
  // connection again: the edge of c.protocol, the flow's protocol as identified so far ("":
  // the edge with none). Bytes follow connections: nothing when the other side counts the
  // connection (edgeOf). An edge that does not exist yet (bytes before their connection was
  // reported) is made with no connection. Returns false when the container is unknown.
  bool addBytes(const Connection& c);

  std::vector<Edge> edges() const;
  const std::map<std::string, std::set<std::string>>& groupMembers() const { return members_; }
  std::uint64_t version() const { return version_; }

  nlohmann::json toJson() const;
  static Result<ServiceGraph> fromJson(const nlohmann::json& j);

 private:
  struct Member {
    std::string group, name;
    std::vector<std::string> addresses;
  };
  std::map<std::string, Member> containers_;
  std::map<std::string, std::string> byAddress_;  // address -> container
  std::map<EdgeKey, Edge> edges_;
  std::map<std::string, std::set<std::string>> members_;  // group -> container names seen
  std::map<EdgeKey, std::vector<std::string>> pending_;   // protocols seen before their connection
  std::size_t pendingCount_ = 0;
  static constexpr std::size_t kMaxPending = 1024;

  // The edge of key, made if need be, seen at timeNs.
  Edge& touch(const EdgeKey& key, std::int64_t timeNs);
  void count(const EdgeKey& key, const Connection& c);
  std::uint64_t version_ = 0;  // bumps on every change, to know when to save
  std::uint64_t addressesVersion_ = 0;
  DnsNames names_;
};

// Renderings for `bulkhead net graph`.
std::string renderText(const ServiceGraph& graph);
std::string renderDot(const ServiceGraph& graph);

std::string transportName(std::uint64_t ipProtocol);  // 6 -> "tcp", 17 -> "udp"

// An edge's destination as a profile's link: "group:G tcp/80", "address:A udp/53".
std::string linkText(const EdgeKey& key);

}  // namespace bulkhead::net
