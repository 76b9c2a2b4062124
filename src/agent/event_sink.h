#pragma once
// The agent's output: one JSON object per line (stdout or a file; later the controller),
// with time, host, container, group, rule or profile deviation, mode, action and evidence.
// docs/formats/agent-events.md describes the fields.

#include <nlohmann/json.hpp>

#include <cstdio>
#include <mutex>
#include <string>

#include "core/result.h"

namespace bulkhead::agent {

class EventSink {
 public:
  // "-" is stdout; a file is appended to.
  static Result<std::unique_ptr<EventSink>> open(const std::string& path);
  ~EventSink();
  // Adds "time" (if absent) and "host", writes one line, flushes. Thread-safe.
  void write(nlohmann::json line);

 private:
  EventSink(FILE* file, bool owned, std::string host) : file_(file), owned_(owned), host_(std::move(host)) {}
  std::mutex mutex_;
  FILE* file_;
  bool owned_;
  std::string host_;
};

}  // namespace bulkhead::agent
