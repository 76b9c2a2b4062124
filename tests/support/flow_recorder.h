#pragma once
// Records real traffic for the protocol detectors: a loopback relay between a real client
// and a real server that keeps the first bytes of each direction of each flow, and a small
// file format (.flow) to keep such records as a corpus.
//
// A .flow file is one ASCII header line
//   bulkhead-flow 1 <tcp|udp> <serverPort> <clientLen> <serverLen>\n
// followed by clientLen client bytes, then serverLen server bytes.

#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "net/protocol/detector.h"

namespace bulkhead::testing {

struct FlowRecord {
  net::Transport transport = net::Transport::Tcp;
  std::uint16_t serverPort = 0;
  std::vector<std::uint8_t> client;  // first bytes client -> server (at most kMaxSample)
  std::vector<std::uint8_t> server;  // first bytes server -> client (at most kMaxSample)
  bool closed = false;               // the relay saw both directions end (TCP), or a reply (UDP)

  // A view for the detectors; valid while the record lives and is not changed.
  net::FlowSample sample() const;
};

Status saveFlow(const std::string& path, const FlowRecord& flow);
Result<FlowRecord> loadFlow(const std::string& path);

// Listens on 127.0.0.1:<ephemeral>; relays each accepted TCP connection (or each UDP client
// address) to the target on its own thread and records the flows in the order they began.
class FlowRecorder {
 public:
  static Result<std::unique_ptr<FlowRecorder>> tcp(std::uint16_t targetPort,
                                                   const std::string& targetHost = "127.0.0.1");
  static Result<std::unique_ptr<FlowRecorder>> udp(std::uint16_t targetPort,
                                                   const std::string& targetHost = "127.0.0.1");
  ~FlowRecorder();
  FlowRecorder(const FlowRecorder&) = delete;
  FlowRecorder& operator=(const FlowRecorder&) = delete;

  std::uint16_t port() const { return port_; }
  std::vector<FlowRecord> flows() const;
  // Waits until ready(flows) holds; false on timeout.
  bool waitFor(const std::function<bool(const std::vector<FlowRecord>&)>& ready,
               std::chrono::milliseconds timeout);

 private:
  struct Connection;
  FlowRecorder() = default;
  Status listen(int type, std::uint16_t targetPort, const std::string& targetHost);
  void run();
  void runTcp();
  void runUdp();
  void record(std::size_t flow, bool fromClient, const std::uint8_t* data, std::size_t size);
  void markClosed(std::size_t flow);
  std::size_t newFlow();

  net::Transport transport_ = net::Transport::Tcp;
  int listenFd_ = -1;
  int wakeFd_ = -1;  // an eventfd: the destructor stops the thread through it
  std::uint16_t port_ = 0;
  sockaddr_storage target_{};
  socklen_t targetLen_ = 0;
  std::uint16_t targetPort_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<FlowRecord> flows_;
  std::thread thread_;
};

}  // namespace bulkhead::testing
