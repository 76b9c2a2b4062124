#pragma once
// The connections Protect's links tables refuse inbound, as they are refused: the table logs
// the first SYN of each source and port to NFLOG group kRefusedLogGroup (link_policy.h), and
// one thread reads that group in every watched container's network namespace (NFLOG groups
// are per namespace). It replaces reading the tables' sets at intervals.

#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "net/queued_packet.h"

namespace bulkhead::net {

class RefusalLog {
 public:
  // Called on the log's thread for each logged SYN, with watch()'s key.
  using OnRefused = std::function<void(const std::string& key, const TcpOpening& opening)>;
  static Result<std::unique_ptr<RefusalLog>> start(OnRefused onRefused);
  ~RefusalLog();
  RefusalLog(const RefusalLog&) = delete;
  RefusalLog& operator=(const RefusalLog&) = delete;

  // Reads the group in the network namespace of pid (again for the same key: nothing). Fails
  // when another program there holds the group.
  Status watch(const std::string& key, int pid);
  void unwatch(const std::string& key);

 private:
  RefusalLog() = default;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bulkhead::net
