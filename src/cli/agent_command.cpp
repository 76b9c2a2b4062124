// `bulkhead agent run|replay|rules`: the node agent (src/agent) and its offline tools.

#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <utility>
#include <vector>
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "agent/hook.h"
#include "cli/commands.h"
#include "core/json.h"
#include "runtime/event_json.h"
#include "runtime/learner.h"
#include "runtime/rules/rule.h"

namespace bulkhead::cli {
namespace {

std::atomic<bool> gStop{false};

void onSignal(int) { gStop = true; }

struct RunFlags {
  agent::AgentOptions options;
  std::string mode = "discover";
  double convergeAfter = 600;
  std::vector<std::string> runcRoots;
};

int runAgent(RunFlags& f) {
  if (!runtime::parseMode(f.mode, f.options.defaultMode)) {
    fmt::print(stderr, "bulkhead agent: --mode {} is not discover, monitor or protect\n", f.mode);
    return 2;
  }
  f.options.convergeQuietNs = static_cast<int64_t>(f.convergeAfter * 1e9);
  for (const auto& root : f.runcRoots) f.options.discovery.runcRoots.push_back(root);
  auto agent = agent::Agent::create(f.options);
  if (!agent) {
    fmt::print(stderr, "bulkhead agent: {}\n", agent.error().message);
    return 2;
  }
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  if (auto s = (*agent)->run(gStop); !s) {
    fmt::print(stderr, "bulkhead agent: {}\n", s.error().message);
    return 2;
  }
  return 0;
}

// What Monitor would have alerted on and Protect would have blocked, had the profile been
// in force when the recorded events happened.
int replay(const std::string& profilePath, const std::string& eventsPath, const std::string& container) {
  std::ifstream in(profilePath, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "bulkhead agent replay: cannot read {}\n", profilePath);
    return 2;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto profile = runtime::profileFromYaml(text, profilePath);
  if (!profile) {
    fmt::print(stderr, "bulkhead agent replay: {}\n", profile.error().message);
    return 2;
  }
  std::ifstream events(eventsPath, std::ios::binary);
  if (!events) {
    fmt::print(stderr, "bulkhead agent replay: cannot read {}\n", eventsPath);
    return 2;
  }
  std::string line;
  size_t number = 0, judged = 0, blocked = 0, alerted = 0;
  while (std::getline(events, line)) {
    ++number;
    if (line.empty()) continue;
    auto json = parseJson(line, fmt::format("{} line {}", eventsPath, number), {1u << 20, 16});
    if (!json) {
      fmt::print(stderr, "bulkhead agent replay: {}\n", json.error().message);
      return 2;
    }
    auto event = runtime::eventFromJson(*json);
    if (!event) {
      fmt::print(stderr, "bulkhead agent replay: {} line {}: {}\n", eventsPath, number, event.error().message);
      return 2;
    }
    if (!container.empty() && event->container != container) continue;
    ++judged;
    // Each deviation, and whether Protect blocks it: the exec guard judges an exec's path,
    // the write guard refuses a write outside the write locations (on the root file system:
    // one on a volume is an alert, which a recording cannot tell), the listen guard refuses
    // the bind before a listen on a port the profile lacks, and the links table in the
    // container's network namespace rejects a connection outside the links and resets a TCP
    // connection from outside the callers. Other deviations are alerts in Protect too.
    std::vector<std::pair<runtime::Behavior, bool>> found;
    if (auto d = runtime::deviation(*profile, *event)) {
      found.emplace_back(*d, d->kind == "exec" || d->kind == "listen" || d->kind == "write");
    }
    if (!event->link.empty() && !profile->links.contains(event->link)) {
      found.emplace_back(runtime::Behavior{"link", event->link, {}}, true);
    }
    if (!event->caller.empty() && !profile->callers.contains(event->caller)) {
      found.emplace_back(runtime::Behavior{"caller", event->caller, {}}, true);
    }
    for (const auto& [d, block] : found) {
      (block ? blocked : alerted) += 1;
      fmt::print("{}\t{}\t{}\t{}\tpid {}\t{}\n", runtime::isoTimeNs(event->timeNs), block ? "would-block" : "would-alert",
                 d.kind, d.value, event->pid, event->container);
    }
  }
  fmt::print(stderr,
             "{} events judged against {}: {} execs, writes, listens and connections Protect would block, {} other deviations\n",
             judged, profile->group, blocked, alerted);
  return 0;
}

// An OCI createRuntime hook: hands the runtime's state (stdin) to the agent and returns
// once the container's policy is in force. Fail-closed refuses the container when no agent
// answers; otherwise the container starts and discovery still finds it at create.
struct HookFlags {
  std::string socket = agent::kDefaultHookSocket;
  bool failClosed = false;
  double timeout = 10;
};

int hook(const HookFlags& f) {
  std::string state;
  char buffer[16384];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0) {
    state.append(buffer, n);
    if (state.size() > agent::kMaxHookStateBytes) {
      fmt::print(stderr, "bulkhead agent hook: the OCI state on stdin is over {} bytes\n", agent::kMaxHookStateBytes);
      return 1;
    }
  }
  auto answer = agent::announceToAgent(f.socket, state, std::chrono::milliseconds(static_cast<int64_t>(f.timeout * 1000)));
  if (answer) return 0;
  fmt::print(stderr, "bulkhead agent hook: {}{}\n", answer.error().message,
             f.failClosed ? "; refusing the container (--fail-closed)" : "; the container starts unguarded until discovery sees it");
  return f.failClosed ? 1 : 0;
}

int listRules(const std::vector<std::string>& files) {
  auto rules = runtime::loadRules(files);
  if (!rules) {
    fmt::print(stderr, "bulkhead agent rules: {}\n", rules.error().message);
    return 2;
  }
  for (const auto& r : *rules) {
    std::string on;
    for (const auto k : r.on) on += (on.empty() ? "" : ",") + std::string(runtime::eventKindName(k));
    fmt::print("{}\t{}\t{}\t{}\t{}\n", r.id, r.severity, fmt::join(r.mitre, ","), on, r.title);
  }
  return 0;
}

}  // namespace

void addAgentCommand(CLI::App& app, int& exitCode) {
  auto* agentCmd = app.add_subcommand("agent", "Runtime protection: the node agent, profile replay, detection rules");
  agentCmd->require_subcommand(1);

  auto flags = std::make_shared<RunFlags>();
  auto* run = agentCmd->add_subcommand("run", "Discover containers, watch them through eBPF, learn, alert and block");
  run->add_option("--profiles", flags->options.profileDir, "Profile directory (one YAML per group)")->capture_default_str();
  run->add_option("--events,-o", flags->options.eventsPath, "JSON-lines output (- for stdout)")->capture_default_str();
  run->add_option("--record", flags->options.recordPath, "Also record every container event here, for replay");
  run->add_option("--graph", flags->options.graphPath,
                  "Keep the service graph (who connects to whom) in this JSON file; `bulkhead net graph` prints it");
  run->add_option("--mode", flags->mode, "Mode of groups without a profile: discover, monitor, protect")->capture_default_str();
  run->add_option("--converge-after", flags->convergeAfter, "Seconds without new behavior before a profile converges")
      ->capture_default_str();
  run->add_option("--rules", flags->options.ruleFiles, "Extra rule files (YAML), besides the built-in rules");
  run->add_option("--runc-root", flags->runcRoots, "Extra runc/crun state roots to watch");
  run->add_flag("--module-attempts", flags->options.moduleAttempts,
                "On kernels that cannot load modules, still report attempts (a hook on every syscall)");
  run->add_option("--state-dir", flags->options.stateDir, "What outlives the agent (which roots Protect made read-only)")
      ->capture_default_str();
  run->add_option("--hook-socket", flags->options.hookSocket, "Socket for `agent hook` announcements (empty: none)")
      ->capture_default_str();
  run->callback([flags, &exitCode] { exitCode = runAgent(*flags); });

  auto replayFlags = std::make_shared<std::array<std::string, 3>>();
  auto* rp = agentCmd->add_subcommand("replay", "Show what Protect would block: recorded events against a profile");
  rp->add_option("--profile", (*replayFlags)[0], "Profile YAML")->required();
  rp->add_option("--events", (*replayFlags)[1], "Recorded events (agent run --record)")->required();
  rp->add_option("--container", (*replayFlags)[2], "Only events of this container ID");
  rp->callback([replayFlags, &exitCode] { exitCode = replay((*replayFlags)[0], (*replayFlags)[1], (*replayFlags)[2]); });

  auto hookFlags = std::make_shared<HookFlags>();
  auto* hk = agentCmd->add_subcommand(
      "hook", "OCI createRuntime hook: announce the container (state on stdin) and wait until its policy is in force");
  hk->add_option("--socket", hookFlags->socket, "The agent's hook socket")->capture_default_str();
  hk->add_flag("--fail-closed", hookFlags->failClosed, "Refuse the container when the agent does not answer");
  hk->add_option("--timeout", hookFlags->timeout, "Seconds to wait for the agent")->capture_default_str();
  hk->callback([hookFlags, &exitCode] { exitCode = hook(*hookFlags); });

  auto ruleFiles = std::make_shared<std::vector<std::string>>();
  auto* rules = agentCmd->add_subcommand("rules", "List the detection rules (ID, severity, MITRE ATT&CK, events, title)");
  rules->add_option("--rules", *ruleFiles, "Extra rule files to validate and list");
  rules->callback([ruleFiles, &exitCode] { exitCode = listRules(*ruleFiles); });
}

}  // namespace bulkhead::cli
