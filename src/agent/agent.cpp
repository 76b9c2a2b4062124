#include "agent/agent.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "agent/event_sink.h"
#include "agent/graph_feed.h"
#include "agent/hook.h"
#include "agent/profile_store.h"
#include "agent/sensitive_identities.h"
#include "core/json.h"
#include "core/log.h"
#include "net/flow_capture.h"
#include "net/link_policy.h"
#include "net/nft.h"
#include "net/packet_gate.h"
#include "net/queued_packet.h"
#include "net/refusal_log.h"
#include "net/ruleset_watch.h"
#include "runtime/discovery/cgroup_path.h"
#include "runtime/enforce/exec_guard.h"
#include "runtime/enforce/listen_guard.h"
#include "runtime/enforce/write_guard.h"
#include "runtime/event_json.h"
#include "runtime/group.h"
#include "runtime/learner.h"
#include "runtime/process_facts.h"
#include "runtime/root_path.h"
#include "runtime/rules/rule.h"
#include "runtime/sensor/sensor.h"

namespace bulkhead::agent {
namespace {

using nlohmann::json;
using namespace runtime;

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json containerJson(const Container& c) {
  json j = {{"id", c.id}, {"runtime", c.runtime}, {"name", c.name}, {"image", c.image}};
  if (!c.podName.empty()) j["pod"] = {{"name", c.podName}, {"namespace", c.podNamespace}};
  return j;
}

json countsByKind(const std::vector<std::pair<EventKind, uint64_t>>& counts) {
  json byKind = json::object();
  for (const auto& [kind, n] : counts) byKind[std::string(eventKindName(kind))] = n;
  return byKind;
}

constexpr const char* kRuntimeParent = "(runtime)";
constexpr size_t kWrittenKept = 4096;
// Name links: an answer's addresses stay allowed at least this long whatever its TTL
// (resolvers and applications cache longer than they say); what the graph learned of a name
// before its links were enforced is allowed this long.
constexpr std::uint32_t kMinDnsSeconds = 300;
constexpr std::int64_t kSeedNs = 300LL * 1000000000;
// A root busy with writers is tried again at housekeeping, then less and less often while
// it stays busy (each try joins the container's mount namespace and binds its locations).
constexpr std::int64_t kBusyRootRetryMaxNs = 60'000'000'000;

// Protect: a refused caller is reported once in this long (as long as the table keeps it).
constexpr std::int64_t kRefusedReportNs = 3600LL * 1000000000;

std::int64_t wallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Set while a hook's announcement is handled (on the hook server's thread).
thread_local bool tAnnounced = false;

struct Tracked {
  Container container;
  std::string group;
  // Announced by a hook: the runtime's init is still setting the container up (mounts,
  // namespaces). Its own calls are not the workload's until it execs the entry point.
  bool runtimeSetup = false;
  int rootFd = -1;  // O_PATH of the container's root, to resolve exec paths
  // Exec paths resolved in the root, by the path the exec named: used again while the file
  // the kernel reports running is the same inode (a symlink retargeted resolves anew).
  std::unordered_map<std::string, std::pair<int64_t, std::string>> resolvedExecs;
  // Paths written, moved or linked into place in the container since the agent knew it,
  // the newest kWrittenKept: running one is drift (BH-RT-0034, written_here).
  std::unordered_set<std::string> written;
  std::deque<std::string> writtenOrder;
  Status armed;     // the last arming of the group's policy
  bool writesGuarded = false;  // Protect's write guard made its root read-only
  runtime::WriteGuardResult writes;  // and how
  // A root busy with writers: when to try making it read-only next (steady clock, ns), and
  // the wait after that try (doubled while it stays busy, up to kBusyRootRetryMaxNs).
  std::int64_t busyRetryAtNs = 0, busyRetryWaitNs = 0;
  bool writesPending = false;  // announced by the hook: guarded when its entry point runs
  bool writesChecked = false;  // looked for a guard an earlier agent left
  bool linksEnforced = false;  // the links table is in its network namespace
  bool linksChecked = false;   // looked for a table an earlier agent left
  // The table as applied (net::linkPolicyListing), to find it changed by someone else, and
  // whether nftables notifications from its namespace tell of changes as they are made.
  std::string linksListing;
  bool linksWatched = false;
  // Protect: the L7 conditions of each L4 link ("group:web tcp/80"), as last enforced, for
  // the HTTP gate (it judges every request packet: no profile parsing there).
  std::map<std::string, std::vector<net::HttpRule>> httpConditions;
  // Name links: the addresses DNS answered the container for each name (pattern), with when
  // they stop being allowed (steady clock, ns); the links table's sets hold the same.
  std::map<std::string, std::map<std::string, std::int64_t>> resolved;
  // Protect: refused callers, each reported once an hour (steady clock, ns, when reported);
  // whether they come as they happen (the NFLOG group), else the table's refusal count when
  // its set was last read.
  std::map<std::string, std::int64_t> refusedReported;
  bool refusalsLogged = false;
  std::uint64_t refusedSeen = 0;
};

void rememberWritten(Tracked& t, const std::string& path) {
  if (path.empty() || !t.written.insert(path).second) return;
  t.writtenOrder.push_back(path);
  if (t.writtenOrder.size() > kWrittenKept) {
    t.written.erase(t.writtenOrder.front());
    t.writtenOrder.pop_front();
  }
}

class AgentImpl final : public Agent {
 public:
  AgentImpl(AgentOptions options, std::unique_ptr<EventSink> sink, std::vector<Rule> rules)
      : options_(std::move(options)), sink_(std::move(sink)), rules_(std::move(rules)), store_(options_.profileDir) {}

  ~AgentImpl() override {
    hook_.reset();       // no more announcements
    dnsGate_.reset();    // no more queued packets (their threads take mutex_: never reset under it)
    httpGate_.reset();
    rulesetWatch_.reset();
    refusalLog_.reset();
    discovery_.reset();  // no more callbacks
    guard_.reset();
    listenGuard_.reset();
    for (auto& [id, t] : tracked_) {
      if (t.rootFd >= 0) ::close(t.rootFd);
    }
    if (record_ != nullptr) std::fclose(record_);
  }

  Status init() {
    if (auto s = store_.init(); !s) return s;
    if (!options_.recordPath.empty()) {
      record_ = std::fopen(options_.recordPath.c_str(), "ae");
      if (record_ == nullptr) return makeError("{}: cannot open for recording", options_.recordPath);
    }
    // The service graph is always kept (profiles learn links from it); it is saved, and
    // flows are captured for their protocols, with --graph.
    graph_ = std::make_unique<GraphFeed>(options_.graphPath);
    if (!options_.graphPath.empty()) openFlowCapture();
    reloadProfiles();
    SensorOptions sensorOptions;
    sensorOptions.scope = SensorScope::kWatchedCgroups;
    if (options_.ringBufferBytes != 0) sensorOptions.ringBufferBytes = options_.ringBufferBytes;
    sensorOptions.moduleAttemptsWithoutModuleSupport = options_.moduleAttempts;
    auto sensor = Sensor::open(sensorOptions);
    if (!sensor) return withContext("eBPF sensor", std::move(sensor).error());
    sensor_ = std::move(*sensor);
    identities_ = std::make_unique<SensitiveIdentities>(*sensor_, sensorOptions.sensitivePrefixes);
    // A container that reaches the host's files through a mount; again as they change.
    if (auto s = identities_->watchHost("/"); !s) log::warn("sensitive files of the host: {}", s.error().message);
    auto guard = makeFanotifyExecGuard([this](const ExecDenial& d) { onDenied(d); });
    if (guard) {
      guard_ = std::move(*guard);
    } else {
      log::warn("Protect cannot block execs here: {}", guard.error().message);
    }
    auto listen = makeCgroupListenGuard([this](const BindDenial& d) { onBindDenied(d); });
    if (listen) {
      listenGuard_ = std::move(*listen);
    } else {
      log::warn("Protect cannot block listening ports here: {}", listen.error().message);
    }
    if (cgroup2Mount_.empty()) {
      if (auto mount = runtime::findCgroup2Mount()) cgroup2Mount_ = *mount;
    }
    discovery_ = std::make_unique<Discovery>(options_.discovery);
    discovery_->onStart([this](const Container& c) { onContainerStart(c); });
    discovery_->onStop([this](const Container& c) { onContainerStop(c); });
    return {};
  }

  Status run(const std::atomic<bool>& stop) override {
    if (auto s = sensor_->start(); !s) return withContext("eBPF sensor", s.error());
    for (const auto& hook : sensor_->hooks()) {
      if (!hook.attached && !hook.covered) log::warn("sensor: {} ({}) not attached: {}", hook.program, hook.tracepoint, hook.note);
    }
    if (auto s = discovery_->start(); !s) return withContext("container discovery", s.error());
    if (!options_.hookSocket.empty()) {
      auto hook = HookServer::listen(options_.hookSocket, [this](const json& state) { return onHook(state); });
      if (hook) {
        hook_ = std::move(*hook);
      } else {
        log::warn("OCI hook announcements are off ({}): Protect arms at create, as discovery sees containers",
                  hook.error().message);
      }
    }
    sink_->write({{"type", "agent"}, {"action", "started"}, {"rules", rules_.size()},
                  {"containers", discovery_->containers().size()}});
    auto lastStats = std::chrono::steady_clock::now();
    uint64_t lastDropped = 0, lastUnreported = 0;
    while (!stop) {
      auto polled = sensor_->poll(200, [this](const Event& e) { onEvent(e); });
      if (!polled) log::warn("sensor: {}", polled.error().message);
      if (listenGuard_) {
        if (auto s = listenGuard_->poll(0); !s) log::warn("{}", s.error().message);
      }
      if (flows_) {
        if (auto s = flows_->poll(0); !s) log::warn("{}", s.error().message);
      }
      if (std::chrono::steady_clock::now() - lastStats < std::chrono::milliseconds(options_.statsIntervalMs)) continue;
      lastStats = std::chrono::steady_clock::now();
      const SensorStats stats = sensor_->stats();
      if (stats.dropped != lastDropped) {
        sink_->write({{"type", "agent"}, {"action", "events-dropped"}, {"dropped", stats.dropped - lastDropped},
                      {"droppedTotal", stats.dropped}, {"received", stats.received}, {"byKind", countsByKind(stats.droppedByKind)}});
        lastDropped = stats.dropped;
      }
      // Binds the listen guard refused but had no room to report (refused all the same).
      if (const uint64_t unreported = listenGuard_ ? listenGuard_->stats().unreported : 0; unreported != lastUnreported) {
        sink_->write({{"type", "agent"}, {"action", "denials-unreported"}, {"guard", "listen"},
                      {"unreported", unreported - lastUnreported}, {"unreportedTotal", unreported}});
        lastUnreported = unreported;
      }
      housekeeping();
    }
    hook_.reset();
    dnsGate_.reset();
    httpGate_.reset();
    rulesetWatch_.reset();
    refusalLog_.reset();
    housekeeping();
    const SensorStats stats = sensor_->stats();
    // merged: repeats of a reported open, counted in the kernel and not sent again.
    const ListenGuardStats listen = listenGuard_ ? listenGuard_->stats() : ListenGuardStats{};
    // Execs the guard judged: the profile's own files pass in the kernel and are in none.
    const ExecGuardStats exec = guard_ ? guard_->stats() : ExecGuardStats{};
    sink_->write({{"type", "agent"}, {"action", "stopped"}, {"received", stats.received}, {"dropped", stats.dropped},
                  {"byKind", countsByKind(stats.droppedByKind)}, {"merged", stats.merged},
                  {"mergedByKind", countsByKind(stats.mergedByKind)},
                  {"execDenied", exec.denied}, {"execAllowed", exec.allowed}, {"execErrors", exec.errors},
                  {"listenDenied", listen.denied}, {"listenUnreported", listen.unreported}});
    return {};
  }

 private:
  Profile& profileFor(const std::string& group, const GroupSelector& selector) {
    auto [it, inserted] = profiles_.try_emplace(group);
    if (inserted) {
      it->second.group = group;
      it->second.selector = selector;
      it->second.mode = options_.defaultMode;
      it->second.createdNs = nowNs();
      dirty_.insert(group);
    }
    return it->second;
  }

  // Application protocols and bytes for the service graph: cgroup_skb programs on each
  // container's cgroup. Without them the graph still has every connection, with no
  // protocol and no bytes.
  void openFlowCapture() {
    auto mount = runtime::findCgroup2Mount();
    auto capture = net::FlowCapture::open([this](const net::IdentifiedFlow& f) { onFlow(f); },
                                          [this](const net::FlowBytes& b) { onBytes(b); });
    if (!mount || !capture) {
      log::warn("service graph without application protocols or bytes: {}",
                !mount ? mount.error().message : capture.error().message);
      return;
    }
    cgroup2Mount_ = *mount;
    flows_ = std::move(*capture);
    graph_->setFlowCapture(true);
  }

  void onFlow(const net::IdentifiedFlow& f) {  // on the poll thread, from flows_->poll
    std::lock_guard lock(mutex_);
    const auto byCgroup = byCgroup_.find(f.cgroupId);
    if (byCgroup == byCgroup_.end()) return;
    const std::optional<net::EdgeKey> edge = graph_->onFlow(byCgroup->second, f);
    const auto t = tracked_.find(byCgroup->second);
    if (!edge || t == tracked_.end() || f.id.protocol != "http" || !f.initiatedLocally) return;
    onHttpRequest(t->second, net::linkText(*edge), std::string(f.id.get("method")), std::string(f.id.get("path")), f);
  }

  // An HTTP request the container sent on a link (its first, as the flow capture saw it):
  // learned as the link's L7 condition in Discover, an alert in Monitor when the link has
  // conditions it does not meet. (In Protect the HTTP gate judged it before it left.)
  void onHttpRequest(Tracked& t, const std::string& base, const std::string& method, const std::string& path,
                     const net::IdentifiedFlow& f) {
    const auto p = profiles_.find(t.group);
    if (method.empty() || p == profiles_.end()) return;
    Profile& profile = p->second;
    const net::HttpRule rule = net::httpRuleFor(method, path);
    if (profile.mode == Mode::kDiscover) {
      // The L4 link too: the flow may be judged before its connect is.
      const bool added = profile.links.insert(base).second;
      if (profile.links.insert(net::httpLinkText(base, rule)).second || added) {
        profile.lastChangeNs = wallNs();
        profile.converged = false;
        dirty_.insert(profile.group);
      }
      return;
    }
    if (profile.mode != Mode::kMonitor) return;
    const auto conditions = httpConditions(profile, base);
    if (conditions.empty() || net::httpAllowed(conditions, method, path)) return;
    sink_->write({{"type", "alert"}, {"profile", "link"}, {"title", "HTTP request outside the learned links"},
                  {"severity", "medium"}, {"mode", "monitor"}, {"action", "alert"},
                  {"container", containerJson(t.container)}, {"group", t.group},
                  {"deviation", net::httpLinkText(base, {method, path})},
                  {"evidence", {{"kind", "http"}, {"method", method}, {"path", path}, {"address", f.remoteAddress},
                                {"port", f.remotePort}}},
                  {"time", isoTimeNs(wallNs())}});
  }

  // The L7 conditions a profile puts on an L4 link ("group:web tcp/80").
  static std::vector<net::HttpRule> httpConditions(const Profile& profile, const std::string& base) {
    std::vector<net::HttpRule> out;
    for (auto it = profile.links.lower_bound(base + " "); it != profile.links.end() && it->starts_with(base + " "); ++it) {
      if (auto link = net::parseLink(*it); link && link->http) out.push_back(*link->http);
    }
    return out;
  }

  void onBytes(const net::FlowBytes& b) {  // on the poll thread, from flows_->poll
    std::lock_guard lock(mutex_);
    const auto byCgroup = byCgroup_.find(b.cgroupId);
    if (byCgroup != byCgroup_.end()) graph_->onBytes(byCgroup->second, b);
  }

  // Puts the profile in force for the container: the exec, listen and write guards in
  // Protect, none else. The exec guard decides whether the container is protected; a listen
  // or write guard that could not be armed is reported on the same line ("listen", "writes").
  Status arm(Tracked& t, const Profile& profile) {
    if (profile.mode != Mode::kProtect) {
      setExecKills(t, false);
      if (guard_) guard_->release(t.container.id);
      if (listenGuard_) listenGuard_->release(t.container.id);
      releaseWriteGuard(t);
      return {};
    }
    if (!guard_) return makeError("Protect cannot block execs on this host (fanotify)");
    const std::string root = !t.container.rootfs.empty() ? t.container.rootfs : fmt::format("/proc/{}/root", t.container.pid);
    auto policy = execPolicyFor(profile, root);
    Status s = policy ? guard_->protect(t.container.id, root, t.container.pid, *policy) : Status(policy.error());
    setExecKills(t, true);
    Status listen = armListen(t, profile);
    json line = {{"type", "container"}, {"action", s ? "protected" : "protect-failed"}, {"container", containerJson(t.container)},
                 {"group", profile.group}, {"mode", "protect"}, {"error", s ? "" : s.error().message},
                 {"listen", listen ? "enforced" : listen.error().message}};
    // The runtime is still setting a hook-announced container up (its root is not in place
    // yet): its writes are guarded when its entry point runs, which the exec guard holds
    // until then.
    if (!t.runtimeSetup) {
      line["writes"] = armWrites(t, profile);
    } else if (!t.writesPending) {
      t.writesPending = true;
      if (s) {
        guard_->holdFirstExec(t.container.id, [this, id = t.container.id](pid_t) {
          std::lock_guard lock(mutex_);
          if (const auto it = tracked_.find(id); it != tracked_.end()) armPendingWrites(it->second);
        });
      }
    }
    sink_->write(std::move(line));
    return s;
  }

  // A hook-announced container's writes, once its root is in place (its first exec).
  void armPendingWrites(Tracked& t) {
    if (!t.writesPending) return;
    t.writesPending = false;
    const auto p = profiles_.find(t.group);
    if (p == profiles_.end() || p->second.mode != Mode::kProtect) return;
    sink_->write({{"type", "container"}, {"action", "writes-guarded"}, {"container", containerJson(t.container)},
                  {"group", t.group}, {"writes", armWrites(t, p->second)}});
  }

  // Protect's write guard: the root mount read-only but for the profile's write locations.
  // What it did, for the container's line.
  json armWrites(Tracked& t, const Profile& profile) {
    const std::vector<std::string> locations(profile.writeDirs.begin(), profile.writeDirs.end());
    // Guarded before: by us, or by an earlier agent (its mark says so).
    const bool before = t.writesGuarded || (!t.writesChecked && !writeMark(t).empty() && std::filesystem::exists(writeMark(t)));
    t.writesChecked = true;
    auto r = runtime::protectWrites(t.container.pid, locations, before);
    if (!r) {
      log::warn("container {}: {}", t.container.id, r.error().message);
      return {{"error", r.error().message}};
    }
    t.writesGuarded = r->enforced;
    t.writes = *r;
    t.busyRetryAtNs = t.busyRetryWaitNs = 0;
    markWrites(t);
    return writesJson(*r);
  }

  static json writesJson(const runtime::WriteGuardResult& r) {
    json out = {{"enforced", r.enforced}, {"writable", r.writable}, {"skipped", r.skipped}};
    if (r.rootBusy) {  // files open for writing on the root: its entries bound read-only instead
      out["rootBusy"] = true;
      out["readOnly"] = r.readOnly.size();
      out["unguarded"] = r.unguarded;
    }
    return out;
  }

  // A root that was busy with writers when the guard was armed: made read-only once they
  // are gone (at housekeeping), so that new entries in it are refused too.
  void retryBusyRoot(Tracked& t) {
    if (!t.writesGuarded || !t.writes.rootBusy) return;
    const std::int64_t now = steadyNs();
    if (now < t.busyRetryAtNs) return;
    const std::int64_t interval = std::int64_t{options_.statsIntervalMs} * 1'000'000;
    t.busyRetryWaitNs = std::min(std::max(interval, 2 * t.busyRetryWaitNs), std::max(interval, kBusyRootRetryMaxNs));
    t.busyRetryAtNs = now + t.busyRetryWaitNs;
    auto done = runtime::retryReadOnlyRoot(t.container.pid, t.writes);
    if (!done) {
      log::warn("container {}: {}", t.container.id, done.error().message);
    } else if (*done) {
      sink_->write({{"type", "container"}, {"action", "writes-guarded"}, {"container", containerJson(t.container)},
                    {"group", t.group}, {"writes", writesJson(t.writes)}});
    }
  }

  // The write guard as applied, else reported and applied again (a container with
  // CAP_SYS_ADMIN can remount its root writable). After a mount it made, and at housekeeping.
  void checkWriteGuard(Tracked& t, const Profile& profile) {
    if (!t.writesGuarded) return;
    auto intact = runtime::writesGuardedAsApplied(t.container.pid, t.writes);
    if (!intact || *intact) return;
    const json writes = armWrites(t, profile);
    sink_->write({{"type", "alert"}, {"profile", "write-guard"},
                  {"title", "Protect's read-only root was changed in the container"}, {"severity", "high"},
                  {"mitre", {"T1562"}}, {"mode", modeName(profile.mode)}, {"action", t.writesGuarded ? "restored" : "alert"},
                  {"container", containerJson(t.container)}, {"group", t.group}, {"writes", writes},
                  {"time", isoTimeNs(nowNs())}});
  }

  void releaseWriteGuard(Tracked& t) {
    if (!t.writesGuarded && !t.writesChecked) {
      // What an earlier agent left when the group was in Protect (with no writable location,
      // only its mark tells its read-only root from one the runtime made).
      auto left = runtime::writeGuardLeft(t.container.pid);
      t.writesGuarded = (left && *left) || (!writeMark(t).empty() && std::filesystem::exists(writeMark(t)));
    }
    t.writesChecked = true;
    if (!t.writesGuarded) return;
    if (auto s = runtime::releaseWrites(t.container.pid); !s) log::warn("container {}: {}", t.container.id, s.error().message);
    t.writesGuarded = false;
    markWrites(t);
  }

  // The mark, outside the agent, that the container's root is read-only by the write guard
  // (a file named by the container's ID; none for an ID that is no plain file name).
  std::string writeMark(const std::string& id) const {
    const bool plain = !id.empty() && id != "." && id != ".." && id.size() <= 255 && id.find('/') == std::string::npos;
    return plain ? options_.stateDir + "/write-guard/" + id : std::string();
  }
  std::string writeMark(const Tracked& t) const { return writeMark(t.container.id); }
  void markWrites(const Tracked& t) const {
    std::error_code ec;
    if (writeMark(t).empty()) return;
    if (!t.writesGuarded) {
      std::filesystem::remove(writeMark(t), ec);
      return;
    }
    std::filesystem::create_directories(options_.stateDir + "/write-guard", ec);
    if (std::FILE* f = std::fopen(writeMark(t).c_str(), "we")) {
      std::fclose(f);
    } else {
      log::warn("{}: cannot mark the container's write guard", writeMark(t));
    }
  }

  // What the sensor kills in the kernel for a protected container: execs the exec guard
  // cannot judge. A memfd, which no fanotify mark covers; and, once the guard knows the
  // container's mounts, a file on none it marked (a mount made since: the agent marks it
  // when the sensor reports the mount, a few milliseconds later).
  void setExecKills(const Tracked& t, bool protect) {
    if (t.container.cgroupId == 0) return;
    runtime::ExecKills kills;
    kills.fileless = protect;
    if (protect && guard_) {
      if (auto g = guard_->guarded(t.container.id); g && g->mountsKnown) {
        kills.unguarded = true;
        kills.rootDev = g->rootDev;
        kills.mountIds = g->mountIds;
      }
    }
    if (auto s = sensor_->setExecKills(t.container.cgroupId, kills); !s) log::warn("{}", s.error().message);
  }

  Status armListen(const Tracked& t, const Profile& profile) {
    if (!listenGuard_) return makeError("Protect cannot block listening ports on this host (cgroup/bind programs)");
    if (t.container.cgroupId == 0 || t.container.cgroupPath.empty() || cgroup2Mount_.empty()) {
      return makeError("container {} has no cgroup2 directory", t.container.id);
    }
    return listenGuard_->protect(t.container.id, cgroup2Mount_ + t.container.cgroupPath, t.container.cgroupId,
                                 listenPortsOf(profile));
  }

  // Protect for links: the group's learned links as an nftables allow-list in the
  // container's network namespace, destinations resolved from the groups they name.
  void enforceLinks(Tracked& t, const Profile& profile) {
    const int pid = t.container.pid;
    if (pid <= 0) return;
    if (profile.mode != Mode::kProtect) {
      // What this agent put there, or what an earlier one left when its group was in Protect.
      bool present = t.linksEnforced;
      if (!t.linksChecked) {
        auto left = net::hasLinkPolicy(pid);
        present = present || (left && *left);
        t.linksChecked = true;
      }
      if (present) {
        unwatchLinks(t);
        if (auto s = net::removeLinkPolicy(pid); !s) log::warn("{}", s.error().message);
        t.linksEnforced = false;
      }
      return;
    }
    const std::string ns = fmt::format("/proc/{}/ns/net", pid);
    if (net::sameNetworkNamespace(ns, "/proc/1/ns/net") || net::sameNetworkNamespace(ns, "/proc/self/ns/net")) {
      return;  // the host's network: its rules would be the host's
    }
    std::vector<net::LinkRule> rules;
    t.httpConditions.clear();
    for (const auto& text : profile.links) {
      auto link = net::parseLink(text);
      if (!link) {
        log::warn("profile {}: {}", profile.group, link.error().message);
        continue;
      }
      if (link->http) {  // a condition on its L4 link
        t.httpConditions[link->base].push_back(*link->http);
        continue;
      }
      net::LinkRule rule{{}, link->transport, link->port, {}, {}, httpConditions(profile, text)};
      if (link->kind == net::ParsedLink::Kind::Group) rule.addresses = graph_->graph().groupAddresses(link->name);
      if (link->kind == net::ParsedLink::Kind::Address) rule.addresses = {link->name};
      if (link->kind == net::ParsedLink::Kind::Name) {
        rule.dnsName = link->name;
        rule.resolved = resolvedFor(t, link->name);
      }
      rules.push_back(std::move(rule));
    }
    std::vector<net::CallerRule> callers;
    for (const auto& text : profile.callers) {
      auto caller = net::parseCaller(text);
      if (!caller) {
        log::warn("profile {}: {}", profile.group, caller.error().message);
        continue;
      }
      net::CallerRule rule{{caller->name}, caller->port};
      if (caller->kind == net::ParsedLink::Kind::Group) rule.addresses = graph_->graph().groupAddresses(caller->name);
      callers.push_back(std::move(rule));
    }
    const bool names = std::any_of(rules.begin(), rules.end(), [](const net::LinkRule& r) { return !r.dnsName.empty(); });
    const bool http = std::any_of(rules.begin(), rules.end(), [](const net::LinkRule& r) { return !r.http.empty(); });
    // The gates listen before the rules queue anything to them.
    Status s = watchGate(dnsGate_, net::kDnsQueue, t, names);
    if (s) s = watchGate(httpGate_, net::kHttpQueue, t, http);
    if (s) watchLinks(t);
    // Replacing the table drops the refused callers it kept: read them first.
    if (s && t.linksEnforced && !t.refusalsLogged) reportRefusedCallers(t, profile);
    if (s) {
      auto applied = net::applyLinkPolicy(pid, rules, callers);
      if (applied) {
        t.linksListing = std::move(*applied);
        t.refusedSeen = 0;
      } else {
        s = Status(applied.error());
      }
    }
    if (!s || !t.linksEnforced) {
      sink_->write({{"type", "container"}, {"action", s ? "links-enforced" : "links-failed"},
                    {"container", containerJson(t.container)}, {"group", profile.group}, {"links", profile.links.size()},
                    {"callers", profile.callers.size()},
                    {"error", s ? "" : s.error().message}});
    }
    t.linksEnforced = s.ok();
  }

  // A Protect container's namespace is watched for changes to its links table made by
  // anyone else (a container with CAP_NET_ADMIN can change it), and for the callers the
  // table refuses, as they happen. Where either cannot be had, housekeeping looks instead.
  void watchLinks(Tracked& t) {
    if (!t.linksWatched) {
      t.linksWatched = watchIn(rulesetWatch_, t, [this] {
        return net::RulesetWatch::start([this](const std::string& id) { onRulesetChanged(id); });
      });
    }
    if (!t.refusalsLogged) {
      t.refusalsLogged = watchIn(refusalLog_, t, [this] {
        return net::RefusalLog::start([this](const std::string& id, const net::TcpOpening& o) { onRefused(id, o); });
      });
    }
  }

  template <typename Watch, typename Start>
  static bool watchIn(std::unique_ptr<Watch>& watch, const Tracked& t, const Start& start) {
    if (!watch) {
      auto started = start();
      if (!started) {
        log::warn("{}", started.error().message);
        return false;
      }
      watch = std::move(*started);
    }
    if (auto s = watch->watch(t.container.id, t.container.pid); !s) {
      log::warn("container {}: {}", t.container.id, s.error().message);
      return false;
    }
    return true;
  }

  void unwatchLinks(Tracked& t) {
    if (rulesetWatch_) rulesetWatch_->unwatch(t.container.id);
    if (refusalLog_) refusalLog_->unwatch(t.container.id);
    t.linksWatched = t.refusalsLogged = false;
  }

  // On the refusal log's thread: a connection the container's table reset.
  void onRefused(const std::string& id, const net::TcpOpening& opening) {
    std::lock_guard lock(mutex_);
    const auto t = tracked_.find(id);
    if (t == tracked_.end()) return;
    const auto p = profiles_.find(t->second.group);
    if (p != profiles_.end() && p->second.mode == Mode::kProtect) reportRefused(t->second, p->second, opening.source, opening.port);
  }

  // One alert per caller (source by group or address, and port) an hour.
  void reportRefused(Tracked& t, const Profile& profile, const std::string& address, std::uint16_t port) {
    const std::string caller = graph_->graph().callerOf(address, port);
    if (caller.empty()) return;
    const std::int64_t now = steadyNs();
    auto [it, fresh] = t.refusedReported.try_emplace(caller, now);
    if (!fresh && now - it->second < kRefusedReportNs) return;
    it->second = now;
    callerAlert(t, profile, caller, "blocked", {{"kind", "refused"}, {"address", address}, {"localPort", port}}, nowNs());
  }

  // On the ruleset watch's thread.
  void onRulesetChanged(const std::string& id) {
    std::lock_guard lock(mutex_);
    const auto t = tracked_.find(id);
    if (t == tracked_.end()) return;
    const auto p = profiles_.find(t->second.group);
    if (p != profiles_.end() && p->second.mode == Mode::kProtect) checkLinksTable(t->second, p->second);
  }

  // The table is no longer what the agent applied: reported, and applied again.
  void checkLinksTable(Tracked& t, const Profile& profile) {
    if (!t.linksEnforced) return;
    auto listing = net::linkPolicyListing(t.container.pid);
    if (!listing) {
      log::warn("container {}: {}", t.container.id, listing.error().message);
      return;
    }
    if (*listing == t.linksListing) return;
    t.linksEnforced = false;  // what it kept (refused callers) is not to be trusted, nor read
    enforceLinks(t, profile);
    sink_->write({{"type", "alert"}, {"profile", "links-table"},
                  {"title", "Protect's links table was changed in the container's network namespace"},
                  {"severity", "high"}, {"mitre", {"T1562.004"}}, {"mode", modeName(profile.mode)},
                  {"action", t.linksEnforced ? "restored" : "alert"}, {"container", containerJson(t.container)},
                  {"group", t.group}, {"deviation", listing->empty() ? "removed" : "changed"}, {"time", isoTimeNs(nowNs())}});
  }

  // The addresses a name link allows the container now, with the seconds left for each. The
  // first time, what the graph learned of the name from DNS flows seeds it (the container may
  // have resolved the name before its links were enforced, and cached the answer).
  std::vector<net::ResolvedAddress> resolvedFor(Tracked& t, const std::string& pattern) {
    const std::int64_t now = steadyNs();
    auto [it, fresh] = t.resolved.try_emplace(pattern);
    if (fresh && !pattern.starts_with("*.")) {
      for (const auto& a : graph_->graph().nameAddresses(pattern)) it->second[a] = now + kSeedNs;
    }
    std::vector<net::ResolvedAddress> out;
    for (auto a = it->second.begin(); a != it->second.end();) {
      if (a->second <= now) {
        a = it->second.erase(a);
        continue;
      }
      out.push_back({a->first, static_cast<std::uint32_t>((a->second - now) / 1000000000 + 1)});
      ++a;
    }
    return out;
  }

  // The container's queue of one gate, listened to when `on` (the gate started the first
  // time it is needed), else no longer.
  Status watchGate(std::unique_ptr<net::PacketGate>& gate, std::uint16_t queue, Tracked& t, bool on) {
    if (!on) {
      if (gate) gate->unwatch(t.container.id);
      return {};
    }
    if (!gate) {
      auto started = queue == net::kDnsQueue
                         ? net::PacketGate::start(queue, true, [this](const std::string& id, net::Bytes packet) {
                             if (auto answer = net::dnsAnswerFromPacket(packet); answer && !answer->addresses.empty()) {
                               onDnsAnswer(id, *answer);
                             }
                             return net::Verdict::kAccept;  // answers are never held back
                           })
                         : net::PacketGate::start(queue, false, [this](const std::string& id, net::Bytes packet) {
                             return onHttpPacket(id, packet);
                           });
      if (!started) return started.error();
      gate = std::move(*started);
    }
    return gate->watch(t.container.id, t.container.pid);
  }

  // On the HTTP gate's thread, before the packet leaves: each request line it starts must
  // meet one of the L7 conditions of the link it is on; a refused one is reset and reported.
  net::Verdict onHttpPacket(const std::string& id, net::Bytes packet) {
    auto parsed = net::httpRequestsFromPacket(packet);
    if (!parsed || parsed->requests.empty()) return net::Verdict::kAccept;  // not the start of a request
    std::lock_guard lock(mutex_);
    const auto it = tracked_.find(id);
    if (it == tracked_.end()) return net::Verdict::kAccept;
    Tracked& t = it->second;
    const auto p = profiles_.find(t.group);
    if (p == profiles_.end() || p->second.mode != Mode::kProtect) return net::Verdict::kAccept;
    net::Connection c;
    c.container = id;
    c.peerAddress = parsed->destination;
    c.port = parsed->port;
    c.transport = "tcp";
    const auto edge = graph_->graph().edgeOf(c);
    if (!edge) return net::Verdict::kAccept;
    const auto found = t.httpConditions.find(net::linkText(*edge));
    if (found == t.httpConditions.end()) return net::Verdict::kAccept;  // an L4-only link on the same port
    const std::vector<net::HttpRule>& conditions = found->second;
    const std::string& base = found->first;
    for (const auto& r : parsed->requests) {
      if (r.whole && net::httpAllowed(conditions, r.method, r.path)) continue;
      sink_->write({{"type", "alert"}, {"profile", "link"}, {"title", "HTTP request outside the learned links"},
                    {"severity", "medium"}, {"mode", "protect"}, {"action", "blocked"},
                    {"container", containerJson(t.container)}, {"group", t.group},
                    {"deviation", net::httpLinkText(base, {r.method, r.path})},
                    {"evidence", {{"kind", "http"}, {"method", r.method}, {"path", r.path}, {"whole", r.whole},
                                  {"address", parsed->destination}, {"port", parsed->port}}},
                    {"time", isoTimeNs(wallNs())}});
      return net::Verdict::kRefuse;
    }
    return net::Verdict::kAccept;
  }

  // On the DNS gate's thread, before the container gets the answer: its addresses join the
  // sets of the name links that cover the name, so the connection that follows is allowed.
  void onDnsAnswer(const std::string& id, const net::DnsAnswer& answer) {
    std::lock_guard lock(mutex_);
    net::Identification dns{"dns", {{"qname", answer.qname}}};
    for (const auto& a : answer.addresses) dns.add("answer", answer.qname + " A " + a.address);
    graph_->observeDns(dns);  // the graph names the edge by the name too
    const auto it = tracked_.find(id);
    if (it == tracked_.end()) return;
    Tracked& t = it->second;
    const auto p = profiles_.find(t.group);
    if (p == profiles_.end() || p->second.mode != Mode::kProtect || !t.linksEnforced) return;
    const std::int64_t now = steadyNs();
    for (const auto& text : p->second.links) {
      auto link = net::parseLink(text);
      if (!link || link->http || link->kind != net::ParsedLink::Kind::Name || !net::nameMatches(link->name, answer.qname)) {
        continue;  // (an L7 condition's name is its L4 link's)
      }
      auto& known = t.resolved[link->name];
      std::vector<net::ResolvedAddress> add;
      for (const auto& a : answer.addresses) {
        const std::uint32_t seconds = std::max<std::uint32_t>(a.ttl, kMinDnsSeconds);
        const std::int64_t until = now + static_cast<std::int64_t>(seconds) * 1000000000;
        auto& expiry = known[a.address];
        // Already allowed for more than half of what this answer gives: nothing to change.
        if (expiry - now > (until - now) / 2) continue;
        expiry = until;
        add.push_back({a.address, seconds});
      }
      if (add.empty()) continue;
      if (auto s = net::addResolved(t.container.pid, link->name, add); !s) {
        sink_->write({{"type", "container"}, {"action", "links-failed"}, {"container", containerJson(t.container)},
                      {"group", t.group}, {"error", s.error().message}});
      }
    }
  }

  // Re-resolves every Protect container's links when addresses changed.
  void enforceAllLinks() {
    graph_->refreshRecent();
    const std::uint64_t version = graph_->graph().addressesVersion();
    if (version == linksVersion_) return;
    linksVersion_ = version;
    for (auto& [id, t] : tracked_) {
      if (const auto p = profiles_.find(t.group); p != profiles_.end() && p->second.mode == Mode::kProtect) {
        enforceLinks(t, p->second);
      }
    }
  }

  // A createRuntime hook announced a container: known and armed before the answer.
  Result<std::string> onHook(const json& state) {
    tAnnounced = true;
    auto c = discovery_->adopt(state);
    tAnnounced = false;
    if (!c) return std::move(c).error();
    std::lock_guard lock(mutex_);
    const auto t = tracked_.find(c->id);
    if (t == tracked_.end()) return makeError("container {} was announced but is not tracked", c->id);
    if (!t->second.armed) return t->second.armed.error();
    const auto p = profiles_.find(t->second.group);
    return std::string(modeName(p != profiles_.end() ? p->second.mode : options_.defaultMode));
  }

  void onContainerStart(const Container& c) {
    std::lock_guard lock(mutex_);
    Tracked t;
    t.container = c;
    t.runtimeSetup = tAnnounced;
    const GroupSelector selector = selectorOf(c);
    t.group = groupIdOf(selector);
    const std::string root = !c.rootfs.empty() ? c.rootfs : fmt::format("/proc/{}/root", c.pid);
    t.rootFd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    identities_->scan(c.id, t.rootFd);
    Profile& profile = profileFor(t.group, selector);
    if (c.cgroupId != 0) {
      if (auto s = sensor_->watchCgroup(c.cgroupId); !s) log::warn("sensor: {}", s.error().message);
      byCgroup_[c.cgroupId] = c.id;
    }
    if (flows_ && !c.cgroupPath.empty()) {
      if (auto s = flows_->attach(cgroup2Mount_ + c.cgroupPath); !s) log::warn("{}", s.error().message);
    }
    sink_->write({{"type", "container"}, {"action", "started"}, {"container", containerJson(c)}, {"group", t.group},
                  {"mode", modeName(profile.mode)}});
    graph_->containerStarted(c, t.group);
    t.armed = arm(t, profile);
    enforceLinks(t, profile);
    const std::string group = t.group;
    if (auto old = tracked_.find(c.id); old != tracked_.end() && old->second.rootFd >= 0) ::close(old->second.rootFd);
    tracked_[c.id] = std::move(t);
    linksToGroupChanged(group, c.id);
  }

  // A container of `group` came with its addresses: the Protect containers with links to the
  // group allow them at once, rather than at the next housekeeping (an agent that starts
  // finds its containers one by one, and a client found before its server would be cut
  // off from it until then).
  void linksToGroupChanged(const std::string& group, const std::string& started) {
    if (graph_->graph().addressesOf(started).empty()) return;
    const std::string prefix = "group:" + group + " ";
    for (auto& [id, t] : tracked_) {
      const auto p = profiles_.find(t.group);
      if (id == started || p == profiles_.end() || p->second.mode != Mode::kProtect || !t.linksEnforced) continue;
      const auto names = [&](const std::set<std::string>& texts) {
        const auto l = texts.lower_bound(prefix);
        return l != texts.end() && l->starts_with(prefix);
      };
      if (names(p->second.links) || names(p->second.callers)) enforceLinks(t, p->second);
    }
  }

  void onContainerStop(const Container& c) {
    std::lock_guard lock(mutex_);
    if (flows_ && !c.cgroupPath.empty()) flows_->detach(cgroup2Mount_ + c.cgroupPath);
    if (guard_) guard_->release(c.id);
    if (listenGuard_) listenGuard_->release(c.id);
    if (dnsGate_) dnsGate_->unwatch(c.id);
    if (httpGate_) httpGate_->unwatch(c.id);
    if (rulesetWatch_) rulesetWatch_->unwatch(c.id);
    if (refusalLog_) refusalLog_->unwatch(c.id);
    std::error_code gone;
    if (const std::string mark = writeMark(c.id); !mark.empty()) std::filesystem::remove(mark, gone);
    if (c.cgroupId != 0) {
      (void)sensor_->unwatchCgroup(c.cgroupId);
      (void)sensor_->setExecKills(c.cgroupId, {});
      byCgroup_.erase(c.cgroupId);
    }
    identities_->drop(c.id);
    auto it = tracked_.find(c.id);
    std::string group;
    if (it != tracked_.end()) {
      group = it->second.group;
      if (it->second.rootFd >= 0) ::close(it->second.rootFd);
      tracked_.erase(it);
    }
    graph_->containerStopped(c.id);
    recentlyStopped_[c.id] = containerJson(c);
    stoppedOrder_.push_back(c.id);
    if (stoppedOrder_.size() > 256) {
      recentlyStopped_.erase(stoppedOrder_.front());
      stoppedOrder_.pop_front();
    }
    sink_->write({{"type", "container"}, {"action", "stopped"}, {"container", containerJson(c)}, {"group", group}});
  }

  void onDenied(const ExecDenial& d) {
    json line = {{"type", "alert"}, {"profile", "exec"}, {"mode", "protect"}, {"action", "blocked"}, {"group", d.group},
                 {"severity", "high"}, {"title", "Exec outside the profile blocked"},
                 {"evidence", {{"kind", "exec"}, {"pid", d.pid}, {"path", d.path}}}, {"time", isoTimeNs(d.timeNs)}};
    std::lock_guard lock(mutex_);
    line["container"] = reportedContainer(d.container);  // gone by now if its entry point was denied
    sink_->write(std::move(line));
  }

  // A container as a report names it, also after its stop. Under mutex_.
  json reportedContainer(const std::string& id) const {
    if (auto it = tracked_.find(id); it != tracked_.end()) return containerJson(it->second.container);
    if (auto gone = recentlyStopped_.find(id); gone != recentlyStopped_.end()) return gone->second;
    return {{"id", id}};
  }

  // A bind the listen guard refused (on the poll thread, from listenGuard_->poll).
  void onBindDenied(const BindDenial& d) {
    json line = {{"type", "alert"}, {"profile", "listen"}, {"mode", "protect"}, {"action", "blocked"},
                 {"severity", "high"}, {"title", "Listening port outside the profile blocked"},
                 {"deviation", fmt::format("tcp/{}", d.port)},
                 {"evidence", {{"kind", "bind"}, {"pid", d.pid}, {"uid", d.uid}, {"comm", d.comm},
                               {"family", d.family}, {"address", d.address}, {"port", d.port}}},
                 {"time", isoTimeNs(d.timeNs)}};
    std::lock_guard lock(mutex_);
    line["container"] = reportedContainer(d.container);
    if (auto it = tracked_.find(d.container); it != tracked_.end()) line["group"] = it->second.group;
    sink_->write(std::move(line));
  }

  void onEvent(const Event& raw) {
    std::lock_guard lock(mutex_);
    const auto byCgroup = byCgroup_.find(raw.cgroupId);
    if (byCgroup == byCgroup_.end()) return;  // not (or no longer) a known container
    const auto tracked = tracked_.find(byCgroup->second);
    if (tracked == tracked_.end()) return;
    Tracked& t = tracked->second;
    if (t.runtimeSetup && static_cast<int>(raw.pid) == t.container.pid) {
      if (raw.kind != EventKind::kExec) return;
      t.runtimeSetup = false;  // the entry point: from here on it is the workload
      armPendingWrites(t);     // where the exec guard could not hold it
    }
    Event e = raw;
    e.container = t.container.id;
    if (e.kind == EventKind::kExec && t.rootFd >= 0 && !e.path.empty() && e.path[0] == '/') resolveExec(t, e);
    if (t.rootFd >= 0) resolveChangedNames(t, e);
    if (writesPath(e)) {
      if (identities_->changed(e.path)) identities_->scan(t.container.id, t.rootFd);  // a new inode
      // Content put at the path (not a removal, nor a mode or owner change): one that runs is drift.
      if (e.kind != EventKind::kUnlink && e.kind != EventKind::kChmod && e.kind != EventKind::kChown) rememberWritten(t, e.path);
    }
    // The entry point's parent is the runtime, or whatever inherited the init once the
    // runtime exited: one name for it, so that replicas match what was learned.
    if (e.kind == EventKind::kExec && static_cast<int>(e.pid) == t.container.pid) {
      e.parentComm = kRuntimeParent;
      // Its entry point runs: a network set up between create and start (CNI) is there now,
      // and links to its group must allow its addresses before its first reply is due.
      if (graph_->refreshAddresses(t.container.id)) linksToGroupChanged(t.group, t.container.id);
    }
    // The DNS answer a connection follows may still wait in the flow capture's ring buffer:
    // read it first, so that the edge (and a learned link) names the destination by its name.
    if (flows_ && e.kind == EventKind::kConnect) {
      if (auto s = flows_->poll(0); !s) log::warn("{}", s.error().message);
    }
    const std::optional<net::EdgeKey> edge = graph_->onEvent(e);
    // A link this group opened (to a group or an outside address), by the graph's edge; a
    // caller of this group (who opened a TCP connection to it, by group or address).
    if (edge && edge->from.kind == net::Endpoint::Kind::Group && edge->from.name == t.group) e.link = net::linkText(*edge);
    if (e.kind == EventKind::kAccept && e.flags == IPPROTO_TCP) e.caller = graph_->graph().callerOf(e.address, e.localPort);
    if (record_ != nullptr) {
      const std::string line = jsonText(eventToJson(e)) + "\n";
      std::fwrite(line.data(), 1, line.size(), record_);
    }
    auto pit = profiles_.find(t.group);
    if (pit == profiles_.end()) return;
    Profile& profile = pit->second;
    // A mount made in a protected container (it takes CAP_SYS_ADMIN): files on it are judged
    // from here on; an exec from it before this was killed by the sensor. So was one from a
    // mount no event announced (propagated from the host): its mounts are read again.
    if ((e.kind == EventKind::kMount || e.unguarded) && profile.mode == Mode::kProtect && guard_) {
      guard_->markNewMounts(t.container.id, t.container.pid);
      setExecKills(t, true);
    }
    if (e.kind == EventKind::kMount && profile.mode == Mode::kProtect) checkWriteGuard(t, profile);
    std::optional<Behavior> deviates = deviation(profile, e);
    // Refused by the write guard (a write there fails with EROFS): blocked, not just seen.
    const bool blocked = e.killed || (t.writesGuarded && writesPath(e) && e.targetId == -EROFS);
    // An exec killed for its mount was not judged by its path: blocked, whatever the path.
    if (!deviates && e.unguarded && e.killed) deviates = Behavior{"exec", e.path, {}};
    EventFacts facts;
    facts.inContainer = true;
    if (e.kind == EventKind::kExec) {
      const auto pid = static_cast<pid_t>(e.pid), ppid = static_cast<pid_t>(e.ppid);
      facts.stdioSocket = Fact([pid] { return stdioIsSocket(pid); });
      facts.parentListens = Fact([ppid] { return ppid != 0 && holdsListeningSocket(ppid); });
      facts.writtenHere = t.written.contains(e.path);
      // The sensor reads the executable's mode in the kernel; /proc only when it could not.
      if (e.flags != 0) {
        facts.setuidFile = (e.flags & S_ISUID) != 0;
      } else {
        facts.setuidFile = Fact([pid] { return runsSetuidFile(pid); });
      }
    }
    // "New" means new to a profile in force: while a group is learned, everything is new.
    const bool enforced = profile.mode != Mode::kDiscover;
    facts.newListen = enforced && e.kind == EventKind::kListen && deviates.has_value();
    facts.newPeer = enforced && e.kind == EventKind::kConnect && deviates.has_value();
    for (const auto& rule : rules_) {
      if (!ruleMatches(rule, e, facts)) continue;
      sink_->write({{"type", "alert"}, {"rule", rule.id}, {"title", rule.title}, {"severity", rule.severity},
                    {"mitre", rule.mitre}, {"mode", modeName(profile.mode)}, {"action", blocked ? "blocked" : "alert"},
                    {"container", containerJson(t.container)}, {"group", t.group}, {"evidence", eventToJson(e)},
                    {"time", isoTimeNs(e.timeNs)}});
    }
    const std::string &link = e.link, &caller = e.caller;
    if (profile.mode == Mode::kDiscover) {
      if (learn(profile, e)) dirty_.insert(profile.group);
      for (const auto& [learned, into] : {std::pair{&link, &profile.links}, std::pair{&caller, &profile.callers}}) {
        if (learned->empty() || !into->insert(*learned).second) continue;
        profile.lastChangeNs = e.timeNs;
        profile.converged = false;
        dirty_.insert(profile.group);
      }
      return;
    }
    // Accepted: in Protect too, the table was not in force for it.
    if (!caller.empty() && !profile.callers.contains(caller)) callerAlert(t, profile, caller, "alert", eventToJson(e), e.timeNs);
    if (!link.empty() && !profile.links.contains(link)) {
      // In Protect the links table in the container's namespace rejected it.
      sink_->write({{"type", "alert"}, {"profile", "link"}, {"title", "Connection outside the learned links"},
                    {"severity", "medium"}, {"mode", modeName(profile.mode)},
                    {"action", profile.mode == Mode::kProtect && t.linksEnforced ? "blocked" : "alert"},
                    {"container", containerJson(t.container)}, {"group", t.group},
                    {"deviation", link}, {"evidence", eventToJson(e)}, {"time", isoTimeNs(e.timeNs)}});
    }
    if (!deviates) return;
    sink_->write({{"type", "alert"}, {"profile", deviates->kind}, {"title", "Behavior outside the profile"},
                  {"severity", "medium"}, {"mode", modeName(profile.mode)}, {"action", blocked ? "blocked" : "alert"},
                  {"container", containerJson(t.container)}, {"group", t.group},
                  {"deviation", deviates->value}, {"evidence", eventToJson(e)}, {"time", isoTimeNs(e.timeNs)}});
  }

  // A path change's or a chmod's names come worked out by their text only (the sensor has
  // no file to resolve them from at the call's exit): here their directories are resolved
  // through the container's symbolic links, so `mv x /tmp/link-to-usr-bin/ls` is a rename
  // to /usr/bin/ls. A chmod follows its name to the file; a symlink's content is where the
  // link leads. A link already removed again leaves the name as the sensor sent it.
  static void resolveChangedNames(const Tracked& t, Event& e) {
    const auto resolve = [&](std::string& name, bool parentOnly) {
      if (name.empty() || name[0] != '/') return;
      auto resolved = parentOnly ? resolveParentInRoot(t.rootFd, name) : resolveInRoot(t.rootFd, name);
      if (resolved) name = std::move(*resolved);
    };
    switch (e.kind) {
      case EventKind::kRename:
      case EventKind::kLink:
        resolve(e.path, true);
        resolve(e.detail, true);
        break;
      case EventKind::kUnlink: resolve(e.path, true); break;
      case EventKind::kSymlink:
        resolve(e.path, true);
        resolve(e.detail, false);
        break;
      case EventKind::kChmod:
      case EventKind::kChown: resolve(e.path, false); break;
      default: break;
    }
  }

  // The exec's path as the container sees it, symlinks resolved (/bin/true is /usr/bin/true).
  static void resolveExec(Tracked& t, Event& e) {
    constexpr size_t kMaxResolved = 1024;
    const int64_t inode = e.targetId;
    if (inode != 0) {
      if (auto it = t.resolvedExecs.find(e.path); it != t.resolvedExecs.end() && it->second.first == inode) {
        e.path = it->second.second;
        return;
      }
    }
    auto resolved = resolveInRoot(t.rootFd, e.path);
    if (!resolved) return;
    if (inode != 0) {
      if (t.resolvedExecs.size() >= kMaxResolved) t.resolvedExecs.clear();
      t.resolvedExecs[e.path] = {inode, *resolved};
    }
    e.path = std::move(*resolved);
  }

  void reloadProfiles() {
    std::vector<Error> errors;
    for (auto& p : store_.changed(errors)) {
      const std::string group = p.group;
      sink_->write({{"type", "profile"}, {"action", "loaded"}, {"group", group}, {"mode", modeName(p.mode)},
                    {"file", store_.pathOf(group)}});
      profiles_[group] = std::move(p);
      dirty_.erase(group);
      // The policy may have changed even when the mode did not: re-arm every container.
      for (auto& [id, t] : tracked_) {
        if (t.group == group) {
          t.armed = arm(t, profiles_[group]);
          enforceLinks(t, profiles_[group]);
        }
      }
    }
    for (const auto& e : errors) sink_->write({{"type", "agent"}, {"action", "profile-rejected"}, {"error", e.message}});
  }

  void housekeeping() {
    std::lock_guard lock(mutex_);
    const int64_t now = nowNs();
    for (auto& [group, p] : profiles_) {
      if (p.mode == Mode::kDiscover && updateConvergence(p, now, options_.convergeQuietNs, options_.convergeMinEvents)) {
        dirty_.insert(group);
        sink_->write({{"type", "profile"}, {"action", "converged"}, {"group", group}, {"events", p.events},
                      {"executables", p.executables.size()}, {"lastChange", isoTimeNs(p.lastChangeNs)}});
      }
    }
    for (const auto& group : dirty_) {
      if (auto s = store_.save(profiles_[group]); !s) log::warn("profile {}: {}", group, s.error().message);
    }
    dirty_.clear();
    if (record_ != nullptr) std::fflush(record_);
    if (auto s = graph_->save(); !s) log::warn("service graph: {}", s.error().message);
    identities_->pollHost();
    enforceAllLinks();
    for (auto& [id, t] : tracked_) {
      const auto p = profiles_.find(t.group);
      if (p == profiles_.end() || p->second.mode != Mode::kProtect) continue;
      checkWriteGuard(t, p->second);
      retryBusyRoot(t);
      if (!t.linksEnforced) continue;
      if (!t.linksWatched) checkLinksTable(t, p->second);
      if (t.linksEnforced && !t.refusalsLogged) reportRefusedCallers(t, p->second);
    }
    reloadProfiles();
  }

  // Protect, where the refusal log could not be had: the connections the container's table
  // reset inbound since the last look, read from its sets at housekeeping and before the
  // table is replaced.
  void reportRefusedCallers(Tracked& t, const Profile& profile) {
    auto refused = net::linkPolicyRejected(t.container.pid, "refused_callers");
    if (!refused) {
      log::warn("container {}: {}", t.container.id, refused.error().message);
      return;
    }
    if (*refused == t.refusedSeen) return;
    t.refusedSeen = *refused;
    auto callers = net::refusedCallers(t.container.pid);
    if (!callers) {
      log::warn("container {}: {}", t.container.id, callers.error().message);
      return;
    }
    for (const auto& c : *callers) reportRefused(t, profile, c.address, c.port);
  }

  void callerAlert(const Tracked& t, const Profile& profile, const std::string& caller, const char* action, json evidence,
                   int64_t timeNs) {
    sink_->write({{"type", "alert"}, {"profile", "caller"}, {"title", "Connection from outside the learned callers"},
                  {"severity", "medium"}, {"mode", modeName(profile.mode)}, {"action", action},
                  {"container", containerJson(t.container)}, {"group", t.group}, {"deviation", caller},
                  {"evidence", std::move(evidence)}, {"time", isoTimeNs(timeNs)}});
  }

  AgentOptions options_;
  std::unique_ptr<EventSink> sink_;
  std::vector<Rule> rules_;
  ProfileStore store_;
  std::unique_ptr<Sensor> sensor_;
  std::unique_ptr<ExecGuard> guard_;
  std::unique_ptr<ListenGuard> listenGuard_;  // Protect's binds, where cgroup/bind programs load
  std::unique_ptr<Discovery> discovery_;
  std::unique_ptr<HookServer> hook_;
  FILE* record_ = nullptr;
  std::unique_ptr<GraphFeed> graph_;  // saved with --graph
  std::unique_ptr<SensitiveIdentities> identities_;
  std::unique_ptr<net::FlowCapture> flows_;  // with --graph, where cgroup_skb programs load
  std::string cgroup2Mount_;
  std::uint64_t linksVersion_ = 0;  // the graph's addresses version the links were resolved at
  std::unique_ptr<net::PacketGate> dnsGate_;   // with name links in Protect
  std::unique_ptr<net::PacketGate> httpGate_;  // with L7 conditions in Protect
  std::unique_ptr<net::RulesetWatch> rulesetWatch_;  // Protect containers' namespaces, for their links tables
  std::unique_ptr<net::RefusalLog> refusalLog_;      // the callers their tables refuse
  // Guards everything below (discovery, guard, DNS gate and sensor threads). Recursive: a
  // connect event reads the flow capture, whose callback takes it again.
  std::recursive_mutex mutex_;
  std::map<std::string, Tracked> tracked_;
  std::map<std::string, json> recentlyStopped_;  // for denials reported after the stop
  std::deque<std::string> stoppedOrder_;
  std::map<uint64_t, std::string> byCgroup_;
  std::map<std::string, Profile> profiles_;
  std::set<std::string> dirty_;
};

}  // namespace

Result<std::unique_ptr<Agent>> Agent::create(const AgentOptions& options) {
  auto rules = loadRules(options.ruleFiles);
  if (!rules) return std::move(rules).error();
  auto sink = EventSink::open(options.eventsPath);
  if (!sink) return std::move(sink).error();
  auto agent = std::make_unique<AgentImpl>(options, std::move(*sink), std::move(*rules));
  if (auto s = agent->init(); !s) return s.error();
  return std::unique_ptr<Agent>(std::move(agent));
}

}  // namespace bulkhead::agent
