// The OCI hook: `bulkhead agent hook` as the container's createRuntime hook puts the
// profile in force before the first process runs, so even the container's own entry point
// is checked (`runc run`, create and start in one step), and so are its writes. Without an
// agent, --fail-closed refuses the container and the default lets it start.

#include <filesystem>

#include "agent_fixture.h"
#include "support/testbed.h"

namespace bulkhead::agent::testing {
namespace {

json createRuntimeHook(const std::string& socket, bool failClosed) {
  json args = {"bulkhead", "agent", "hook", "--socket", socket};
  if (failClosed) args.push_back("--fail-closed");
  return {{"createRuntime", json::array({{{"path", bulkhead::testing::bulkheadBinary()}, {"args", args}}})}};
}

TEST_F(AgentE2e, HookArmsProtectBeforeTheFirstProcess) {
  const std::string image = "bulkhead-test/hooked:1";
  writeProfile(protectProfile(image, {"/usr/bin/sleep", "/usr/bin/dash"}));
  startAgent();
  const std::string socket = dir_ + "/agent.sock";

  // The entry point itself is outside the profile: not one of 20 `runc run`s gets to run it.
  for (int i = 0; i < 20; ++i) {
    SCOPED_TRACE(i);
    auto c = prepare(image, {"/usr/bin/touch", "/ran"}, createRuntimeHook(socket, true));
    ASSERT_TRUE(c);
    const size_t from = log_->size();
    // `runc run -d` may return before the entry point's exec fails: judge by what ran.
    (void)c->runDetached();
    EXPECT_FALSE(std::filesystem::exists(c->rootfs() + "/ran")) << "the forbidden entry point ran";
    auto blocked = log_->waitFor(blockedExec(c->id()), from);
    ASSERT_TRUE(blocked) << "no denial reported for the entry point";
    EXPECT_EQ((*blocked)["evidence"]["path"], "/usr/bin/touch");
    EXPECT_TRUE(log_->all(ruleAlert("BH-RT-0011", c->id()), from).empty()) << "the runtime's own set-up mounts were flagged";
  }

  // An allowed entry point runs, and the guard was armed through the hook.
  auto c = prepare(image, {"sleep", "infinity"}, createRuntimeHook(socket, true));
  ASSERT_TRUE(c);
  const size_t from = log_->size();
  ASSERT_TRUE(c->runDetached().ok());
  EXPECT_TRUE(log_->waitFor(containerAction("protected", c->id()), from));
  EXPECT_EQ(log_->all(containerAction("started", c->id()), from).size(), 1u) << "announced and discovered twice";
  EXPECT_EQ(sh(*c, "ls /").exitCode, 126);
  ASSERT_TRUE(c->kill().ok());
  EXPECT_TRUE(log_->waitFor(containerAction("stopped", c->id()), from));
}

// Writes too: at the hook the container's root is not in place yet, so the exec guard
// holds the entry point's exec until the write guard is in force. Its very first write, a
// forbidden one, fails in each of 5 `runc run`s.
TEST_F(AgentE2e, HookGuardsWritesFromTheEntryPointsFirst) {
  const std::string image = "bulkhead-test/hooked-writes:1";
  auto profile = protectProfile(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/touch"});
  profile.writeDirs = {"/var/tmp/"};
  writeProfile(profile);
  startAgent();
  const std::string socket = dir_ + "/agent.sock";
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    auto c = prepare(image, {"sh", "-c", "touch /etc/first 2>/dev/null; echo rc=$? > /var/tmp/first; sleep infinity"},
                     createRuntimeHook(socket, true));
    ASSERT_TRUE(c);
    const size_t from = log_->size();
    ASSERT_TRUE(c->runDetached().ok());
    auto guarded = log_->waitFor(containerAction("writes-guarded", c->id()), from);
    ASSERT_TRUE(guarded) << "the write guard was not put in force";
    EXPECT_EQ((*guarded)["writes"]["enforced"], true) << guarded->dump();
    EXPECT_EQ(firstLineOf(c->rootfs() + "/var/tmp/first"), "rc=1") << "the entry point's first write was not refused";
    EXPECT_FALSE(std::filesystem::exists(c->rootfs() + "/etc/first"));
    ASSERT_TRUE(c->kill().ok());
  }
}

TEST_F(AgentE2e, HookWithoutAnAgentFailsClosedOnlyWhenAsked) {
  const std::string socket = dir_ + "/nobody.sock";
  auto closed = prepare("bulkhead-test/no-agent:1", {"sleep", "infinity"}, createRuntimeHook(socket, true));
  ASSERT_TRUE(closed);
  const Status refused = closed->runDetached();
  ASSERT_FALSE(refused.ok()) << "--fail-closed let a container start with no agent";
  EXPECT_NE(refused.error().message.find("no agent at"), std::string::npos) << refused.error().message;

  auto open = prepare("bulkhead-test/no-agent:1", {"sleep", "infinity"}, createRuntimeHook(socket, false));
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->runDetached().ok());
  EXPECT_EQ(open->status(), "running");
}

TEST_F(AgentE2e, HookRejectsStatesThatNameNoContainer) {
  startAgent();
  const std::string socket = dir_ + "/agent.sock";
  for (const char* state : {"", "not json", "[]", R"({"id":"x"})", R"({"id":"../x","pid":1,"bundle":"/"})",
                            R"({"id":"x","pid":1,"bundle":"relative"})", R"({"id":"x","pid":1,"bundle":"/nonexistent"})"}) {
    SCOPED_TRACE(state);
    auto r = bulkhead::testing::runCommand(
        {"sh", "-c", "printf '%s' \"$1\" | \"$0\" agent hook --fail-closed --socket \"$2\"", bulkhead::testing::bulkheadBinary(),
         state, socket});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("agent:"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace bulkhead::agent::testing
