#pragma once
// Quarantine: cuts every packet into, out of and through a container's network namespace,
// except loopback and a list of allowed addresses (the controller), with nftables rules in
// a table of our own inside that namespace. Lifting deletes only that table, so whatever
// rules the container had before are exactly what remains. docs/network.md describes it.
//
// Each call joins the namespace of `pid` (a container's init, host PID namespace) from a
// short-lived thread; the caller's threads never move. Needs CAP_SYS_ADMIN (setns) and
// CAP_NET_ADMIN in the container's namespaces: in practice, root on the host.

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace bulkhead::net {

// The nftables table quarantine() owns (family inet: IPv4 and IPv6).
inline constexpr const char* kQuarantineTable = "bulkhead_quarantine";
// Ahead of every priority the kernel and the usual tools use (raw before defrag is -450,
// conntrack -200, filter 0), so a quarantined packet is dropped before any other table
// counts, tracks, marks or rewrites it. A drop is final whatever the priority; going first
// keeps the container's own rules from seeing traffic that will not pass.
inline constexpr int kQuarantinePriority = -500;

struct QuarantineOptions {
  // Addresses or prefixes (10.0.0.5, 10.0.0.0/24, fd00::1, fd00::/64) the container may
  // still exchange packets with, both ways. Anything else, such as a host name, is refused.
  std::vector<std::string> allow;
};

struct PacketCount {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

struct QuarantineStatus {
  bool active = false;
  // What the drop rules counted since the quarantine was last applied.
  PacketCount input, output, forward;
  uint64_t droppedPackets() const { return input.packets + output.packets + forward.packets; }
};

// Applies (or re-applies, replacing the table in one transaction) the quarantine. Refuses a
// process that shares the caller's or the host's network namespace: that would cut the host.
Status quarantine(int pid, const QuarantineOptions& options);
// Deletes the quarantine table; succeeds when there is none. Other tables stay untouched.
Status lift(int pid);
Result<bool> isQuarantined(int pid);
Result<QuarantineStatus> quarantineStatus(int pid);

// The nft script quarantine() runs, after checking and normalising the allowed addresses.
Result<std::string> quarantineScript(const QuarantineOptions& options);

}  // namespace bulkhead::net
