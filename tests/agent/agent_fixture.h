#pragma once
// The node agent end to end, on real runc containers (overlays over the test bed's runtime
// root file system: debootstrap plus nginx, redis, socat, python3 and curl). The agent runs
// in this process with its real eBPF sensor, discovery and fanotify guard; its JSON lines
// are read back from the file it writes, as a user or a log shipper would.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent.h"
#include "support/runc_container.h"

namespace bulkhead::agent::testing {

using nlohmann::json;
using Predicate = std::function<bool(const json&)>;

// ASan builds and a loaded 2-core machine are slow; nothing here waits this long on success.
inline constexpr auto kWait = std::chrono::seconds(15);

// The agent's JSON lines, read back as they are written.
class EventLog {
 public:
  explicit EventLog(std::string path) : path_(std::move(path)) {}
  std::vector<json> lines() const;  // complete lines only
  size_t size() const { return lines().size(); }
  // The first line from index `from` on that `matches`, waiting up to `timeout`.
  std::optional<json> waitFor(const Predicate& matches, size_t from = 0,
                              std::chrono::milliseconds timeout = kWait) const;
  std::vector<json> all(const Predicate& matches, size_t from = 0) const;

 private:
  std::string path_;
};

// Predicates on lines.
Predicate agentAction(const std::string& action);
Predicate containerAction(const std::string& action, const std::string& id);
Predicate ruleAlert(const std::string& rule, const std::string& id);
Predicate profileAlert(const std::string& kind, const std::string& id);  // deviation (or "blocked" exec)
Predicate blockedExec(const std::string& id);

// The workload group the agent gives containers of `image`.
std::string groupOf(const std::string& image);

// A Protect profile for the group of `image` that allows exactly `executables`, and writes
// anywhere.
runtime::Profile protectProfile(const std::string& image, const std::vector<std::string>& executables);

// The first line of the file at `path` (a host path), once it has one (empty after kWait).
std::string firstLineOf(const std::string& path);

// sh -c script inside the container (runc exec).
bulkhead::testing::CommandResult sh(bulkhead::testing::RuncContainer& c, const std::string& script);

// An agent running on its own thread until stop() or destruction.
class RunningAgent {
 public:
  static Result<std::unique_ptr<RunningAgent>> start(const AgentOptions& options);
  ~RunningAgent();
  Status stop();

 private:
  RunningAgent() = default;
  std::unique_ptr<Agent> agent_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  Status status_;
};

class AgentE2e : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  AgentOptions options(runtime::Mode mode = runtime::Mode::kDiscover) const;
  // Starts the agent and waits for its "started" line.
  void startAgent(const AgentOptions& options);
  void startAgent(runtime::Mode mode = runtime::Mode::kDiscover) { startAgent(options(mode)); }
  void stopAgent();
  // Stops the agent and returns its last line ("stopped", with its counts), if written.
  std::optional<nlohmann::json> stopAgentForLastLine();

  // A container of `image` (the OCI image annotation decides its workload group), with
  // Docker's default capabilities, prepared but not run.
  std::unique_ptr<bulkhead::testing::RuncContainer> prepare(const std::string& image,
                                                            std::vector<std::string> args = {"sleep", "infinity"},
                                                            nlohmann::json hooks = nullptr);
  // The image's profile in Protect with these executables, the agent started, and a
  // container of the image run with the exec guard armed ("protected").
  std::unique_ptr<bulkhead::testing::RuncContainer> runProtected(const std::string& image,
                                                                 const std::vector<std::string>& executables);
  // Runs `script` in the container, which ends by running `program`: that exec must fail
  // with EPERM (the shell's 126) and be reported blocked, by its path in the container.
  void expectExecBlocked(bulkhead::testing::RuncContainer& c, const std::string& script, const std::string& program);
  // Prepared, created, seen by the agent ("started", the line is returned), then started.
  std::unique_ptr<bulkhead::testing::RuncContainer> run(const std::string& image, json* started = nullptr,
                                                        std::vector<std::string> args = {"sleep", "infinity"});
  // Created, seen by the agent, `beforeStart` (its network wired, say; false stops there),
  // then started; false (with the failure added) when a step failed.
  bool createThenStart(bulkhead::testing::RuncContainer& c, const std::function<bool()>& beforeStart,
                       json* started = nullptr);
  // A profile file in the agent's directory (policy as code).
  void writeProfile(const runtime::Profile& profile) const;
  std::optional<runtime::Profile> readProfile(const std::string& group) const;

  std::string lowerdir_, dir_, stateRoot_, profiles_, events_, record_;
  std::vector<nlohmann::json> mounts_;  // added to every container prepare() makes
  std::vector<std::string> capabilities_;  // added to Docker's default ones
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<RunningAgent> agent_;
};

}  // namespace bulkhead::agent::testing
