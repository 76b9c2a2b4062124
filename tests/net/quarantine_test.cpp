// Quarantine (src/net/quarantine.h) on real containers: two runc containers, each in a
// network namespace the test makes (`ip netns add`), joined by veth pairs to a bridge in a
// third namespace of the test's own, on 10.231.40.0/24. Both run python3's HTTP server and
// call each other with curl. Quarantining B must make both directions time out (dropped,
// not refused), keep B's loopback working, count the drops, and leave a table the test put
// in B's namespace alone; lifting must restore the traffic and remove only our table. The
// nft command line, not libnftables, is the independent witness of the rules. No test
// traffic leaves the test's namespaces.
//
// The script tests at the end need nothing but the library.

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "net/quarantine.h"
#include "runtime/group.h"
#include "support/runc_container.h"
#include "support/testbed.h"

namespace bulkhead::net {
namespace {

namespace fs = std::filesystem;
using bulkhead::testing::CommandResult;
using bulkhead::testing::RuncContainer;
using bulkhead::testing::runCommand;
using namespace std::chrono_literals;

constexpr const char* kAddressA = "10.231.40.2";
constexpr const char* kAddressB = "10.231.40.3";
constexpr const char* kSecondAddressA = "10.231.40.12";  // A's second address: not allowed
constexpr const char* kPort = "8080";
constexpr const char* kImageA = "bulkhead-test/quarantine-a:1";  // two workload groups
constexpr const char* kImageB = "bulkhead-test/quarantine-b:1";
constexpr int kCurlTimedOut = 28;  // a dropped SYN; a refused connection would be 7

// A number deep in a JSON document, -1 when it is not there.
int64_t numberAt(const nlohmann::json& j, const std::string& pointer) {
  const nlohmann::json::json_pointer p(pointer);
  return j.is_object() && j.contains(p) && j.at(p).is_number() ? j.at(p).get<int64_t>() : -1;
}

std::string textAt(const nlohmann::json& j, const std::string& pointer) {
  const nlohmann::json::json_pointer p(pointer);
  return j.is_object() && j.contains(p) && j.at(p).is_string() ? j.at(p).get<std::string>() : "";
}

std::string nsPrefix() { return "bhq-" + std::to_string(::getpid()) + "-"; }

class Quarantine : public ::testing::Test {
 protected:
  void SetUp() override {
    BULKHEAD_REQUIRE_TESTBED();
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run containers and make network namespaces";
    if (bulkhead::testing::findRuntimeBinary("runc").empty()) GTEST_SKIP() << "runc is not installed";
    if (bulkhead::testing::findRuntimeBinary("nft").empty()) GTEST_SKIP() << "nft (package nftables) is not installed";
    const std::string lowerdir = bulkhead::testing::testbedValue("TESTBED_RUNTIME_ROOTFS");
    ASSERT_FALSE(lowerdir.empty()) << "the test bed has no TESTBED_RUNTIME_ROOTFS: run tests/testbed/testbed.sh build";
    ASSERT_TRUE(fs::exists(lowerdir + "/usr/bin/python3") && fs::exists(lowerdir + "/usr/bin/curl"))
        << lowerdir << " has no python3 or curl: run tests/testbed/testbed.sh build";
    removeStaleNamespaces();

    bridge_ = nsPrefix() + "br";
    nsA_ = nsPrefix() + "a";
    nsB_ = nsPrefix() + "b";
    for (const auto& ns : {bridge_, nsA_, nsB_}) {
      ASSERT_TRUE(ip({"netns", "add", ns}));
      made_.push_back(ns);
      ASSERT_TRUE(ip({"-n", ns, "link", "set", "lo", "up"}));
    }
    ASSERT_TRUE(ip({"-n", bridge_, "link", "add", "br0", "type", "bridge"}));
    ASSERT_TRUE(ip({"-n", bridge_, "link", "set", "br0", "up"}));
    ASSERT_TRUE(attach(nsA_, "va", kAddressA));
    ASSERT_TRUE(attach(nsB_, "vb", kAddressB));
    ASSERT_TRUE(ip({"-n", nsA_, "addr", "add", std::string(kSecondAddressA) + "/24", "dev", "eth0"}));

    a_ = runServer(lowerdir, nsA_, kImageA);
    ASSERT_TRUE(a_) << "container A did not start";
    b_ = runServer(lowerdir, nsB_, kImageB);
    ASSERT_TRUE(b_) << "container B did not start";
    pidB_ = b_->pid();
    ASSERT_GT(pidB_, 0);
    ASSERT_TRUE(waitForServer(*a_, kAddressB)) << "A never reached B's server";
    ASSERT_TRUE(waitForServer(*b_, kAddressA)) << "B never reached A's server";
  }

  void TearDown() override {
    if (pidB_ > 0 && b_ && HasFailure()) {
      std::printf("--- nft list ruleset in %s\n%s\n", nsB_.c_str(), nft(nsB_, "list ruleset").out.c_str());
    }
    a_.reset();  // kills and deletes the containers before their namespaces go
    b_.reset();
    for (const auto& ns : made_) ip({"netns", "delete", ns}, false);  // takes its veth ends along
  }

  // Namespaces an earlier run of this test left behind when it was killed mid-way.
  static void removeStaleNamespaces() {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/var/run/netns", ec)) {
      const std::string name = e.path().filename();
      if (name.rfind("bhq-", 0) != 0) continue;
      const int pid = std::atoi(name.c_str() + 4);
      if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) ip({"netns", "delete", name}, false);
    }
  }

  static bool ip(const std::vector<std::string>& args, bool mustWork = true) {
    std::vector<std::string> argv{"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult r = runCommand(argv);
    if (mustWork && r.exitCode != 0) ADD_FAILURE() << "ip " << ::testing::PrintToString(args) << ": " << r.err;
    return r.exitCode == 0;
  }

  // eth0 with `address`/24 in `ns`, its peer `port` on the bridge.
  bool attach(const std::string& ns, const std::string& port, const std::string& address) {
    return ip({"-n", bridge_, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns}) &&
           ip({"-n", bridge_, "link", "set", port, "master", "br0", "up"}) &&
           ip({"-n", ns, "addr", "add", address + "/24", "dev", "eth0"}) && ip({"-n", ns, "link", "set", "eth0", "up"});
  }

  static CommandResult nft(const std::string& ns, const std::string& command) {
    return runCommand({"ip", "netns", "exec", ns, "nft", command});
  }

  std::unique_ptr<RuncContainer> runServer(const std::string& lowerdir, const std::string& ns, const std::string& image) {
    bulkhead::testing::ContainerSpec spec;
    spec.annotations["org.opencontainers.image.ref.name"] = image;  // its workload group
    spec.lowerdir = lowerdir;
    spec.networkNamespace = "/var/run/netns/" + ns;
    spec.args = {"python3", "-m", "http.server", kPort, "--bind", "0.0.0.0", "--directory", "/tmp"};
    auto c = RuncContainer::prepare(std::move(spec));
    if (!c) {
      ADD_FAILURE() << c.error().message;
      return nullptr;
    }
    if (const Status s = (*c)->runDetached(); !s) {
      ADD_FAILURE() << s.error().message;
      return nullptr;
    }
    return std::move(*c);
  }

  // curl's exit code for GET http://ADDRESS:8080/ from inside `from`; 0 is an answer.
  static int curl(RuncContainer& from, const std::string& address, const std::string& extra = "") {
    const std::string script = "curl -s -o /dev/null --connect-timeout 2 --max-time 4 " + extra + " http://" +
                               address + ":" + kPort + "/";
    return from.exec({"sh", "-c", script}).exitCode;
  }

  static bool waitForServer(RuncContainer& from, const std::string& address) {
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < until) {
      if (curl(from, address) == 0) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  // A table of B's own, there before any quarantine: its counter counts B's input.
  void addOtherTable() {
    const auto r = nft(nsB_,
                       "add table inet other; add chain inet other input { type filter hook input priority 0; }; "
                       "add rule inet other input counter comment \"the container's own rule\"");
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }

  // Packets the counter of the test's own table in B has seen; -1 when the table is gone.
  int64_t otherPackets() {
    const auto r = runCommand({"ip", "netns", "exec", nsB_, "nft", "-j", "list", "table", "inet", "other"});
    if (r.exitCode != 0) return -1;
    auto json = parseJson(r.out, "nft -j list table inet other");
    if (!json) return -1;
    if (!json->contains("nftables")) return -1;
    for (const auto& item : json->at("nftables")) {
      if (!item.contains("rule") || !item["rule"].contains("expr")) continue;
      for (const auto& e : item["rule"]["expr"]) {
        if (e.contains("counter")) return numberAt(e, "/counter/packets");
      }
    }
    return -1;
  }

  bool hasQuarantineTable() { return nft(nsB_, "list tables").out.find(kQuarantineTable) != std::string::npos; }

  std::string bridge_, nsA_, nsB_;
  std::vector<std::string> made_;
  std::unique_ptr<RuncContainer> a_, b_;
  int pidB_ = 0;
};

TEST_F(Quarantine, CutsBothWaysKeepsLoopbackCountsDropsAndLiftRestores) {
  addOtherTable();
  ASSERT_EQ(curl(*a_, kAddressB), 0);
  const int64_t otherBefore = otherPackets();
  ASSERT_GT(otherBefore, 0) << "the test's own table counts nothing before the quarantine";

  auto before = isQuarantined(pidB_);
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_FALSE(*before);

  const Status q = quarantine(pidB_, {});
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_TRUE(hasQuarantineTable()) << nft(nsB_, "list tables").out;

  EXPECT_EQ(curl(*a_, kAddressB), kCurlTimedOut) << "A still reaches quarantined B";
  EXPECT_EQ(curl(*b_, kAddressA), kCurlTimedOut) << "quarantined B still reaches A";
  EXPECT_EQ(curl(*b_, "127.0.0.1"), 0) << "loopback inside B is cut too";
  EXPECT_EQ(curl(*b_, kAddressB), 0) << "B cannot reach its own address (loopback)";
  EXPECT_EQ(curl(*a_, kAddressA), 0) << "A, not quarantined, lost its own loopback";

  auto status = quarantineStatus(pidB_);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_TRUE(status->active);
  EXPECT_GT(status->input.packets, 0u) << "A's SYNs to B were not counted";
  EXPECT_GT(status->output.packets, 0u) << "B's SYNs to A were not counted";
  EXPECT_GT(status->input.bytes, 0u);
  auto during = isQuarantined(pidB_);
  ASSERT_TRUE(during) << during.error().message;
  EXPECT_TRUE(*during);
  EXPECT_GE(otherPackets(), otherBefore) << "the quarantine touched the container's own table";

  const Status l = lift(pidB_);
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(curl(*a_, kAddressB), 0) << "A does not reach B after the lift";
  EXPECT_EQ(curl(*b_, kAddressA), 0) << "B does not reach A after the lift";
  EXPECT_FALSE(hasQuarantineTable()) << nft(nsB_, "list tables").out;
  auto after = isQuarantined(pidB_);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_FALSE(*after);
  // Still there, and still live: it counted the traffic the lift let back in.
  const int64_t otherAfter = otherPackets();
  EXPECT_GT(otherAfter, otherBefore) << nft(nsB_, "list ruleset").out;
  EXPECT_NE(nft(nsB_, "list table inet other").out.find("the container's own rule"), std::string::npos);

  // Lifting again is not an error and still leaves the other table.
  const Status again = lift(pidB_);
  EXPECT_TRUE(again.ok()) << again.error().message;
  EXPECT_GE(otherPackets(), otherAfter);
}

TEST_F(Quarantine, ApplyingTwiceLeavesOneTable) {
  ASSERT_TRUE(quarantine(pidB_, {}).ok());
  const Status second = quarantine(pidB_, {});
  ASSERT_TRUE(second.ok()) << second.error().message;
  const std::string tables = nft(nsB_, "list tables").out;
  EXPECT_EQ(tables.find(kQuarantineTable), tables.rfind(kQuarantineTable)) << tables;
  const std::string table = nft(nsB_, std::string("list table inet ") + kQuarantineTable).out;
  size_t drops = 0;
  for (size_t at = table.find("drop\n"); at != std::string::npos; at = table.find("drop\n", at + 1)) ++drops;
  EXPECT_EQ(drops, 3u) << "one drop rule per chain expected:\n" << table;
  EXPECT_EQ(curl(*a_, kAddressB), kCurlTimedOut) << "A reaches B after the second quarantine";
}

TEST_F(Quarantine, AllowedAddressStillPasses) {
  QuarantineOptions options;
  options.allow = {kAddressA};
  const Status q = quarantine(pidB_, options);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(curl(*a_, kAddressB), 0) << "the allowed address cannot reach B";
  EXPECT_EQ(curl(*b_, kAddressA), 0) << "B cannot reach the allowed address";
  EXPECT_EQ(curl(*a_, kAddressB, std::string("--interface ") + kSecondAddressA), kCurlTimedOut)
      << "an address that is not allowed still reaches B";
  auto status = quarantineStatus(pidB_);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_GT(status->input.packets, 0u);
}

TEST_F(Quarantine, CommandLineQuarantinesLogsAndLifts) {
  const std::string binary = bulkhead::testing::bulkheadBinary();
  ASSERT_TRUE(fs::exists(binary)) << binary;
  const auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv{binary, "net", "quarantine"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return runCommand(argv);
  };
  const auto lastLine = [](const CommandResult& r) -> nlohmann::json {
    std::string text = r.out;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    auto json = parseJson(text.substr(text.rfind('\n') + 1), "bulkhead output");
    return json ? *json : nlohmann::json();
  };

  const auto applied = run({b_->id(), "--runc-root", b_->stateRoot()});
  ASSERT_EQ(applied.exitCode, 0) << applied.err;
  const auto event = lastLine(applied);
  EXPECT_EQ(jsonString(event, "type"), "container") << applied.out;
  EXPECT_EQ(jsonString(event, "action"), "quarantined") << applied.out;
  EXPECT_EQ(textAt(event, "/container/id"), b_->id()) << applied.out;
  EXPECT_EQ(jsonInt(event, "pid"), pidB_) << applied.out;
  EXPECT_FALSE(jsonString(event, "time").empty()) << applied.out;
  EXPECT_EQ(curl(*a_, kAddressB), kCurlTimedOut) << "the command did not cut B";
  EXPECT_TRUE(hasQuarantineTable());

  const auto status = run({b_->id(), "--runc-root", b_->stateRoot(), "--status"});
  ASSERT_EQ(status.exitCode, 0) << status.err;
  const auto report = lastLine(status);
  EXPECT_TRUE(jsonBool(report, "quarantined")) << status.out;
  EXPECT_GT(numberAt(report, "/dropped/input/packets"), 0) << status.out;

  const auto lifted = run({b_->id(), "--runc-root", b_->stateRoot(), "--lift"});
  ASSERT_EQ(lifted.exitCode, 0) << lifted.err;
  const auto liftEvent = lastLine(lifted);
  EXPECT_EQ(jsonString(liftEvent, "action"), "quarantine-lifted") << lifted.out;
  EXPECT_EQ(textAt(liftEvent, "/container/id"), b_->id()) << lifted.out;
  EXPECT_TRUE(jsonBool(liftEvent, "wasQuarantined")) << lifted.out;
  EXPECT_GT(numberAt(liftEvent, "/dropped/input/packets"), 0) << lifted.out;
  EXPECT_EQ(curl(*a_, kAddressB), 0) << "A does not reach B after --lift";
  EXPECT_FALSE(hasQuarantineTable());

  // Errors: exit 2 with a message, nothing applied.
  const auto unknown = run({"bhq-no-such-container", "--runc-root", b_->stateRoot()});
  EXPECT_EQ(unknown.exitCode, 2);
  EXPECT_NE(unknown.err.find("no running container"), std::string::npos) << unknown.err;
  EXPECT_TRUE(unknown.out.empty()) << unknown.out;
  const std::string prefix = b_->id().substr(0, b_->id().rfind('-') + 1);  // bh-<pid>-: A's and B's
  const auto ambiguous = run({prefix, "--runc-root", a_->stateRoot(), "--runc-root", b_->stateRoot()});
  EXPECT_EQ(ambiguous.exitCode, 2);
  EXPECT_NE(ambiguous.err.find("prefix of 2 containers"), std::string::npos) << ambiguous.err;
  const auto badAllow = run({b_->id(), "--runc-root", b_->stateRoot(), "--allow", "controller.example"});
  EXPECT_EQ(badAllow.exitCode, 2);
  EXPECT_NE(badAllow.err.find("controller.example"), std::string::npos) << badAllow.err;
  EXPECT_FALSE(hasQuarantineTable());
  EXPECT_EQ(curl(*a_, kAddressB), 0);
}

// A whole workload group at once: B's group (A is in another), found by the group ID the
// agent gives it.
TEST_F(Quarantine, CommandLineQuarantinesAGroup) {
  runtime::Container c;  // as discovery sees B: its image, from the annotation, which is also a label
  c.image = kImageB;
  c.labels["org.opencontainers.image.ref.name"] = kImageB;
  const std::string group = runtime::groupIdOf(runtime::selectorOf(c));
  const auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv{bulkhead::testing::bulkheadBinary(), "net", "quarantine", "--runc-root",
                                  a_->stateRoot(), "--runc-root", b_->stateRoot()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return runCommand(argv);
  };
  const auto applied = run({"--group", group});
  ASSERT_EQ(applied.exitCode, 0) << applied.err;
  EXPECT_NE(applied.out.find("\"quarantined\""), std::string::npos) << applied.out;
  EXPECT_NE(applied.out.find(b_->id()), std::string::npos) << applied.out;
  EXPECT_EQ(applied.out.find(a_->id()), std::string::npos) << "A is not in B's group: " << applied.out;
  EXPECT_EQ(curl(*a_, kAddressB), kCurlTimedOut) << "the group's container was not cut";
  EXPECT_TRUE(hasQuarantineTable());
  const auto lifted = run({"--group", group, "--lift"});
  ASSERT_EQ(lifted.exitCode, 0) << lifted.err;
  EXPECT_FALSE(hasQuarantineTable());
  EXPECT_EQ(curl(*a_, kAddressB), 0);
  const auto none = run({"--group", "no-such-group-00000000"});
  EXPECT_EQ(none.exitCode, 2);
  EXPECT_NE(none.err.find("no running container is in group"), std::string::npos) << none.err;
  EXPECT_EQ(run({b_->id(), "--group", group}).exitCode, 2);  // one or the other
}

// ------------------------------------------------------------- the script alone

TEST(QuarantineScript, DropsEverythingButLoopbackInOneReplacingTransaction) {
  auto script = quarantineScript({});
  ASSERT_TRUE(script) << script.error().message;
  const std::string& s = *script;
  // add + delete before the definition: replaces an existing table, creates a missing one.
  EXPECT_EQ(s.rfind("add table inet bulkhead_quarantine\ndelete table inet bulkhead_quarantine\n", 0), 0u) << s;
  for (const char* chain : {"input", "output", "forward"}) {
    EXPECT_NE(s.find(std::string("type filter hook ") + chain + " priority -500; policy drop;"), std::string::npos)
        << chain << "\n" << s;
    EXPECT_NE(s.find(std::string("counter name \"dropped_") + chain + "\" drop"), std::string::npos) << s;
  }
  EXPECT_NE(s.find("iif \"lo\" accept"), std::string::npos);
  EXPECT_NE(s.find("oif \"lo\" accept"), std::string::npos);
  EXPECT_EQ(s.find("saddr"), std::string::npos) << "nothing but loopback is allowed by default:\n" << s;
}

TEST(QuarantineScript, AllowedAddressesAreParsedAndNormalised) {
  auto script = quarantineScript({{"10.1.2.3", "10.9.8.7/16", "FD00::1", "fd00:abcd::99/32"}});
  ASSERT_TRUE(script) << script.error().message;
  const std::string& s = *script;
  EXPECT_NE(s.find("ip saddr 10.1.2.3 accept"), std::string::npos) << s;
  EXPECT_NE(s.find("ip daddr 10.1.2.3 accept"), std::string::npos) << s;
  EXPECT_NE(s.find("ip saddr 10.9.0.0/16 accept"), std::string::npos) << s;
  EXPECT_NE(s.find("ip6 daddr fd00::1 accept"), std::string::npos) << s;
  EXPECT_NE(s.find("ip6 saddr fd00:abcd::/32 accept"), std::string::npos) << s;
  EXPECT_NE(s.find("nd-neighbor-solicit"), std::string::npos) << "IPv6 peers need neighbour discovery:\n" << s;
  auto v4only = quarantineScript({{"10.1.2.3"}});
  ASSERT_TRUE(v4only);
  EXPECT_EQ(v4only->find("icmpv6"), std::string::npos) << *v4only;
}

TEST(QuarantineScript, RefusesAnythingButAnAddress) {
  for (const char* bad : {"controller.example", "10.0.0.1/33", "10.0.0.1/", "10.0.0.1/8x", "fd00::/129",
                          "10.0.0.1 accept; flush ruleset", "", "10.0.0.1/-1"}) {
    auto script = quarantineScript({{bad}});
    EXPECT_FALSE(script) << "accepted \"" << bad << "\":\n" << (script ? *script : "");
    if (!script) {
      EXPECT_NE(script.error().message.find(bad), std::string::npos) << script.error().message;
    }
  }
}

}  // namespace
}  // namespace bulkhead::net
