// Learning a real service (nginx from Debian's packages) in Discover, then a replica of the
// same workload group in Monitor: the service's own behavior is quiet, anything else is a
// deviation. Profiles are files: edited on disk, picked up by the agent.

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

}  // namespace
}  // namespace bulkhead::agent::testing
