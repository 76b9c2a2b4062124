#include "net/quarantine.h"

#include <arpa/inet.h>

#include <fmt/format.h>

#include <functional>

#include "core/json.h"
#include "net/nft.h"

namespace bulkhead::net {
namespace {

constexpr const char* kCounters[] = {"dropped_input", "dropped_output", "dropped_forward"};

std::string netnsPath(int pid) { return "/proc/" + std::to_string(pid) + "/ns/net"; }

// Runs `work` with an nft context made inside the network namespace of `pid`.
Status inNamespace(int pid, std::string_view what, const std::function<Status(Nft&)>& work) {
  return inNetworkNamespace(pid, what, [&] {
    Nft nft;
    return work(nft);
  });
}

std::string baseChain(const char* name) {
  return fmt::format("    type filter hook {} priority {}; policy drop;\n", name, kQuarantinePriority);
}

Result<QuarantineStatus> readStatus(Nft& nft) {
  auto tables = nft.run("list tables inet", true);
  if (!tables) return std::move(tables).error();
  auto parsed = parseJson(*tables, "nft list tables");
  if (!parsed) return std::move(parsed).error();
  QuarantineStatus status;
  if (const auto* items = jsonArray(*parsed, "nftables")) {
    for (const auto& item : *items) {
      const auto* table = jsonObject(item, "table");
      if (table == nullptr) continue;
      const bool ours = jsonString(*table, "family") == "inet" && jsonString(*table, "name") == kQuarantineTable;
      status.active = status.active || ours;
    }
  }
  if (!status.active) return status;
  auto listing = nft.run(fmt::format("list table inet {}", kQuarantineTable), true);
  if (!listing) return std::move(listing).error();
  auto table = parseJson(*listing, "nft list table");
  if (!table) return std::move(table).error();
  PacketCount* slots[] = {&status.input, &status.output, &status.forward};
  if (const auto* items = jsonArray(*table, "nftables")) {
    for (const auto& item : *items) {
      const auto* counter = jsonObject(item, "counter");
      if (counter == nullptr) continue;
      for (size_t i = 0; i < std::size(kCounters); ++i) {
        if (jsonString(*counter, "name") != kCounters[i]) continue;
        slots[i]->packets = static_cast<uint64_t>(jsonInt(*counter, "packets"));
        slots[i]->bytes = static_cast<uint64_t>(jsonInt(*counter, "bytes"));
      }
    }
  }
  return status;
}

}  // namespace

Result<std::string> quarantineScript(const QuarantineOptions& options) {
  std::string inputAllow, outputAllow;
  bool ipv6 = false;
  for (const auto& text : options.allow) {
    auto address = nftAddress(text);
    if (!address) return std::move(address).error();
    const auto& [family, canonical] = *address;
    const char* proto = family == AF_INET ? "ip" : "ip6";
    ipv6 = ipv6 || family == AF_INET6;
    inputAllow += fmt::format("    {} saddr {} accept\n", proto, canonical);
    outputAllow += fmt::format("    {} daddr {} accept\n", proto, canonical);
  }
  // An allowed IPv6 peer is unreachable without neighbour discovery, which IPv6 carries in
  // ICMPv6; IPv4's ARP never passes through inet tables, so it needs no rule.
  if (ipv6) {
    const char* nd = "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n";
    inputAllow += nd;
    outputAllow += nd;
  }
  // add + delete + define in one transaction: the table is replaced atomically whether or
  // not it existed, so applying twice is the same as applying once.
  const std::string t = kQuarantineTable;
  std::string script = fmt::format("add table inet {0}\ndelete table inet {0}\ntable inet {0} {{\n", t);
  script += "  comment \"bulkhead net quarantine: all traffic dropped but loopback and allowed addresses\"\n";
  for (const char* counter : kCounters) script += fmt::format("  counter {} {{ }}\n", counter);
  script += "  chain input {\n" + baseChain("input") + "    iif \"lo\" accept\n" + inputAllow +
            "    counter name \"dropped_input\" drop\n  }\n";
  script += "  chain output {\n" + baseChain("output") + "    oif \"lo\" accept\n" + outputAllow +
            "    counter name \"dropped_output\" drop\n  }\n";
  script += "  chain forward {\n" + baseChain("forward") + "    counter name \"dropped_forward\" drop\n  }\n";
  script += "}\n";
  return script;
}

Status quarantine(int pid, const QuarantineOptions& options) {
  auto script = quarantineScript(options);
  if (!script) return makeError("pid {}: quarantine: {}", pid, script.error().message);
  const std::string target = netnsPath(pid);
  if (sameNetworkNamespace(target, "/proc/self/ns/net") || sameNetworkNamespace(target, "/proc/1/ns/net")) {
    return makeError("pid {}: quarantine: shares the host's network namespace; its rules would cut the host off", pid);
  }
  return inNamespace(pid, "quarantine", [&](Nft& nft) -> Status {
    auto applied = nft.run(*script, false);
    if (!applied) return makeError("nftables refused the quarantine table: {}", applied.error().message);
    return {};
  });
}

Status lift(int pid) {
  // add + delete: no error when there is no quarantine; nothing but our table is named.
  const std::string script = fmt::format("add table inet {0}\ndelete table inet {0}\n", kQuarantineTable);
  return inNamespace(pid, "lift quarantine", [&](Nft& nft) -> Status {
    auto removed = nft.run(script, false);
    if (!removed) {
      return makeError("nftables could not delete table inet {}: {}", kQuarantineTable, removed.error().message);
    }
    return {};
  });
}

Result<QuarantineStatus> quarantineStatus(int pid) {
  QuarantineStatus status;
  auto s = inNamespace(pid, "quarantine status", [&](Nft& nft) -> Status {
    auto read = readStatus(nft);
    if (!read) return makeError("nftables: {}", read.error().message);
    status = *read;
    return {};
  });
  if (!s) return s.error();
  return status;
}

Result<bool> isQuarantined(int pid) {
  auto status = quarantineStatus(pid);
  if (!status) return std::move(status).error();
  return status->active;
}

}  // namespace bulkhead::net
