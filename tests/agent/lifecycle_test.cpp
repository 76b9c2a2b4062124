// The agent follows containers as they come and go: start and stop, events attributed to
// the right container and group, containers that exit at once, and an agent restart that
// finds running containers and the profiles it learned before.

#include <set>

#include "agent_fixture.h"

namespace bulkhead::agent::testing {
namespace {

TEST_F(AgentE2e, ReportsStartAndStopAndAttributesEvents) {
  startAgent();
  json started;
  auto c = run("bulkhead-test/lifecycle:1", &started);
  ASSERT_TRUE(c);
  EXPECT_EQ(started["group"], groupOf("bulkhead-test/lifecycle:1"));
  EXPECT_EQ(started["mode"], "discover");
  EXPECT_EQ(started["container"]["runtime"], "runc");
  EXPECT_EQ(started["container"]["image"], "bulkhead-test/lifecycle:1");

  const size_t from = log_->size();
  ASSERT_EQ(sh(*c, "cat /etc/shadow >/dev/null").exitCode, 0);
  auto alert = log_->waitFor(ruleAlert("BH-RT-0007", c->id()), from);
  ASSERT_TRUE(alert) << "reading /etc/shadow in the container raised no alert";
  EXPECT_EQ((*alert)["group"], started["group"]);
  EXPECT_EQ((*alert)["evidence"]["kind"], "open");
  EXPECT_EQ((*alert)["evidence"]["path"], "/etc/shadow");
  EXPECT_EQ((*alert)["evidence"]["comm"], "cat");
  EXPECT_EQ((*alert)["action"], "alert");
  EXPECT_FALSE((*alert)["time"].get<std::string>().empty());

  ASSERT_TRUE(c->kill().ok());
  EXPECT_TRUE(log_->waitFor(containerAction("stopped", c->id()), from)) << "the stop was not reported";
  ASSERT_TRUE(c->remove().ok());
}

TEST_F(AgentE2e, EventsOfTheHostAndOfUnknownContainersAreNotAttributed) {
  startAgent();
  auto c = run("bulkhead-test/attribution:1");
  ASSERT_TRUE(c);
  const size_t from = log_->size();
  // The same action on the host: the agent watches containers only.
  ASSERT_EQ(bulkhead::testing::runCommand({"cat", "/etc/shadow"}).exitCode, 0);
  ASSERT_EQ(sh(*c, "cat /etc/shadow >/dev/null").exitCode, 0);
  ASSERT_TRUE(log_->waitFor(ruleAlert("BH-RT-0007", c->id()), from));
  for (const auto& line : log_->all([](const json& j) { return j.value("type", "") == "alert"; }, from)) {
    EXPECT_EQ(line["container"]["id"], c->id()) << line.dump();
  }
}

// `runc run -d true`: the container's init exits right after it starts. Whatever the agent
// saw of it, it must not keep a container that is gone, and it must go on working.
TEST_F(AgentE2e, ContainersThatExitAtOnceLeaveNothingBehind) {
  startAgent();
  const size_t from = log_->size();
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto c = prepare("bulkhead-test/short:1", {"true"});
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->runDetached().ok());
    ids.push_back(c->id());
  }  // each is deleted here
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (const auto& id : ids) {
    if (!log_->all(containerAction("started", id), from).empty()) {
      EXPECT_TRUE(log_->waitFor(containerAction("stopped", id), from)) << id << " was reported but never dropped";
    }
  }
  // Still working: the next container is seen and watched.
  auto c = run("bulkhead-test/short-after:1");
  ASSERT_TRUE(c);
  const size_t mark = log_->size();
  ASSERT_EQ(sh(*c, "cat /etc/shadow >/dev/null").exitCode, 0);
  EXPECT_TRUE(log_->waitFor(ruleAlert("BH-RT-0007", c->id()), mark));
}

TEST_F(AgentE2e, RestartFindsRunningContainersAndKeepsLearning) {
  startAgent();
  auto c = run("bulkhead-test/restart:1");
  ASSERT_TRUE(c);
  const std::string group = groupOf("bulkhead-test/restart:1");
  ASSERT_EQ(sh(*c, "cat /etc/hostname").exitCode, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stopAgent();
  auto before = readProfile(group);
  ASSERT_TRUE(before) << "no profile saved for " << group;
  ASSERT_TRUE(before->executables.contains("/usr/bin/cat"));

  // The container kept running while no agent watched it.
  const size_t from = log_->size();
  startAgent();
  auto loaded = log_->waitFor([&](const json& j) { return j.value("type", "") == "profile" && j.value("group", "") == group; }, from);
  ASSERT_TRUE(loaded) << "the saved profile was not loaded";
  EXPECT_EQ((*loaded)["action"], "loaded");
  auto started = log_->waitFor(agentAction("started"), from);
  ASSERT_TRUE(started);
  EXPECT_GE((*started)["containers"].get<int>(), 1);
  ASSERT_TRUE(log_->waitFor(containerAction("started", c->id()), from)) << "the running container was not found again";

  const size_t mark = log_->size();
  ASSERT_EQ(sh(*c, "cat /etc/shadow >/dev/null; head -c 1 /etc/hostname").exitCode, 0);
  EXPECT_TRUE(log_->waitFor(ruleAlert("BH-RT-0007", c->id()), mark));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stopAgent();
  auto after = readProfile(group);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->executables.contains("/usr/bin/cat")) << "learned before the restart, lost after";
  EXPECT_TRUE(after->executables.contains("/usr/bin/head")) << "not learned after the restart";
}

}  // namespace
}  // namespace bulkhead::agent::testing
