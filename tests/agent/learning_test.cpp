// Learning a real service (nginx from Debian's packages) in Discover, then a replica of the
// same workload group in Monitor: the service's own behavior is quiet, anything else is a
// deviation. Profiles are files: edited on disk, picked up by the agent. Recorded events
// replayed against a profile show what Protect would have blocked.

#include <fstream>
#include <regex>

#include "agent_fixture.h"

namespace bulkhead::agent::testing {
namespace {

bool serves(bulkhead::testing::RuncContainer& c) {
  for (int i = 0; i < 100; ++i) {
    if (sh(c, "curl -sf -o /dev/null http://127.0.0.1/").exitCode == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST_F(AgentE2e, LearnsNginxThenMonitorsAReplica) {
  const std::string image = "debian/nginx-light:bookworm";
  const std::string group = groupOf(image);
  startAgent();
  auto first = run(image, nullptr, {"nginx", "-g", "daemon off;"});
  ASSERT_TRUE(first);
  ASSERT_TRUE(serves(*first)) << "nginx did not answer on 127.0.0.1:80";
  for (int i = 0; i < 3; ++i) ASSERT_EQ(sh(*first, "curl -sf -o /dev/null http://127.0.0.1/").exitCode, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stopAgent();

  auto learned = readProfile(group);
  ASSERT_TRUE(learned) << "no profile saved for " << group;
  EXPECT_EQ(learned->mode, runtime::Mode::kDiscover);
  EXPECT_EQ(learned->selector.image, image);
  ASSERT_TRUE(learned->executables.contains("/usr/sbin/nginx"));
  EXPECT_EQ(learned->executables["/usr/sbin/nginx"], (std::set<std::string>{"(runtime)"}))
      << "the entry point's parent is the runtime, whatever process that was";
  EXPECT_TRUE(learned->executables.contains("/usr/bin/curl"));
  EXPECT_TRUE(learned->listenPorts.contains("tcp/80")) << runtime::profileToYaml(*learned);
  EXPECT_TRUE(learned->writeDirs.contains("/var/log/nginx/")) << runtime::profileToYaml(*learned);
  EXPECT_GT(learned->events, 0u);

  // Policy as code: the same file, switched to Monitor by hand.
  learned->mode = runtime::Mode::kMonitor;
  writeProfile(*learned);
  const size_t from = log_->size();
  startAgent();
  json started;
  auto replica = run(image, &started, {"nginx", "-g", "daemon off;"});
  ASSERT_TRUE(replica);
  EXPECT_EQ(started["group"], group);
  EXPECT_EQ(started["mode"], "monitor");
  ASSERT_TRUE(serves(*replica));
  ASSERT_EQ(sh(*replica, "curl -sf -o /dev/null http://127.0.0.1/").exitCode, 0);

  // Outside the profile: a new program, a new listening port, a write somewhere new.
  const size_t mark = log_->size();
  ASSERT_EQ(sh(*replica, "ls / >/dev/null; timeout 1 socat TCP-LISTEN:7071,reuseaddr - ; touch /srv/new-file; true").exitCode,
            0);
  auto exec = log_->waitFor(
      [&](const json& j) { return profileAlert("exec", replica->id())(j) && j.value("deviation", "").find("/usr/bin/ls") == 0; },
      mark);
  ASSERT_TRUE(exec) << "running ls outside the learned profile raised no deviation";
  EXPECT_EQ((*exec)["mode"], "monitor");
  EXPECT_EQ((*exec)["action"], "alert");
  EXPECT_TRUE(log_->waitFor(ruleAlert("BH-RT-0009", replica->id()), mark)) << "new listening port 7071 not reported";
  EXPECT_TRUE(log_->waitFor(
      [&](const json& j) { return profileAlert("listen", replica->id())(j) && j.value("deviation", "") == "tcp/7071"; }, mark));
  EXPECT_TRUE(log_->waitFor(
      [&](const json& j) { return profileAlert("write", replica->id())(j) && j.value("deviation", "") == "/srv/"; }, mark));

  // The learned behavior itself stays quiet in Monitor.
  for (const auto& a : log_->all(
           [&](const json& j) { return j.value("type", "") == "alert" && j.contains("profile"); }, from)) {
    const std::string d = a.value("deviation", "");
    EXPECT_EQ(d.find("/usr/sbin/nginx"), std::string::npos) << a.dump();
    EXPECT_EQ(d.find("/usr/bin/curl"), std::string::npos) << a.dump();
    EXPECT_NE(d, "tcp/80") << a.dump();
  }
}

TEST_F(AgentE2e, ReplayShowsWhatProtectWouldHaveBlocked) {
  startAgent();  // Discover, recording every event it judges
  auto c = run("bulkhead-test/replayed:1");
  ASSERT_TRUE(c);
  const std::string listen =
      "import socket, time\n"
      "for port in (8080, 8081):\n"
      "    s = socket.socket(); s.bind(('127.0.0.1', port)); s.listen(); s.close()\n";
  ASSERT_EQ(sh(*c, "cat /etc/hostname >/dev/null; ls / >/dev/null; echo x > /etc/replayed; echo y > /tmp/ok").exitCode, 0);
  ASSERT_EQ(c->exec({"/usr/bin/python3", "-c", listen}).exitCode, 0);
  // The agent writes its recording at each housekeeping (every 200 ms here).
  const auto recorded = [&] {
    std::ifstream in(record_);
    for (std::string line; std::getline(in, line);) {
      if (line.find("\"kind\":\"listen\"") != std::string::npos && line.find("\"port\":8081") != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  for (int i = 0; i < 150 && !recorded(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(recorded()) << "the second listen was not recorded";
  stopAgent();  // the recording is complete

  auto profile = protectProfile("bulkhead-test/replayed:1", {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/cat"});
  profile.listenPorts = {"tcp/8080"};
  profile.writeDirs = {"/tmp/"};
  const std::string path = dir_ + "/replay-profile.yaml";
  std::ofstream(path) << runtime::profileToYaml(profile);
  auto r = bulkhead::testing::runCommand({bulkhead::testing::bulkheadBinary(), "agent", "replay", "--profile", path,
                                          "--events", record_, "--container", c->id()});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("would-block\texec\t/usr/bin/ls\t"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("would-block\tlisten\ttcp/8081\t"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("would-block\twrite\t/etc/\t"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\t/tmp/\t"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("/usr/bin/cat"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("tcp/8080"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("Protect would block"), std::string::npos) << r.err;

  // Another container's events are left out.
  auto other = bulkhead::testing::runCommand({bulkhead::testing::bulkheadBinary(), "agent", "replay", "--profile",
                                              path, "--events", record_, "--container", "not-" + c->id()});
  ASSERT_EQ(other.exitCode, 0) << other.err;
  EXPECT_EQ(other.out, "");
}

}  // namespace
}  // namespace bulkhead::agent::testing
