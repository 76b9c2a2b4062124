// The service graph the agent keeps (--graph): two workloads on a bridge, wired the way a
// CNI plugin does it (after `runc create`, before `runc start`), a client calling a web
// server (identified as HTTP from the flows' first bytes, its bytes counted), and a call to
// an address no container holds; then `bulkhead net graph` on the file the agent wrote.
// Then links in force: to groups, to DNS names, with HTTP conditions.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "agent/agent_fixture.h"
#include "support/testbed.h"

namespace bulkhead::agent::testing {
namespace {

using bulkhead::testing::CommandResult;
using bulkhead::testing::RuncContainer;
using bulkhead::testing::runCommand;

// A network namespace of the test's own holding a bridge; containers join it through veth
// pairs whose other end is moved into the container's namespace.
class Bridge {
 public:
  Bridge() : ns_("bhg-" + std::to_string(::getpid())) {
    ok_ = ip({"netns", "add", ns_}) && ip({"-n", ns_, "link", "add", "br0", "type", "bridge"}) &&
          ip({"-n", ns_, "link", "set", "br0", "up"});
  }
  ~Bridge() {
    if (server_ > 0) ::kill(server_, SIGKILL);
    ip({"netns", "delete", ns_});  // deletes the bridge and every veth with it
  }
  bool ok() const { return ok_; }

  // Outside the containers: `addresses` on the bridge itself, and an HTTP server (python3's)
  // answering on every one of them at `port`, as hosts no container is would.
  bool serveOutside(const std::vector<std::string>& addresses, int port) {
    for (const auto& a : addresses) {
      if (!ip({"-n", ns_, "addr", "add", a + "/24", "dev", "br0"})) return false;
    }
    const CommandResult r = runCommand(
        {"sh", "-c", "ip netns exec " + ns_ + " python3 -m http.server " + std::to_string(port) +
                         " --bind 0.0.0.0 >/dev/null 2>&1 </dev/null & echo $!"});
    server_ = std::atoi(r.out.c_str());
    return r.exitCode == 0 && server_ > 0;
  }

  // eth0 with `address`/24 in the namespace of `pid`, its peer on the bridge.
  bool attach(int pid, const std::string& address) {
    const std::string port = "v" + std::to_string(pid);
    const std::string target = "/proc/" + std::to_string(pid) + "/ns/net";
    const std::string inside = "nsenter --net=" + target + " ip ";
    return ip({"-n", ns_, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", std::to_string(pid)}) &&
           ip({"-n", ns_, "link", "set", port, "master", "br0", "up"}) &&
           shell(inside + "addr add " + address + "/24 dev eth0 && " + inside + "link set eth0 up");
  }

 private:
  static bool ip(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult r = runCommand(argv);
    if (r.exitCode != 0) ADD_FAILURE() << "ip failed: " << r.err;
    return r.exitCode == 0;
  }
  static bool shell(const std::string& script) {
    const CommandResult r = runCommand({"sh", "-c", script});
    if (r.exitCode != 0) ADD_FAILURE() << script << ": " << r.err;
    return r.exitCode == 0;
  }
  std::string ns_;
  bool ok_ = false;
  int server_ = 0;
};

class AgentGraph : public AgentE2e {
 protected:
  // Created, known to the agent, wired to the bridge, then started.
  std::unique_ptr<RuncContainer> runOnBridge(const std::string& image, const std::string& address,
                                             std::vector<std::string> args) {
    auto c = prepare(image, std::move(args));
    if (!c || !wireAndStart(*c, address)) return nullptr;
    return c;
  }
  bool wireAndStart(RuncContainer& c, const std::string& address) {
    return createThenStart(c, [&] { return bridge_.attach(c.pid(), address); });
  }

  // nginx in a web container at <net>.2 and a client at <net>.3, on the bridge, the client
  // reaching nginx (both null on failure, which is reported).
  std::pair<std::unique_ptr<RuncContainer>, std::unique_ptr<RuncContainer>> webAndClient(
      const std::string& net, const std::string& webImage, const std::string& clientImage) {
    auto web = runOnBridge(webImage, net + ".2", {"nginx", "-g", "daemon off;"});
    auto client = web ? runOnBridge(clientImage, net + ".3", {"sleep", "infinity"}) : nullptr;
    if (!client) return {};
    if (!serves(*client, "http://" + net + ".2/")) {
      ADD_FAILURE() << "nginx did not answer across the bridge";
      return {};
    }
    return {std::move(web), std::move(client)};
  }

  // The agent, saving quickly (and the graph to `graphPath` when given), once the bridge
  // is there; the options, to start it again.
  AgentOptions startOnBridge(const std::string& graphPath = "") {
    EXPECT_TRUE(bridge_.ok());
    AgentOptions o = options();
    o.statsIntervalMs = 200;  // saves and link updates follow quickly
    o.graphPath = graphPath;
    startAgent(o);
    return o;
  }

  // True once curl in `client` gets `url` (nginx takes a moment to start).
  static bool serves(RuncContainer& client, const std::string& url) {
    for (int i = 0; i < 50; ++i) {
      if (sh(client, "curl -sf -o /dev/null --max-time 2 " + url).exitCode == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // A file of `size` bytes for nginx in `web` to serve as /<name> (written from the host,
  // through the container's overlay root).
  static void serveFile(RuncContainer& web, const std::string& name, std::uint64_t size) {
    const std::filesystem::path html = web.rootfs() + "/var/www/html";
    std::filesystem::create_directories(html);
    std::ofstream(html / name) << std::string(size, 'x');
  }

  static constexpr std::uint64_t kBig = 100000;

  nlohmann::json graphFile() const {
    std::ifstream in(graph_);
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str(), nullptr, false);
  }

  // The edge from group `from` to group or address `to` on `port`, waiting for the agent to
  // save it with at least `connections` and `bytes`.
  std::optional<nlohmann::json> waitForEdge(const std::string& fromGroup, const nlohmann::json& to, int port,
                                            std::uint64_t connections, const nlohmann::json& protocol,
                                            std::uint64_t bytes = 0) const {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto g = graphFile();
      if (g.is_object() && g.contains("edges")) {
        for (const auto& e : g["edges"]) {
          if (e["from"] == nlohmann::json{{"group", fromGroup}} && e["to"] == to && e["port"] == port &&
              e["protocol"] == protocol && e["connections"].get<std::uint64_t>() >= connections &&
              e["bytes"].is_number_unsigned() && e["bytes"].get<std::uint64_t>() >= bytes) {
            return e;
          }
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::nullopt;
  }

  Bridge bridge_;
  std::string graph_;
};

TEST_F(AgentGraph, LearnsWhoCallsWhomAcrossABridge) {
  graph_ = dir_ + "/graph.json";
  startOnBridge(graph_);

  const std::string webImage = "bulkhead-test/web:1", clientImage = "bulkhead-test/client:1";
  auto [web, client] = webAndClient("10.231.7", webImage, clientImage);
  ASSERT_TRUE(web && client);

  // A file of a known size for the web server to serve, so that the edge's bytes have a
  // firm lower bound.
  serveFile(*web, "big", kBig);

  // Three calls to the web server (one of them in webAndClient), the last one fetching the
  // big file, and one to an address on the bridge nobody holds.
  const CommandResult calls = sh(*client,
                                 "curl -sf -o /dev/null http://10.231.7.2/ && "
                                 "curl -sf -o /dev/null -w '%{size_download}' http://10.231.7.2/big");
  ASSERT_EQ(calls.exitCode, 0) << calls.err;
  ASSERT_EQ(calls.out, std::to_string(kBig));
  sh(*client, "curl -s -o /dev/null --max-time 1 http://10.231.7.99:8080/");

  // Each call identified as HTTP from its first bytes (the flow capture on the client's
  // cgroup), so the edge carries the protocol, and the bytes of all three: at least the big
  // file, and far from twice it (the web server's side of the same connections is not
  // counted again; headers and the small page are a few KiB).
  const auto web80 = waitForEdge(groupOf(clientImage), {{"group", groupOf(webImage)}}, 80, 3, "http", kBig);
  ASSERT_TRUE(web80) << graphFile().dump(2);
  EXPECT_EQ((*web80)["transport"], "tcp");
  EXPECT_LE((*web80)["firstSeenNs"].get<std::int64_t>(), (*web80)["lastSeenNs"].get<std::int64_t>());
  EXPECT_LT((*web80)["bytes"].get<std::uint64_t>(), kBig * 3 / 2) << web80->dump();
  // Nobody answered: no bytes, no protocol.
  const auto nobody = waitForEdge(groupOf(clientImage), {{"address", "10.231.7.99"}}, 8080, 1, nullptr);
  ASSERT_TRUE(nobody) << graphFile().dump(2);
  EXPECT_EQ((*nobody)["bytes"], 0) << nobody->dump();
  // Counted once: the web server's accepts are the same connections. (The file is held in
  // a variable: a range-for over a temporary's member would read it after its end.)
  const nlohmann::json saved = graphFile();
  for (const auto& e : saved["edges"]) {
    EXPECT_NE(e["to"], (nlohmann::json{{"group", groupOf(clientImage)}})) << e.dump();
  }

  stopAgent();
  const CommandResult text = runCommand({bulkhead::testing::bulkheadBinary(), "net", "graph", graph_});
  ASSERT_EQ(text.exitCode, 0) << text.err;
  EXPECT_NE(text.out.find(groupOf(webImage)), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("tcp/80 http"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("BYTES"), std::string::npos) << text.out;
  std::uint64_t bytes = 0;  // as saved at the stop
  const nlohmann::json last = graphFile();
  for (const auto& e : last["edges"]) {
    if (e["port"] == 80 && e["protocol"] == "http") bytes = e["bytes"].get<std::uint64_t>();
  }
  EXPECT_GE(bytes, kBig) << last.dump(2);
  EXPECT_NE(text.out.find(" " + std::to_string(bytes) + "  "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("external 10.231.7.99"), std::string::npos) << text.out;
  const CommandResult dot = runCommand({bulkhead::testing::bulkheadBinary(), "net", "graph", graph_, "--format", "dot"});
  ASSERT_EQ(dot.exitCode, 0) << dot.err;
  EXPECT_NE(dot.out.find("\"" + groupOf(clientImage) + "\" -> \"" + groupOf(webImage) + "\""), std::string::npos)
      << dot.out;
}

// A connection still open: its bytes come from the agent's periodic read of the kernel's
// flows map (every 5 s), not from its close.
TEST_F(AgentGraph, CountsBytesOfConnectionsStillOpen) {
  graph_ = dir_ + "/graph.json";
  startOnBridge(graph_);
  const std::string webImage = "bulkhead-test/open-web:1", clientImage = "bulkhead-test/open-client:1";
  auto [web, client] = webAndClient("10.231.10", webImage, clientImage);
  ASSERT_TRUE(web && client);
  serveFile(*web, "big", kBig);
  const auto before = waitForEdge(groupOf(clientImage), {{"group", groupOf(webImage)}}, 80, 1, "http");
  ASSERT_TRUE(before) << graphFile().dump(2);
  const std::uint64_t already = (*before)["bytes"].get<std::uint64_t>();

  // curl writes into a pipe nobody reads until the test says so (through a FIFO): the
  // kernel takes in what the buffers allow (tens of KiB at least) at once, and the
  // connection stays open until then.
  ASSERT_EQ(sh(*client, "mkfifo /tmp/go").exitCode, 0);
  std::atomic<bool> done = false;
  CommandResult slowCall;
  std::thread slow([&] {
    slowCall = sh(*client, "curl -sS http://10.231.10.2/big | (cat /tmp/go; wc -c)");
    done = true;
  });
  const auto open = waitForEdge(groupOf(clientImage), {{"group", groupOf(webImage)}}, 80, 1, "http", already + 30000);
  const bool early = done;
  sh(*client, "echo > /tmp/go");
  slow.join();
  EXPECT_FALSE(early) << "curl is done, the bytes may have come from its close";
  EXPECT_EQ(slowCall.out, "\n" + std::to_string(kBig) + "\n") << slowCall.err;
  ASSERT_TRUE(open) << graphFile().dump(2);
  // At most the file, headers, and the first call's bytes if they came late.
  EXPECT_LE((*open)["bytes"].get<std::uint64_t>(), already + kBig + 5000) << open->dump();
}

// Links are learned per group (to the web group, not to its address) in Discover; in
// Monitor a connection outside them is an alert, one inside is not; replay shows which
// connections of the recording Protect would have refused.
TEST_F(AgentGraph, LearnsLinksToGroupsThenAlertsOnNewOnes) {
  const AgentOptions o = startOnBridge();
  const std::string webImage = "bulkhead-test/links-web:1", clientImage = "bulkhead-test/links-client:1";
  auto [web, client] = webAndClient("10.231.8", webImage, clientImage);
  ASSERT_TRUE(web && client);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stopAgent();

  const std::string link = "group:" + groupOf(webImage) + " tcp/80";
  auto learned = readProfile(groupOf(clientImage));
  ASSERT_TRUE(learned);
  EXPECT_TRUE(learned->links.contains(link)) << runtime::profileToYaml(*learned);
  for (const auto& l : learned->links) EXPECT_EQ(l.find("10.231.8.2"), std::string::npos) << "a link by address: " << l;

  learned->mode = runtime::Mode::kMonitor;
  writeProfile(*learned);
  // The web group learned its caller; with that caller taken out of its profile, the same
  // call is a deviation in Monitor (accepted, and an alert).
  const std::string caller = "group:" + groupOf(clientImage) + " tcp/80";
  auto webLearned = readProfile(groupOf(webImage));
  ASSERT_TRUE(webLearned);
  ASSERT_TRUE(webLearned->callers.contains(caller)) << runtime::profileToYaml(*webLearned);
  webLearned->callers.erase(caller);
  webLearned->mode = runtime::Mode::kMonitor;
  writeProfile(*webLearned);
  startAgent(o);
  const size_t mark = log_->size();
  ASSERT_EQ(sh(*client, "curl -sf -o /dev/null --max-time 2 http://10.231.8.2/").exitCode, 0);
  auto called = log_->waitFor(profileAlert("caller", web->id()), mark);
  ASSERT_TRUE(called) << "no alert for a connection from outside the learned callers";
  EXPECT_EQ((*called)["deviation"], caller);
  EXPECT_EQ((*called)["action"], "alert");
  EXPECT_EQ((*called)["mode"], "monitor");
  sh(*client, "curl -s -o /dev/null --max-time 1 http://10.231.8.99:8080/");
  auto alert = log_->waitFor(profileAlert("link", client->id()), mark);
  ASSERT_TRUE(alert) << "no alert for a connection to an address outside the learned links";
  EXPECT_EQ((*alert)["deviation"], "address:10.231.8.99 tcp/8080");
  EXPECT_EQ((*alert)["mode"], "monitor");
  EXPECT_EQ((*alert)["group"], groupOf(clientImage));
  for (const auto& a : log_->all(profileAlert("link", client->id()), mark)) {
    EXPECT_NE(a["deviation"], link) << "the learned link raised an alert";
  }
  stopAgent();  // the recording (of both runs) is complete

  // Replayed, the same recording shows the connections Protect would have refused: the
  // client's call to the outside address (its links table rejects it) and, against the
  // web's profile, the call from the client group (the web's table resets it). The learned
  // link and the web's other callers are not among them.
  const auto replay = [&](const runtime::Profile& profile, const std::string& container) {
    const std::string path = dir_ + "/replay-" + profile.group + ".yaml";
    std::ofstream(path) << runtime::profileToYaml(profile);
    return runCommand({bulkhead::testing::bulkheadBinary(), "agent", "replay", "--profile", path, "--events", record_,
                       "--container", container});
  };
  const CommandResult clientReplay = replay(*learned, client->id());
  ASSERT_EQ(clientReplay.exitCode, 0) << clientReplay.err;
  EXPECT_NE(clientReplay.out.find("would-block\tlink\taddress:10.231.8.99 tcp/8080\t"), std::string::npos)
      << clientReplay.out;
  EXPECT_EQ(clientReplay.out.find("\tlink\t" + link + "\t"), std::string::npos) << clientReplay.out;
  const CommandResult webReplay = replay(*webLearned, web->id());
  ASSERT_EQ(webReplay.exitCode, 0) << webReplay.err;
  EXPECT_NE(webReplay.out.find("would-block\tcaller\t" + caller + "\t"), std::string::npos) << webReplay.out;
  // With the caller in the profile, the same recording has no caller to block.
  webLearned->callers.insert(caller);
  const CommandResult allowed = replay(*webLearned, web->id());
  ASSERT_EQ(allowed.exitCode, 0) << allowed.err;
  EXPECT_EQ(allowed.out.find("\tcaller\t"), std::string::npos) << allowed.out;
}

// Protect for links: a client group learned to call the web group only. Its containers then
// get the learned links as rules in their own network namespace: a lateral connection to a
// redis container fails at once (and is reported as blocked), the web server still answers,
// and a new replica is held to the rules from its very first packet.
TEST_F(AgentGraph, ProtectBlocksLateralConnectionsFromTheFirstPacket) {
  const AgentOptions o = startOnBridge();
  const std::string webImage = "bulkhead-test/protect-web:1", clientImage = "bulkhead-test/protect-client:1",
                    dbImage = "bulkhead-test/protect-db:1";
  // The client's entry point: a redis ping to $1, then a call to the web server, recorded.
  const std::string script =
      "timeout 3 redis-cli -h \"$1\" ping > /tmp/first 2>&1; echo \"rc=$?\" >> /tmp/first; "
      "curl -sf -o /dev/null --max-time 2 http://10.231.9.2/; echo \"web=$?\" >> /tmp/first; sleep infinity";
  auto web = runOnBridge(webImage, "10.231.9.2", {"nginx", "-g", "daemon off;"});
  ASSERT_TRUE(web);
  // Learning: the same programs, the ping to its own loopback, so the only link is the web's.
  auto client = runOnBridge(clientImage, "10.231.9.3", {"sh", "-c", script, "sh", "127.0.0.1"});
  ASSERT_TRUE(client);
  ASSERT_TRUE(serves(*client, "http://10.231.9.2/"));
  auto db = runOnBridge(dbImage, "10.231.9.4", {"redis-server", "--protected-mode", "no", "--bind", "0.0.0.0"});
  ASSERT_TRUE(db);
  const std::string redisPing = "timeout 3 redis-cli -h 10.231.9.4 ping";
  bool pong = false;
  for (int i = 0; i < 50 && !pong; ++i) {
    pong = sh(*web, redisPing).out.find("PONG") != std::string::npos;  // the web group may reach it
    if (!pong) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(pong) << "redis did not answer across the bridge";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stopAgent();

  auto learned = readProfile(groupOf(clientImage));
  ASSERT_TRUE(learned);
  const std::string webLink = "group:" + groupOf(webImage) + " tcp/80";
  ASSERT_TRUE(learned->links.contains(webLink)) << runtime::profileToYaml(*learned);
  for (const auto& l : learned->links) ASSERT_EQ(l.find(groupOf(dbImage)), std::string::npos) << l;
  // The three tiers, each learned where it is: the client calls the web tier (HTTP), the
  // web tier calls the data tier (Redis), and nothing else.
  auto webLearned = readProfile(groupOf(webImage));
  ASSERT_TRUE(webLearned);
  const std::string dbLink = "group:" + groupOf(dbImage) + " tcp/6379";
  EXPECT_TRUE(webLearned->links.contains(dbLink)) << runtime::profileToYaml(*webLearned);
  for (const auto& l : webLearned->links) EXPECT_EQ(l.find(groupOf(clientImage)), std::string::npos) << l;
  learned->mode = runtime::Mode::kProtect;
  writeProfile(*learned);

  // Housekeeping (which also re-resolves links) far away: the links must follow the web
  // group's addresses as the restarted agent finds its containers, in whatever order.
  AgentOptions slow = o;
  slow.statsIntervalMs = 60000;
  const size_t restart = log_->size();
  startAgent(slow);
  ASSERT_TRUE(log_->waitFor(containerAction("links-enforced", client->id()), restart)) << "the running client got no links";
  ASSERT_TRUE(log_->waitFor(containerAction("started", web->id()), restart));
  ASSERT_TRUE(log_->waitFor(containerAction("started", db->id()), restart));
  const size_t mark = log_->size();
  EXPECT_EQ(sh(*client, "curl -sf -o /dev/null --max-time 2 http://10.231.9.2/").exitCode, 0)
      << "the learned link is blocked right after the agent found the web server";
  EXPECT_EQ(sh(*client, redisPing).out.find("PONG"), std::string::npos) << "the lateral connection went through";
  EXPECT_EQ(sh(*client, "curl -sf -o /dev/null --max-time 2 http://10.231.9.2/").exitCode, 0) << "the learned link is blocked";
  auto blocked = log_->waitFor(profileAlert("link", client->id()), mark);
  ASSERT_TRUE(blocked);
  EXPECT_EQ((*blocked)["action"], "blocked");
  EXPECT_EQ((*blocked)["deviation"], "group:" + groupOf(dbImage) + " tcp/6379");

  // A new replica whose first act is the lateral connection: its links are in force when
  // the agent has seen it created, before it starts.
  auto replica = prepare(clientImage, {"sh", "-c", script, "sh", "10.231.9.4"});
  ASSERT_TRUE(replica);
  const size_t before = log_->size();
  ASSERT_TRUE(replica->create());
  ASSERT_TRUE(log_->waitFor(containerAction("links-enforced", replica->id()), before));
  ASSERT_TRUE(bridge_.attach(replica->pid(), "10.231.9.5"));
  ASSERT_TRUE(replica->start());
  std::string first;
  for (int i = 0; i < 100 && first.find("web=") == std::string::npos; ++i) {
    std::ifstream in(replica->rootfs() + "/tmp/first");  // read from the host: cat is not in the profile
    first.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(first.find("PONG"), std::string::npos) << first;
  EXPECT_EQ(first.find("rc=0"), std::string::npos) << first;
  EXPECT_NE(first.find("web=0"), std::string::npos) << first;

  // A new replica of the web group at a new address, its network set up after create (as
  // CNI does): the clients' links allow it as soon as it runs, not at the next housekeeping.
  auto web2 = runOnBridge(webImage, "10.231.9.6", {"nginx", "-g", "daemon off;"});
  ASSERT_TRUE(web2);
  EXPECT_TRUE(serves(*client, "http://10.231.9.6/")) << "the client's links did not follow its link to the new replica";
}

// Protect inbound: a web group learned who calls it (the client group, by group, not by
// address). In Protect, its containers' tables reset a connection from anyone else at its
// first packet (the caller gets "connection refused" at once, not a timeout), the agent
// reports it blocked as it happens, and the learned caller still gets through. A change to
// the table from inside the namespace is reported and undone.
TEST_F(AgentGraph, ProtectResetsCallersOutsideTheProfile) {
  const AgentOptions o = startOnBridge();
  const std::string webImage = "bulkhead-test/callers-web:1", clientImage = "bulkhead-test/callers-client:1",
                    otherImage = "bulkhead-test/callers-other:1";
  auto [web, client] = webAndClient("10.231.13", webImage, clientImage);
  ASSERT_TRUE(web && client);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stopAgent();
  auto learned = readProfile(groupOf(webImage));
  ASSERT_TRUE(learned);
  const std::string clientCaller = "group:" + groupOf(clientImage) + " tcp/80";
  ASSERT_EQ(learned->callers, std::set<std::string>{clientCaller}) << runtime::profileToYaml(*learned);
  learned->mode = runtime::Mode::kProtect;
  writeProfile(*learned);

  // Housekeeping far away: a refusal is reported as it happens (the table logs it), not
  // when the agent next reads the table.
  AgentOptions slow = o;
  slow.statsIntervalMs = 60000;
  const size_t restart = log_->size();
  startAgent(slow);
  ASSERT_TRUE(log_->waitFor(containerAction("links-enforced", web->id()), restart)) << "the web server got no table";
  ASSERT_TRUE(log_->waitFor(containerAction("started", client->id()), restart));
  EXPECT_TRUE(serves(*client, "http://10.231.13.2/")) << "the learned caller was refused";
  auto other = runOnBridge(otherImage, "10.231.13.4", {"sleep", "infinity"});
  ASSERT_TRUE(other);
  const size_t mark = log_->size();
  // curl's 7: the connection was refused (a dropped SYN would be 28, a timeout).
  const CommandResult refused = sh(*other, "curl -s -o /dev/null --max-time 5 http://10.231.13.2/; echo rc=$?");
  EXPECT_NE(refused.out.find("rc=7"), std::string::npos) << refused.out << refused.err;
  auto blocked = log_->waitFor(profileAlert("caller", web->id()), mark);
  ASSERT_TRUE(blocked) << "the refused connection was not reported";
  EXPECT_EQ((*blocked)["action"], "blocked");
  EXPECT_EQ((*blocked)["deviation"], "group:" + groupOf(otherImage) + " tcp/80");
  EXPECT_EQ(sh(*client, "curl -sf -o /dev/null --max-time 2 http://10.231.13.2/").exitCode, 0) << "the learned caller is refused";
  for (const auto& a : log_->all(profileAlert("links-table", web->id()), restart)) ADD_FAILURE() << "untouched: " << a.dump();

  // A container with CAP_NET_ADMIN can change the table in its namespace (here nft from the
  // host does it for one): the agent hears of it from nftables at once, reports it and puts
  // the table back, and the third group is refused again.
  const std::string nft = "nsenter --net=/proc/" + std::to_string(web->pid()) + "/ns/net nft ";
  for (const auto& [change, deviation] : {std::pair<std::string, std::string>{"delete table inet bulkhead_links", "removed"},
                                          {"insert rule inet bulkhead_links input accept", "changed"}}) {
    const size_t before = log_->size();
    const CommandResult changed = runCommand({"sh", "-c", nft + change});
    ASSERT_EQ(changed.exitCode, 0) << change << ": " << changed.err;
    auto restored = log_->waitFor(profileAlert("links-table", web->id()), before);
    ASSERT_TRUE(restored) << change << ": not reported";
    EXPECT_EQ((*restored)["deviation"], deviation);
    EXPECT_EQ((*restored)["action"], "restored");
    EXPECT_EQ((*restored)["severity"], "high");
    const CommandResult again = sh(*other, "curl -s -o /dev/null --max-time 5 http://10.231.13.2/; echo rc=$?");
    EXPECT_NE(again.out.find("rc=7"), std::string::npos) << change << ": " << again.out << again.err;
    EXPECT_EQ(sh(*client, "curl -sf -o /dev/null --max-time 2 http://10.231.13.2/").exitCode, 0) << change;
  }
}

// Name links: a client learns to call api.bulkhead.test (an outside server, by the name
// its resolver answered, not by the address) in Discover. In Protect, its links table has
// no address for the name until an answer comes: each DNS answer is held until the table
// holds its addresses, so the call goes through, while a name it never called is blocked;
// when the name moves to another address, the link follows it.
TEST_F(AgentGraph, NameLinksFollowDnsAnswersInProtect) {
  graph_ = dir_ + "/graph.json";
  const AgentOptions o = startOnBridge(graph_);  // the flow capture sees the DNS answers
  const std::string dnsImage = "bulkhead-test/names-dns:1", clientImage = "bulkhead-test/names-client:1";
  const std::string api = "10.231.10.50", other = "10.231.10.51";
  ASSERT_TRUE(bridge_.serveOutside({api, other}, 8080));
  // dnsmasq answers from a hosts file, read again on SIGHUP.
  auto dns = prepare(dnsImage, {"dnsmasq", "-k", "--no-resolv", "--no-hosts", "--addn-hosts=/etc/bulkhead-hosts",
                                "--listen-address=10.231.10.2", "--bind-interfaces", "--user=root"});
  ASSERT_TRUE(dns);
  const auto hosts = [&](const std::string& apiAddress) {
    std::ofstream(dns->rootfs() + "/etc/bulkhead-hosts") << apiAddress << " api.bulkhead.test\n"
                                                         << other << " other.bulkhead.test\n";
  };
  hosts(api);
  ASSERT_TRUE(wireAndStart(*dns, "10.231.10.2"));
  auto client = prepare(clientImage, {"sleep", "infinity"});
  ASSERT_TRUE(client);
  std::ofstream(client->rootfs() + "/etc/resolv.conf") << "nameserver 10.231.10.2\noptions timeout:1 attempts:2\n";
  ASSERT_TRUE(wireAndStart(*client, "10.231.10.3"));
  const std::string callApi = "curl -sf -o /dev/null --max-time 3 http://api.bulkhead.test:8080/";
  const std::string callOther = "curl -sf -o /dev/null --max-time 3 http://other.bulkhead.test:8080/";
  ASSERT_TRUE(serves(*client, "http://api.bulkhead.test:8080/")) << "no answer from api.bulkhead.test through dnsmasq";
  ASSERT_EQ(sh(*client, "getent hosts other.bulkhead.test").exitCode, 0);  // a lookup only: no link
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stopAgent();

  const std::string nameLink = "name:api.bulkhead.test tcp/8080";
  const std::string dnsLink = "group:" + groupOf(dnsImage) + " udp/53";
  auto learned = readProfile(groupOf(clientImage));
  ASSERT_TRUE(learned);
  ASSERT_TRUE(learned->links.contains(nameLink)) << runtime::profileToYaml(*learned);
  ASSERT_TRUE(learned->links.contains(dnsLink)) << runtime::profileToYaml(*learned);
  for (const auto& l : learned->links) EXPECT_EQ(l.find(api), std::string::npos) << "a link by address: " << l;
  learned->mode = runtime::Mode::kProtect;
  writeProfile(*learned);

  // A new agent knows no name yet: only the answers it holds can open the way.
  startAgent(o);
  ASSERT_TRUE(log_->waitFor(containerAction("links-enforced", client->id()))) << "the client got no links";
  const size_t mark = log_->size();
  EXPECT_EQ(sh(*client, callApi).exitCode, 0) << "the learned name link is blocked";
  EXPECT_EQ(sh(*client, callApi).exitCode, 0) << "a second call (the addresses already allowed) is blocked";
  EXPECT_NE(sh(*client, callOther).exitCode, 0) << "a name the client never called went through";
  auto blocked = log_->waitFor(profileAlert("link", client->id()), mark);
  ASSERT_TRUE(blocked);
  EXPECT_EQ((*blocked)["action"], "blocked");
  EXPECT_EQ((*blocked)["deviation"], "name:other.bulkhead.test tcp/8080");

  // api.bulkhead.test moves to the other address: the link follows the name.
  hosts(other);
  ASSERT_EQ(::kill(dns->pid(), SIGHUP), 0);
  bool moved = false;
  for (int i = 0; i < 30 && !moved; ++i) {
    moved = sh(*client, "getent hosts api.bulkhead.test").out.find(other) != std::string::npos;
    if (!moved) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(moved) << "dnsmasq did not reload its hosts file";
  EXPECT_EQ(sh(*client, callApi).exitCode, 0) << "the name link did not follow the name to its new address";
}

// L7 conditions: a client learns which requests it sends on its link to the web group (GET
// of "/" and of paths under /api/). In Protect, each request line is judged before it
// leaves: those requests still go through; another path, another method, and a path that
// reaches /admin through "/api/../" are each reset and reported as blocked.
TEST_F(AgentGraph, HttpConditionsOnLinksInProtect) {
  graph_ = dir_ + "/graph.json";
  const AgentOptions o = startOnBridge(graph_);  // the flow capture sees the requests
  const std::string webImage = "bulkhead-test/l7-web:1", clientImage = "bulkhead-test/l7-client:1";
  auto [web, client] = webAndClient("10.231.11", webImage, clientImage);
  ASSERT_TRUE(web && client);
  for (const char* dir : {"/var/www/html/api", "/var/www/html/admin"}) {
    ASSERT_EQ(::mkdir((web->rootfs() + dir).c_str(), 0755), 0) << dir;
  }
  std::ofstream(web->rootfs() + "/var/www/html/api/items.txt") << "items\n";
  std::ofstream(web->rootfs() + "/var/www/html/admin/secret.txt") << "secret\n";
  const std::string get = "curl -sf --max-time 3 http://10.231.11.2";
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(sh(*client, get + "/").exitCode, 0);
    ASSERT_EQ(sh(*client, get + "/api/items.txt").out, "items\n");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stopAgent();

  const std::string base = "group:" + groupOf(webImage) + " tcp/80";
  auto learned = readProfile(groupOf(clientImage));
  ASSERT_TRUE(learned);
  for (const std::string& l : {base, base + " http GET /", base + " http GET /api/*"}) {
    EXPECT_TRUE(learned->links.contains(l)) << l << "\n" << runtime::profileToYaml(*learned);
  }
  learned->mode = runtime::Mode::kProtect;
  writeProfile(*learned);

  startAgent(o);
  ASSERT_TRUE(log_->waitFor(containerAction("links-enforced", client->id()))) << "the client got no links";
  const size_t mark = log_->size();
  EXPECT_EQ(sh(*client, get + "/api/items.txt").out, "items\n") << "a learned request was refused";
  EXPECT_EQ(sh(*client, get + "/").exitCode, 0) << "a learned request was refused";
  const auto refused = [&](const std::string& curlArgs) {
    const CommandResult r = sh(*client, "curl -s --max-time 3 " + curlArgs);
    EXPECT_NE(r.exitCode, 0) << curlArgs << " went through: " << r.out;
    EXPECT_EQ(r.out.find("secret"), std::string::npos) << curlArgs;
  };
  refused("http://10.231.11.2/admin/secret.txt");
  refused("--path-as-is http://10.231.11.2/api/../admin/secret.txt");
  refused("-X DELETE http://10.231.11.2/api/items.txt");
  std::vector<std::string> deviations;
  for (int i = 0; i < 50 && deviations.size() < 3; ++i) {
    deviations.clear();
    for (const auto& a : log_->all(profileAlert("link", client->id()), mark)) {
      EXPECT_EQ(a["action"], "blocked") << a.dump();
      deviations.push_back(a["deviation"].get<std::string>());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(std::count(deviations.begin(), deviations.end(), base + " http GET /admin/secret.txt"), 2)
      << ::testing::PrintToString(deviations);
  EXPECT_EQ(std::count(deviations.begin(), deviations.end(), base + " http DELETE /api/items.txt"), 1)
      << ::testing::PrintToString(deviations);
  // The learned requests still go through after the refusals.
  EXPECT_EQ(sh(*client, get + "/api/items.txt").out, "items\n");

  // Back to Discover under a new agent: the links table and the queue rules the last one
  // left in the client's namespace go, and every request goes through again.
  stopAgent();
  learned->mode = runtime::Mode::kDiscover;
  writeProfile(*learned);
  const size_t restart = log_->size();
  startAgent(o);
  ASSERT_TRUE(log_->waitFor(containerAction("started", client->id()), restart));
  const std::string inClient = "nsenter --net=/proc/" + std::to_string(client->pid()) + "/ns/net ";
  EXPECT_NE(runCommand({"sh", "-c", inClient + "nft list table inet bulkhead_links"}).exitCode, 0)
      << "the links table outlived Protect";
  EXPECT_NE(runCommand({"sh", "-c", inClient + "iptables -w -S BULKHEAD-L7"}).exitCode, 0)
      << "the HTTP queue rules outlived Protect";
  EXPECT_EQ(sh(*client, "curl -s --max-time 3 http://10.231.11.2/admin/secret.txt").out, "secret\n");
}

}  // namespace
}  // namespace bulkhead::agent::testing
