// Detection rules: every built-in rule fires on the event it describes and stays quiet on
// its nearest innocent neighbour; rule files are validated with messages naming the file
// and rule.

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/ptrace.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <set>

#include "runtime/rules/rule.h"

namespace bulkhead::runtime {
namespace {

struct Case {
  std::string rule;
  Event event;
  EventFacts facts;
  bool fires;
};

Event ev(EventKind kind, std::string path = {}) {
  Event e;
  e.kind = kind;
  e.path = std::move(path);
  e.uid = 0;
  return e;
}

Event inet(EventKind kind, std::string address, uint16_t port, std::string comm = "curl") {
  Event e = ev(kind);
  e.family = AF_INET;
  e.address = std::move(address);
  e.port = port;
  e.comm = std::move(comm);
  return e;
}

Event openFlags(std::string path, int flags) {
  Event e = ev(EventKind::kOpen, std::move(path));
  e.flags = static_cast<uint64_t>(flags);
  return e;
}

template <typename T>
EventFacts facts(T EventFacts::*field, bool inContainer = true) {
  EventFacts f;
  f.inContainer = inContainer;
  f.*field = true;
  return f;
}
EventFacts facts(std::nullptr_t, bool inContainer = true) {
  EventFacts f;
  f.inContainer = inContainer;
  return f;
}

const EventFacts kPlain = facts(nullptr);

Event sock(uint16_t family, int protocol, int64_t result = 3) {
  Event e = ev(EventKind::kSocket);
  e.family = family;
  e.flags = SOCK_RAW;
  e.targetId = protocol;
  e.result = result;
  return e;
}

std::vector<Case> cases() {
  Event setuidTo0 = ev(EventKind::kSetuid);
  setuidTo0.uid = 33;
  setuidTo0.targetId = 0;
  Event setuidByRoot = setuidTo0;
  setuidByRoot.uid = 0;
  Event attach = ev(EventKind::kPtrace);
  attach.flags = PTRACE_ATTACH;
  Event peek = ev(EventKind::kPtrace);
  peek.flags = PTRACE_PEEKDATA;
  Event unixDocker = ev(EventKind::kConnect);
  unixDocker.family = AF_UNIX;
  unixDocker.address = "/var/run/docker.sock";
  Event unixOther = unixDocker;
  unixOther.address = "/run/app.sock";
  Event minerArgs = ev(EventKind::kExec, "/tmp/.x/kworker");
  minerArgs.argv = {"kworker", "-o", "stratum+tcp://pool.example:3333", "-u", "wallet"};
  Event fileless = ev(EventKind::kExec, "/proc/self/fd/3");
  fileless.fileless = true;
  Event byHandle = openFlags("", O_RDONLY);
  byHandle.detail = "open_by_handle_at";
  Event findKeys = ev(EventKind::kExec, "/usr/bin/find");
  findKeys.argv = {"find", "/", "-name", "id_rsa"};
  Event findLogs = findKeys;
  findLogs.argv = {"find", "/var/log", "-name", "*.log"};
  Event grepKeys = ev(EventKind::kExec, "/usr/bin/grep");
  grepKeys.argv = {"grep", "-rl", "BEGIN RSA PRIVATE", "/home"};
  Event plainArgs = minerArgs;
  plainArgs.argv = {"kworker", "-o", "out.txt"};
  const auto change = [](EventKind kind, const std::string& path, const std::string& detail, int64_t result = 0) {
    Event e = ev(kind, path);
    e.detail = detail;
    e.targetId = result;
    return e;
  };
  const auto chmod = [&](const std::string& path, uint64_t mode, int64_t result = 0) {
    Event e = change(EventKind::kChmod, path, "", result);
    e.flags = mode;
    return e;
  };
  return {
      {"BH-RT-0001", ev(EventKind::kExec, "/usr/bin/bash"), facts(&EventFacts::stdioSocket), true},
      {"BH-RT-0001", ev(EventKind::kExec, "/usr/bin/bash"), kPlain, false},
      {"BH-RT-0002", inet(EventKind::kConnect, "203.0.113.7", 4242, "bash"), kPlain, true},
      {"BH-RT-0002", inet(EventKind::kConnect, "127.0.0.1", 4242, "bash"), kPlain, false},
      {"BH-RT-0003", ev(EventKind::kExec, "/bin/sh"), facts(&EventFacts::parentListens), true},
      {"BH-RT-0003", ev(EventKind::kExec, "/usr/bin/ls"), facts(&EventFacts::parentListens), false},
      {"BH-RT-0004", ev(EventKind::kExec, "/usr/bin/apt-get"), kPlain, true},
      {"BH-RT-0004", ev(EventKind::kExec, "/usr/bin/apt-get"), facts(nullptr, false), false},
      {"BH-RT-0005", openFlags("/usr/bin/ls", O_WRONLY | O_TRUNC), kPlain, true},
      {"BH-RT-0005", openFlags("/usr/bin/ls", O_RDONLY), kPlain, false},
      {"BH-RT-0006", openFlags("/etc/ld.so.preload", O_WRONLY | O_CREAT), kPlain, true},
      {"BH-RT-0006", openFlags("/usr/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY), kPlain, false},
      {"BH-RT-0007", openFlags("/etc/shadow", O_RDONLY), kPlain, true},
      {"BH-RT-0007", openFlags("/etc/passwd", O_RDONLY), kPlain, false},
      {"BH-RT-0008", ev(EventKind::kExec, "/usr/bin/su"), facts(&EventFacts::setuidFile), true},
      {"BH-RT-0008", ev(EventKind::kExec, "/usr/bin/id"), kPlain, false},
      {"BH-RT-0009", inet(EventKind::kListen, "0.0.0.0", 4444), facts(&EventFacts::newListen), true},
      {"BH-RT-0009", inet(EventKind::kListen, "0.0.0.0", 80), kPlain, false},
      {"BH-RT-0010", inet(EventKind::kConnect, "198.51.100.4", 443), facts(&EventFacts::newPeer), true},
      {"BH-RT-0010", inet(EventKind::kConnect, "127.0.0.1", 443), facts(&EventFacts::newPeer), false},
      {"BH-RT-0011", ev(EventKind::kMount, "/mnt"), kPlain, true},
      {"BH-RT-0011", ev(EventKind::kMount, "/mnt"), facts(nullptr, false), false},
      {"BH-RT-0012", ev(EventKind::kSetns), kPlain, true},
      {"BH-RT-0012", ev(EventKind::kExec, "/usr/bin/nsenter"), kPlain, true},
      {"BH-RT-0012", ev(EventKind::kExec, "/usr/bin/env"), kPlain, false},
      {"BH-RT-0013", openFlags("/proc/sys/kernel/core_pattern", O_WRONLY), kPlain, true},
      {"BH-RT-0013", openFlags("/proc/sys/kernel/core_pattern", O_RDONLY), kPlain, false},
      {"BH-RT-0014", unixDocker, kPlain, true},
      {"BH-RT-0014", unixOther, kPlain, false},
      {"BH-RT-0015", ev(EventKind::kModule, "nf_tables"), kPlain, true},
      {"BH-RT-0016", attach, kPlain, true},
      {"BH-RT-0016", peek, kPlain, false},
      {"BH-RT-0017", ev(EventKind::kExec, "/opt/xmrig"), kPlain, true},
      {"BH-RT-0017", minerArgs, kPlain, true},
      {"BH-RT-0017", plainArgs, kPlain, false},
      {"BH-RT-0018", inet(EventKind::kConnect, "203.0.113.50", 3333), kPlain, true},
      {"BH-RT-0018", inet(EventKind::kConnect, "203.0.113.50", 443), kPlain, false},
      {"BH-RT-0019", setuidTo0, kPlain, true},
      {"BH-RT-0019", setuidByRoot, kPlain, false},
      {"BH-RT-0020", ev(EventKind::kIoUring), kPlain, true},
      {"BH-RT-0021", fileless, kPlain, true},
      {"BH-RT-0022", byHandle, kPlain, true},
      {"BH-RT-0022", byHandle, facts(nullptr, false), false},
      {"BH-RT-0022", openFlags("/etc/hostname", O_RDONLY), kPlain, false},
      {"BH-RT-0021", ev(EventKind::kExec, "/usr/bin/true"), kPlain, false},
      {"BH-RT-0020", ev(EventKind::kIoUring), facts(nullptr, false), false},
      {"BH-RT-0020", ev(EventKind::kUnshare), kPlain, false},
      // Path changes write at their path (the new name): a move into a binary directory, a
      // binary removed, a library replaced by a link; refused ones count, missing names not.
      {"BH-RT-0005", change(EventKind::kRename, "/usr/bin/ls", "/tmp/ls"), kPlain, true},
      {"BH-RT-0005", change(EventKind::kRename, "/usr/bin/ls", "/tmp/ls", -EACCES), kPlain, true},
      {"BH-RT-0005", change(EventKind::kRename, "/usr/bin/ls", "/tmp/ls", -ENOENT), kPlain, false},
      {"BH-RT-0005", change(EventKind::kUnlink, "/usr/sbin/sshd", ""), kPlain, true},
      {"BH-RT-0005", change(EventKind::kRename, "/tmp/ls", "/usr/bin/ls"), kPlain, false},
      {"BH-RT-0006", change(EventKind::kSymlink, "/usr/lib/libx.so", "/tmp/evil.so"), kPlain, true},
      {"BH-RT-0006", change(EventKind::kLink, "/tmp/libx.so", "/usr/lib/libx.so"), kPlain, false},
      {"BH-RT-0023", change(EventKind::kSymlink, "/tmp/s", "/etc/shadow"), kPlain, true},
      {"BH-RT-0023", change(EventKind::kLink, "/tmp/k", "/root/.ssh/id_rsa"), kPlain, true},
      {"BH-RT-0023", change(EventKind::kSymlink, "/tmp/p", "/etc/passwd"), kPlain, false},
      {"BH-RT-0023", change(EventKind::kRename, "/tmp/s", "/etc/shadow"), kPlain, false},
      {"BH-RT-0024", change(EventKind::kUnlink, "/root/.bash_history", ""), kPlain, true},
      {"BH-RT-0024", change(EventKind::kUnlink, "/var/log/auth.log", ""), kPlain, true},
      {"BH-RT-0024", openFlags("/var/log/auth.log", O_WRONLY | O_TRUNC), kPlain, true},
      {"BH-RT-0024", openFlags("/var/log/auth.log", O_WRONLY | O_APPEND), kPlain, false},
      {"BH-RT-0024", change(EventKind::kUnlink, "/root/.bash_history", "", -ENOENT), kPlain, false},
      {"BH-RT-0024", change(EventKind::kUnlink, "/tmp/x", ""), kPlain, false},
      {"BH-RT-0024", change(EventKind::kUnlink, "/var/log/auth.log", ""), facts(nullptr, false), false},
      // A set-user-ID or set-group-ID bit set in a container; not a plain mode, a refused
      // attempt or one on the host.
      {"BH-RT-0025", chmod("/tmp/sh", 04755), kPlain, true},
      {"BH-RT-0025", chmod("/usr/bin/x", 02755), kPlain, true},
      {"BH-RT-0025", chmod("/tmp/sh", 0755), kPlain, false},
      {"BH-RT-0025", chmod("/usr/bin/passwd", 04755, -EPERM), kPlain, false},
      {"BH-RT-0025", chmod("/tmp/sh", 04755), facts(nullptr, false), false},
      {"BH-RT-0005", chmod("/usr/bin/x", 0755), kPlain, false},  // a mode is not a content change
      {"BH-RT-0026", openFlags("/tmp/cgrp/release_agent", O_WRONLY | O_TRUNC), kPlain, true},
      {"BH-RT-0026", openFlags("/sys/fs/cgroup/x/notify_on_release", O_WRONLY), kPlain, true},
      {"BH-RT-0026", openFlags("/tmp/cgrp/release_agent", O_RDONLY), kPlain, false},
      {"BH-RT-0027", openFlags("/proc/self/exe", O_WRONLY), kPlain, true},
      {"BH-RT-0027", openFlags("/proc/1/exe", O_RDWR), kPlain, true},
      {"BH-RT-0027", openFlags("/proc/self/exe", O_RDONLY), kPlain, false},
      {"BH-RT-0027", openFlags("/opt/app/exe", O_WRONLY), kPlain, false},
      {"BH-RT-0028", findKeys, kPlain, true},
      {"BH-RT-0028", grepKeys, kPlain, true},
      {"BH-RT-0028", findKeys, facts(nullptr, false), false},
      {"BH-RT-0028", findLogs, kPlain, false},
      // Packet sockets and raw IP ones, refused attempts too; not a ping's ICMP socket.
      {"BH-RT-0029", sock(AF_PACKET, 768), kPlain, true},
      {"BH-RT-0029", sock(AF_PACKET, 768, -EPERM), kPlain, true},
      {"BH-RT-0029", sock(AF_INET, IPPROTO_RAW), kPlain, true},
      {"BH-RT-0029", sock(AF_INET6, IPPROTO_TCP), kPlain, true},
      {"BH-RT-0029", sock(AF_INET, IPPROTO_ICMP), kPlain, false},
      {"BH-RT-0029", sock(AF_INET6, IPPROTO_ICMPV6), kPlain, false},
      {"BH-RT-0029", sock(AF_PACKET, 768), facts(nullptr, false), false},
      {"BH-RT-0030", ev(EventKind::kBpf), kPlain, true},
      {"BH-RT-0030", ev(EventKind::kBpf), facts(nullptr, false), false},
      // Persistence: cron jobs, accounts, shell startup files written; reading them is not.
      {"BH-RT-0031", openFlags("/etc/cron.d/backdoor", O_WRONLY | O_CREAT), kPlain, true},
      {"BH-RT-0031", openFlags("/var/spool/cron/crontabs/root", O_WRONLY | O_TRUNC), kPlain, true},
      {"BH-RT-0031", change(EventKind::kRename, "/etc/crontab", "/tmp/c"), kPlain, true},
      {"BH-RT-0031", openFlags("/etc/crontab", O_RDONLY), kPlain, false},
      {"BH-RT-0031", openFlags("/etc/cron.d/x", O_WRONLY), facts(nullptr, false), false},
      {"BH-RT-0032", openFlags("/etc/passwd", O_WRONLY | O_APPEND), kPlain, true},
      {"BH-RT-0032", change(EventKind::kRename, "/etc/shadow", "/etc/nshadow"), kPlain, true},
      {"BH-RT-0032", openFlags("/etc/sudoers.d/90-x", O_WRONLY | O_CREAT), kPlain, true},
      {"BH-RT-0032", openFlags("/etc/passwd", O_RDONLY), kPlain, false},
      {"BH-RT-0032", openFlags("/etc/passwd.bak", O_WRONLY), kPlain, false},
      {"BH-RT-0033", openFlags("/root/.bashrc", O_WRONLY | O_APPEND), kPlain, true},
      {"BH-RT-0033", openFlags("/home/app/.profile", O_WRONLY | O_CREAT), kPlain, true},
      {"BH-RT-0033", openFlags("/etc/profile.d/x.sh", O_WRONLY | O_CREAT), kPlain, true},
      {"BH-RT-0033", openFlags("/root/.bashrc", O_RDONLY), kPlain, false},
      {"BH-RT-0033", openFlags("/root/.bashrc.swp", O_WRONLY), kPlain, false},
      {"BH-RT-0034", ev(EventKind::kExec, "/tmp/x"), facts(&EventFacts::writtenHere), true},
      {"BH-RT-0034", ev(EventKind::kExec, "/tmp/x"), kPlain, false},
      {"BH-RT-0034", ev(EventKind::kExec, "/tmp/x"), facts(&EventFacts::writtenHere, false), false},
  };
}

TEST(Rules, BuiltinRulesLoadWithStableIdsAndTechniques) {
  auto rules = loadRules();
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  ASSERT_GE(rules->size(), 19u);
  std::set<std::string> ids;
  for (const auto& r : *rules) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_FALSE(r.mitre.empty()) << r.id;
    EXPECT_FALSE(r.title.empty()) << r.id;
  }
}

TEST(Rules, EachRuleFiresOnItsEventAndNotOnItsNeighbour) {
  auto rules = loadRules();
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  std::set<std::string> covered;
  for (const auto& c : cases()) {
    const Rule* rule = nullptr;
    for (const auto& r : *rules) {
      if (r.id == c.rule) rule = &r;
    }
    ASSERT_NE(rule, nullptr) << c.rule;
    EXPECT_EQ(ruleMatches(*rule, c.event, c.facts), c.fires)
        << c.rule << " on " << eventKindName(c.event.kind) << " " << c.event.path << c.event.address;
    if (c.fires) covered.insert(c.rule);
  }
  for (const auto& r : *rules) EXPECT_TRUE(covered.contains(r.id)) << r.id << " has no firing case";
}

TEST(Rules, ARuleAppliesOnlyToItsEventKinds) {
  auto rules = parseRules("- {id: T-1, title: t, severity: low, mitre: [T1], on: [open], when: {path: /x}}\n", "t.yaml");
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  EXPECT_TRUE(ruleMatches(rules->front(), ev(EventKind::kOpen, "/x"), kPlain));
  EXPECT_FALSE(ruleMatches(rules->front(), ev(EventKind::kExec, "/x"), kPlain));
}

// A user's rule on what an io_uring ring did: the same event made by a system call does
// not match it.
TEST(Rules, ARuleCanAskForOperationsMadeThroughIoUring) {
  auto rules = parseRules("- {id: T-1, title: t, severity: low, mitre: [T1106], on: [connect], when: {io_uring: true}}\n",
                          "t.yaml");
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  Event viaRing = ev(EventKind::kConnect, "");
  viaRing.ioUring = true;
  EXPECT_TRUE(ruleMatches(rules->front(), viaRing, kPlain));
  EXPECT_FALSE(ruleMatches(rules->front(), ev(EventKind::kConnect, ""), kPlain));
}

// A user's rule on borrowed root: effective uid 0 with another real uid (a set-user-ID
// root program, or what a setresuid left).
TEST(Rules, RulesTellTheEffectiveUidFromTheRealOne) {
  auto rules = parseRules(
      "- {id: T-2, title: t, severity: low, mitre: [T1], on: [open], when: {euid: 0, not: {uid: 0}}}\n", "t.yaml");
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  Event borrowed = ev(EventKind::kOpen, "/etc/shadow");
  borrowed.uid = 1000;
  borrowed.euid = 0;
  EXPECT_TRUE(ruleMatches(rules->front(), borrowed, kPlain));
  Event root = borrowed;
  root.uid = 0;
  EXPECT_FALSE(ruleMatches(rules->front(), root, kPlain));
  Event user = borrowed;
  user.euid = 1000;
  EXPECT_FALSE(ruleMatches(rules->front(), user, kPlain));
}

// A user's rule on what a call achieved: a mount that took effect, not one refused.
TEST(Rules, RulesCanAskForTheCallsResult) {
  auto rules = parseRules(
      "- {id: T-3, title: t, severity: low, mitre: [T1], on: [mount], when: {result: 0}}\n"
      "- {id: T-4, title: t, severity: low, mitre: [T1], on: [connect], when: {result: {in: [-111, -113]}}}\n",
      "t.yaml");
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  Event mounted = ev(EventKind::kMount, "/mnt");
  EXPECT_TRUE(ruleMatches(rules->at(0), mounted, kPlain));
  mounted.result = -EPERM;
  EXPECT_FALSE(ruleMatches(rules->at(0), mounted, kPlain));
  Event refused = ev(EventKind::kConnect, "");
  refused.result = -111;  // ECONNREFUSED
  EXPECT_TRUE(ruleMatches(rules->at(1), refused, kPlain));
  refused.result = 0;
  EXPECT_FALSE(ruleMatches(rules->at(1), refused, kPlain));
}

// Facts cost /proc reads: every built-in rule on an ordinary exec (not a shell) decides
// without reading any, and a shell exec reads each fact it asks for once.
TEST(Rules, FactsAreReadOnlyWhenARuleNeedsThem) {
  auto rules = loadRules();
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  int reads = 0;
  const auto counted = [&reads](bool value) { return Fact([&reads, value] { ++reads; return value; }); };
  EventFacts f;
  f.inContainer = true;
  f.stdioSocket = counted(false);
  f.parentListens = counted(false);
  f.setuidFile = false;
  for (const auto& r : *rules) EXPECT_FALSE(ruleMatches(r, ev(EventKind::kExec, "/usr/bin/true"), f)) << r.id;
  EXPECT_EQ(reads, 0);

  EventFacts shell = f;
  shell.stdioSocket = counted(true);
  shell.parentListens = counted(false);
  int fired = 0;
  for (const auto& r : *rules) fired += ruleMatches(r, ev(EventKind::kExec, "/bin/bash"), shell) ? 1 : 0;
  EXPECT_EQ(reads, 2);  // each fact once, however many rules ask
  EXPECT_GE(fired, 1);  // the reverse shell
}

TEST(Rules, BadRuleFilesAreRejectedWithTheFileAndRule) {
  const std::pair<const char*, const char*> cases[] = {
      {"- {id: X-1, title: t, severity: low, on: [exec], when: {colour: red}}\n", "unknown field or operator 'colour'"},
      {"- {id: X-1, title: t, severity: low, on: [exec], when: {port: {in: [http]}}}\n", "takes integers"},
      {"- {id: X-1, title: t, severity: low, on: [exec], when: {path: {bits_any: [1]}}}\n", "does not apply"},
      {"- {id: X-1, title: t, severity: urgent, on: [exec], when: {}}\n", "severity 'urgent'"},
      {"- {id: X-1, title: t, severity: low, on: [fork], when: {}}\n", "not an event kind"},
      {"- {id: X-1, title: t, severity: low, on: [exec]}\n", "'when' is missing"},
      {"- {id: 'x y', title: t, severity: low, on: [exec], when: {}}\n", "rule ID"},
      {"- {id: X-1, title: t, severity: low, mitre: [execution], on: [exec], when: {}}\n", "MITRE"},
  };
  std::string deep = "- {id: X-1, title: t, severity: low, on: [exec], when: ";
  for (int i = 0; i < 20; ++i) deep += "{not: ";
  deep += "{uid: 0}" + std::string(20, '}') + "}\n";
  std::vector<std::pair<std::string, std::string>> all(std::begin(cases), std::end(cases));
  all.emplace_back(deep, "deeper");
  for (const auto& [text, expected] : all) {
    auto r = parseRules(text, "custom.yaml");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.error().message.find("custom.yaml"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(expected), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace bulkhead::runtime
