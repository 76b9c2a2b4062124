#pragma once
// The IP addresses of a process's network namespace (a container's), read from inside the
// namespace by a short-lived thread that joins it (setns needs CAP_SYS_ADMIN).

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace bulkhead::net {

// Every IPv4 and IPv6 address of the interfaces in pid's network namespace, as text.
Result<std::vector<std::string>> namespaceAddresses(int pid);

// An address in network byte order (4 bytes for AF_INET, 16 for AF_INET6) as text.
std::string addressText(int family, const std::uint8_t* bytes);

}  // namespace bulkhead::net
