#include "net/addresses.h"

#include <arpa/inet.h>
#include <ifaddrs.h>

#include <cerrno>
#include <cstring>

#include "net/nft.h"

namespace bulkhead::net {

Result<std::vector<std::string>> namespaceAddresses(int pid) {
  std::vector<std::string> out;
  auto s = inNetworkNamespace(pid, "addresses", [&]() -> Status {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return makeError("getifaddrs: {}", std::strerror(errno));
    for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
      if (a->ifa_addr == nullptr) continue;
      char text[INET6_ADDRSTRLEN] = {};
      if (a->ifa_addr->sa_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
      } else if (a->ifa_addr->sa_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr, text, sizeof text);
      } else {
        continue;
      }
      out.emplace_back(text);
    }
    ::freeifaddrs(list);
    return {};
  });
  if (!s) return s.error();
  return out;
}

std::string addressText(int family, const std::uint8_t* bytes) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, bytes, text, sizeof text);
  return text;
}

}  // namespace bulkhead::net
