#pragma once
// Names from DNS answers seen in containers' flows: which name a container asked for
// before it connected to an address, so that graph edges and links can name outside
// endpoints by FQDN rather than by an address that changes. Bounded: at most kMaxNames
// names and kMaxAddresses addresses per name, the oldest names forgotten first.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "net/protocol/detector.h"

namespace bulkhead::net {

class DnsNames {
 public:
  static constexpr std::size_t kMaxNames = 4096;
  static constexpr std::size_t kMaxAddresses = 32;

  // A DNS identification (qname and answers "name TYPE data"): every A and AAAA address in
  // the answers is the queried name's (the answers to one query follow its CNAME chain).
  // Returns true when it taught something new.
  bool observe(const Identification& dns);
  std::optional<std::string> nameOf(const std::string& address) const;
  std::vector<std::string> addressesOf(const std::string& name) const;

 private:
  std::map<std::string, std::set<std::string>> addresses_;  // name -> addresses
  std::map<std::string, std::string> names_;                // address -> name (the latest)
  std::deque<std::string> order_;                           // names, oldest first
};

}  // namespace bulkhead::net
