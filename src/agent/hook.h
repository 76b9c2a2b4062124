#pragma once
// The OCI hook channel: `bulkhead agent hook`, run by the container runtime as a
// createRuntime hook, hands the container's OCI state to the running agent over a Unix
// socket and waits until the agent has armed the group's policy. The runtime starts the
// container's first process only after the hook returns, so Protect has no start-up window.
//
// Protocol: the hook writes the state JSON and shuts down its side; the agent answers one
// line, "ok <mode>" or "error <message>". Only root may connect (socket mode 0600, peer
// credentials checked).

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/result.h"

namespace bulkhead::agent {

inline constexpr const char* kDefaultHookSocket = "/run/bulkhead/agent.sock";
inline constexpr size_t kMaxHookStateBytes = 1u << 20;

// Runs on the server's thread for each announcement; returns the answer's text ("ok
// protect") or an error.
using HookHandler = std::function<Result<std::string>(const nlohmann::json& state)>;

class HookServer {
 public:
  static Result<std::unique_ptr<HookServer>> listen(const std::string& path, HookHandler handler);
  ~HookServer();
  HookServer(const HookServer&) = delete;
  HookServer& operator=(const HookServer&) = delete;

 private:
  HookServer() = default;
  void serve();
  void answer(int fd);
  std::string path_;
  HookHandler handler_;
  int listenFd_ = -1;
  int stopFd_ = -1;
  std::thread thread_;
};

// The hook's side: sends `state` (the runtime's stdin) and returns the agent's answer line.
Result<std::string> announceToAgent(const std::string& socketPath, const std::string& state,
                                    std::chrono::milliseconds timeout);

}  // namespace bulkhead::agent
