// `bulkhead net quarantine <container> | --group G`: cuts all traffic of a running container,
// or of every running container of a workload group (or lifts the cut, or reports it),
// found by ID or unique ID prefix in the runtimes' state directories; every change is
// logged as one JSON line per container on stdout, as the agent logs events.

#include <fmt/format.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/event_sink.h"
#include "cli/commands.h"
#include "core/json.h"
#include "net/quarantine.h"
#include "runtime/discovery/discovery.h"
#include "runtime/group.h"

namespace bulkhead::cli {
namespace {

struct QuarantineFlags {
  std::string container;
  std::string group;
  std::vector<std::string> runcRoots;
  std::vector<std::string> allow;
  bool lift = false;
  bool status = false;
};

// The running container whose ID is `key` or starts with it (one only), or with --group
// every running container of the group (at least one).
Result<std::vector<runtime::Container>> findContainers(const QuarantineFlags& f) {
  auto options = runtime::DiscoveryOptions::defaults();
  for (const auto& root : f.runcRoots) options.runcRoots.push_back(root);
  const runtime::Discovery discovery(options);
  const auto scan = discovery.scan();
  std::vector<runtime::Container> matches;
  std::set<std::string> groups;
  const std::string& key = f.container;
  for (const auto& c : scan.containers) {
    if (!f.group.empty()) {
      const std::string group = runtime::groupIdOf(runtime::selectorOf(c));
      if (group == f.group) matches.push_back(c);
      groups.insert(group);
      continue;
    }
    if (c.id == key) return std::vector<runtime::Container>{c};
    if (c.id.rfind(key, 0) == 0) matches.push_back(c);
  }
  if (!f.group.empty() && !matches.empty()) return matches;
  if (!f.group.empty()) {
    return makeError("no running container is in group \"{}\" (groups running: {}; runc roots: {}; add one with "
                     "--runc-root)", f.group, groups.empty() ? "none" : fmt::format("{}", fmt::join(groups, ", ")),
                     fmt::join(options.runcRoots, ", "));
  }
  if (matches.size() == 1) return matches;
  if (matches.empty()) {
    return makeError("no running container has the ID or ID prefix \"{}\" (runc roots: {}; add one with --runc-root)",
                     key, fmt::join(options.runcRoots, ", "));
  }
  std::vector<std::string> ids;
  for (const auto& c : matches) ids.push_back(c.id);
  return makeError("\"{}\" is the prefix of {} containers: {}", key, ids.size(), fmt::join(ids, ", "));
}

nlohmann::json countJson(const net::PacketCount& c) { return {{"packets", c.packets}, {"bytes", c.bytes}}; }

nlohmann::json droppedJson(const net::QuarantineStatus& s) {
  return {{"input", countJson(s.input)}, {"output", countJson(s.output)}, {"forward", countJson(s.forward)}};
}

nlohmann::json containerJson(const runtime::Container& c) {
  nlohmann::json j = {{"id", c.id}, {"runtime", c.runtime}, {"name", c.name}, {"image", c.image}};
  if (!c.podName.empty()) j["pod"] = {{"name", c.podName}, {"namespace", c.podNamespace}};
  return j;
}

int quarantineOne(const QuarantineFlags& f, const runtime::Container* container) {
  const char* me = "bulkhead net quarantine";
  const int pid = container->pid;
  if (f.status) {
    auto status = net::quarantineStatus(pid);
    if (!status) {
      fmt::print(stderr, "{}: container {}: {}\n", me, container->id, status.error().message);
      return 2;
    }
    nlohmann::json line = {{"container", containerJson(*container)}, {"pid", pid}, {"quarantined", status->active}};
    if (status->active) line["dropped"] = droppedJson(*status);
    fmt::print("{}\n", jsonText(line));
    return 0;
  }
  auto sink = agent::EventSink::open("-");
  if (!sink) {
    fmt::print(stderr, "{}: {}\n", me, sink.error().message);
    return 2;
  }
  nlohmann::json event = {{"type", "container"}, {"container", containerJson(*container)}, {"pid", pid}};
  if (f.lift) {
    // What the quarantine dropped, read just before its table (and counters) go away.
    auto before = net::quarantineStatus(pid);
    const Status s = net::lift(pid);
    if (!s) {
      (*sink)->write({{"type", "container"}, {"action", "quarantine-lift-failed"},
                      {"container", containerJson(*container)}, {"pid", pid}, {"error", s.error().message}});
      fmt::print(stderr, "{}: container {}: {}\n", me, container->id, s.error().message);
      return 2;
    }
    event["action"] = "quarantine-lifted";
    if (before) {
      event["wasQuarantined"] = before->active;
      if (before->active) event["dropped"] = droppedJson(*before);
    }
    (*sink)->write(event);
    return 0;
  }
  net::QuarantineOptions options;
  options.allow = f.allow;
  if (auto script = net::quarantineScript(options); !script) {  // a bad --allow changes nothing
    fmt::print(stderr, "{}: {}\n", me, script.error().message);
    return 2;
  }
  const Status s = net::quarantine(pid, options);
  if (!s) {
    (*sink)->write({{"type", "container"}, {"action", "quarantine-failed"}, {"container", containerJson(*container)},
                    {"pid", pid}, {"error", s.error().message}});
    fmt::print(stderr, "{}: container {}: {}\n", me, container->id, s.error().message);
    return 2;
  }
  event["action"] = "quarantined";
  event["allow"] = f.allow;
  (*sink)->write(event);
  return 0;
}

int runQuarantine(const QuarantineFlags& f) {
  const char* me = "bulkhead net quarantine";
  if (::geteuid() != 0) {
    fmt::print(stderr, "{}: must run as root: it joins the container's network namespace and changes its nftables "
               "rules\n", me);
    return 2;
  }
  if (f.container.empty() == f.group.empty()) {
    fmt::print(stderr, "{}: name a container or a --group, not both\n", me);
    return 2;
  }
  auto containers = findContainers(f);
  if (!containers) {
    fmt::print(stderr, "{}: {}\n", me, containers.error().message);
    return 2;
  }
  int rc = 0;
  for (const auto& c : *containers) rc = std::max(rc, quarantineOne(f, &c));
  return rc;
}

}  // namespace

void addNetQuarantineCommand(CLI::App& net, int& exitCode) {
  auto flags = std::make_shared<QuarantineFlags>();
  auto* q = net.add_subcommand(
      "quarantine",
      "Cut all traffic of a running container, or of a group's, but loopback (nftables in its network namespace); logged");
  q->add_option("container", flags->container, "Container ID or unique ID prefix");
  q->add_option("--group", flags->group, "Every running container of this workload group (as the agent names groups)");
  // One value per flag: a container ID after --runc-root DIR is the container, not a root.
  q->add_option("--runc-root", flags->runcRoots, "Extra runc/crun state root to search (repeatable)")
      ->allow_extra_args(false);
  auto* allow = q->add_option("--allow", flags->allow, "An address or prefix still reachable both ways (repeatable)")
                    ->allow_extra_args(false);
  auto* liftFlag = q->add_flag("--lift", flags->lift, "Lift the quarantine: delete its table, leave every other rule");
  auto* statusFlag = q->add_flag("--status", flags->status, "Report whether it is quarantined and what was dropped");
  liftFlag->excludes(statusFlag);
  allow->excludes(liftFlag)->excludes(statusFlag);
  q->callback([flags, &exitCode] { exitCode = runQuarantine(*flags); });
}

}  // namespace bulkhead::cli
