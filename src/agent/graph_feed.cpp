#include "agent/graph_feed.h"

#include <sys/socket.h>

#include <chrono>

#include "core/json.h"
#include "core/log.h"
#include "core/paths.h"
#include "net/addresses.h"

namespace bulkhead::agent {
namespace {

// How often a container's addresses are read again when a connection names an address no
// container is known to hold: once a second, or every 100 ms while the container has none
// (its network is set up after it is created, as CNI plugins do).
constexpr std::int64_t kAddressReadIntervalNs = 1000000000;
constexpr std::int64_t kNoAddressReadIntervalNs = 100000000;

std::int64_t monotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void GraphFeed::containerStarted(const runtime::Container& c, const std::string& group) {
  graph_.setContainer(c.id, group, c.name);
  pids_[c.id] = c.pid;
  // Often none yet (the network comes after create): this read does not count towards the
  // interval, so that the first connection naming an unknown address reads again.
  readAddresses(c.id, true);
  readNs_.erase(c.id);
  startedNs_[c.id] = monotonicNs();
}

void GraphFeed::refreshRecent() {
  const std::int64_t now = monotonicNs();
  for (auto it = startedNs_.begin(); it != startedNs_.end();) {
    if (now - it->second > 30 * kAddressReadIntervalNs) {
      it = startedNs_.erase(it);
      continue;
    }
    readAddresses(it->first, false);
    ++it;
  }
}

bool GraphFeed::refreshAddresses(const std::string& id) {
  const std::uint64_t before = graph_.addressesVersion();
  readAddresses(id, true);
  return graph_.addressesVersion() != before;
}

void GraphFeed::containerStopped(const std::string& id) {
  graph_.removeContainer(id);
  pids_.erase(id);
  readNs_.erase(id);
  startedNs_.erase(id);
}

void GraphFeed::readAddresses(const std::string& id, bool force) {
  const auto pid = pids_.find(id);
  if (pid == pids_.end() || pid->second <= 0) return;
  const std::int64_t now = monotonicNs();
  std::int64_t& last = readNs_[id];
  const bool none = graph_.addressesOf(id).empty();
  if (!force && now - last < (none ? kNoAddressReadIntervalNs : kAddressReadIntervalNs)) return;
  last = now;
  auto addresses = net::namespaceAddresses(pid->second);
  if (!addresses) {
    log::debug("service graph: container {}: {}", id, addresses.error().message);
    return;
  }
  graph_.setAddresses(id, *addresses);
}

std::optional<net::EdgeKey> GraphFeed::onEvent(const runtime::Event& e) {
  using runtime::EventKind;
  if ((e.kind != EventKind::kConnect && e.kind != EventKind::kAccept) ||
      (e.family != AF_INET && e.family != AF_INET6) || e.address.empty()) {
    return std::nullopt;
  }
  // An address nobody is known to hold may be a container's that got its network after
  // it started (CNI): read the containers' addresses again.
  const std::string peer = net::unmappedAddress(e.address);
  if (!graph_.knowsAddress(peer)) {
    for (const auto& [id, pid] : pids_) readAddresses(id, false);
  }
  net::Connection c;
  c.timeNs = e.timeNs;
  c.container = e.container;
  c.accepted = e.kind == EventKind::kAccept;
  c.peerAddress = peer;
  c.port = c.accepted ? e.localPort : e.port;
  c.transport = net::transportName(e.flags);
  auto edge = graph_.edgeOf(c);
  if (flowCapture_ && c.transport == "udp") return edge;  // counted from its flows
  graph_.add(c);
  return edge;
}

net::Connection GraphFeed::connectionOf(const std::string& container, const net::FlowEnds& flow) {
  if (!graph_.knowsAddress(flow.remoteAddress)) {
    for (const auto& [id, pid] : pids_) readAddresses(id, false);
  }
  net::Connection c;
  c.timeNs = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  c.container = container;
  c.accepted = !flow.initiatedLocally;
  c.peerAddress = flow.remoteAddress;
  c.port = flow.initiatedLocally ? flow.remotePort : flow.localPort;
  c.transport = flow.transport;
  return c;
}

void GraphFeed::onBytes(const std::string& container, const net::FlowBytes& flow) {
  net::Connection c = connectionOf(container, flow);
  c.protocol = flow.protocol;
  c.bytes = flow.sent + flow.received;
  graph_.addBytes(c);
}

std::optional<net::EdgeKey> GraphFeed::onFlow(const std::string& container, const net::IdentifiedFlow& flow) {
  net::Connection c = connectionOf(container, flow);
  if (flow.id.protocol == "dns") graph_.observeDns(flow.id);
  c.protocol = flow.id.protocol;
  auto edge = graph_.edgeOf(c);
  if (flow.repeat) return edge;  // another exchange of a flow already counted
  if (flow.transport == "udp") {
    graph_.add(c);
  } else {
    graph_.addProtocol(c);
  }
  return edge;
}

Status GraphFeed::save() {
  if (path_.empty() || graph_.version() == savedVersion_) return {};
  auto s = writeFileAtomic(path_, jsonText(graph_.toJson()) + "\n");
  if (s) savedVersion_ = graph_.version();
  return s;
}

}  // namespace bulkhead::agent
