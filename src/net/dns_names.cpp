#include "net/dns_names.h"

#include <arpa/inet.h>

#include <algorithm>

namespace bulkhead::net {

bool DnsNames::observe(const Identification& dns) {
  const std::string name(dns.get("qname"));
  if (name.empty() || name == ".") return false;
  std::vector<std::string> found;
  for (const auto& [key, value] : dns.attributes) {
    if (key != "answer") continue;
    // "name TYPE data"
    const auto first = value.find(' ');
    const auto second = value.find(' ', first == std::string::npos ? first : first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string type = value.substr(first + 1, second - first - 1);
    // A and AAAA records whose data is an address (a record of the wrong size reads "(N bytes)").
    unsigned char bytes[16];
    const std::string data = value.substr(second + 1);
    if ((type == "A" && ::inet_pton(AF_INET, data.c_str(), bytes) == 1) ||
        (type == "AAAA" && ::inet_pton(AF_INET6, data.c_str(), bytes) == 1)) {
      found.push_back(data);
    }
  }
  if (found.empty()) return false;
  auto [it, inserted] = addresses_.try_emplace(name);
  if (inserted) {
    order_.push_back(name);
    if (order_.size() > kMaxNames) {  // forget the oldest name and what points at it
      const std::string old = order_.front();
      order_.pop_front();
      for (const auto& a : addresses_[old]) {
        if (auto n = names_.find(a); n != names_.end() && n->second == old) names_.erase(n);
      }
      addresses_.erase(old);
      it = addresses_.find(name);
    }
  }
  bool added = false;
  for (const auto& a : found) {
    if (it->second.size() >= kMaxAddresses && !it->second.contains(a)) break;
    added = it->second.insert(a).second || added;
    names_[a] = name;
  }
  return added;
}

std::optional<std::string> DnsNames::nameOf(const std::string& address) const {
  const auto it = names_.find(address);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> DnsNames::addressesOf(const std::string& name) const {
  const auto it = addresses_.find(name);
  if (it == addresses_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

}  // namespace bulkhead::net
