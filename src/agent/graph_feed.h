#pragma once
// Feeds the service graph (src/net/graph.h) from the agent: containers as they start and
// stop, their addresses (read inside their network namespaces when a connection names an
// address no container is known to hold, at most once a second per container), and every
// connect and accept their processes make. Saved as JSON to a file when it changed.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/result.h"
#include "net/flow_assembler.h"
#include "net/graph.h"
#include "runtime/container.h"
#include "runtime/event.h"

namespace bulkhead::agent {

class GraphFeed {
 public:
  explicit GraphFeed(std::string path) : path_(std::move(path)) {}

  void containerStarted(const runtime::Container& c, const std::string& group);
  void containerStopped(const std::string& id);
  // e.container set; the edge the event counts on, if it is a connection the graph counts.
  std::optional<net::EdgeKey> onEvent(const runtime::Event& e);
  // A flow the flow capture identified, in the container. With the capture on, UDP edges
  // come from flows (a datagram needs no connect) and TCP edges from connect and accept,
  // which flows then give their protocol.
  // Returns the edge the flow is on (for a repeat too), if the graph counts it.
  std::optional<net::EdgeKey> onFlow(const std::string& container, const net::IdentifiedFlow& flow);
  // Payload bytes of a flow in the container, on the edge its connection counts on (none
  // when the other side counts it: a connection between watched containers is counted from
  // the side that connected, and so are its bytes).
  void onBytes(const std::string& container, const net::FlowBytes& flow);
  void setFlowCapture(bool on) { flowCapture_ = on; }
  // A DNS answer seen elsewhere (the DNS gate): its addresses are named by it from then on.
  void observeDns(const net::Identification& dns) { graph_.observeDns(dns); }
  // Writes the graph when it changed since the last save.
  Status save();
  // Reads the container's addresses again now; true when they changed.
  bool refreshAddresses(const std::string& id);
  // Reads again the addresses of containers started in the last 30 s (their network may
  // have come after they started), at most once a second each.
  void refreshRecent();
  const net::ServiceGraph& graph() const { return graph_; }

 private:
  void readAddresses(const std::string& id, bool force);
  // The connection a flow in the container is, now (a flow's remote address may be a
  // container's not read yet: addresses are read again then).
  net::Connection connectionOf(const std::string& container, const net::FlowEnds& flow);

  std::string path_;
  net::ServiceGraph graph_;
  std::map<std::string, int> pids_;              // container -> init pid
  std::map<std::string, std::int64_t> readNs_;   // container -> last address read
  std::map<std::string, std::int64_t> startedNs_;  // container -> when it started
  std::uint64_t savedVersion_ = ~0ULL;
  bool flowCapture_ = false;
};

}  // namespace bulkhead::agent
