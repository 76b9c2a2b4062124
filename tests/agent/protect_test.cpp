// Protect on real containers: execs outside the group's profile fail with EPERM before
// they run, inside the container and through `runc exec`, every time; allowed programs
// run; each denial is reported with the container-side path.

#include "agent_fixture.h"

namespace bulkhead::agent::testing {
namespace {

TEST_F(AgentE2e, ProtectBlocksExecsOutsideTheProfile) {
  const std::string image = "bulkhead-test/locked:1";
  writeProfile(protectProfile(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/cat"}));
  startAgent();
  const size_t from = log_->size();
  json started;
  auto c = run(image, &started);
  ASSERT_TRUE(c);
  EXPECT_EQ(started["mode"], "protect");
  ASSERT_TRUE(log_->waitFor(containerAction("protected", c->id()), from)) << "the exec guard was not armed";

  auto allowed = sh(*c, "cat /etc/hostname");
  EXPECT_EQ(allowed.exitCode, 0) << allowed.err;

  auto denied = sh(*c, "ls /");
  EXPECT_EQ(denied.exitCode, 126) << denied.out << denied.err;
  EXPECT_NE(denied.err.find("Operation not permitted"), std::string::npos) << denied.err;  // EPERM
  auto alert = log_->waitFor(blockedExec(c->id()), from);
  ASSERT_TRUE(alert);
  EXPECT_EQ((*alert)["evidence"]["path"], "/usr/bin/ls");
  EXPECT_EQ((*alert)["mode"], "protect");

  auto direct = c->exec({"/usr/bin/id"});  // runc exec of a program outside the profile
  EXPECT_NE(direct.exitCode, 0) << direct.out;
  EXPECT_TRUE(direct.out.empty()) << "id ran: " << direct.out;

  // 1000 attempts in a row from inside, none gets through; every one is reported.
  const size_t mark = log_->size();
  auto loop = sh(*c,
                 "n=0; ran=0; while [ $n -lt 1000 ]; do /usr/bin/ls / >/dev/null 2>&1 && ran=$((ran+1)); n=$((n+1)); done; "
                 "echo $ran");
  ASSERT_EQ(loop.exitCode, 0) << loop.err;
  EXPECT_EQ(loop.out, "0\n");
  const auto reported = [&] {
    return log_->all([&](const json& j) { return blockedExec(c->id())(j) && j["evidence"]["path"] == "/usr/bin/ls"; },
                     mark)
        .size();
  };
  for (int i = 0; i < 200 && reported() < 1000; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(reported(), 1000u);
}

TEST_F(AgentE2e, EditingTheProfileChangesWhatIsAllowed) {
  const std::string image = "bulkhead-test/editable:1";
  auto profile = protectProfile(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/cat"});
  writeProfile(profile);
  startAgent();
  auto c = run(image);
  ASSERT_TRUE(c);
  ASSERT_TRUE(log_->waitFor(containerAction("protected", c->id())));
  EXPECT_EQ(sh(*c, "ls / >/dev/null").exitCode, 126);

  profile.executables["/usr/bin/ls"] = {};
  const size_t from = log_->size();
  writeProfile(profile);
  ASSERT_TRUE(log_->waitFor(
      [&](const json& j) { return j.value("type", "") == "profile" && j.value("action", "") == "loaded"; }, from));
  ASSERT_TRUE(log_->waitFor(containerAction("protected", c->id()), from)) << "not re-armed with the edited profile";
  EXPECT_EQ(sh(*c, "ls / >/dev/null").exitCode, 0);

  profile.mode = runtime::Mode::kMonitor;
  writeProfile(profile);
  for (int i = 0; i < 100 && sh(*c, "id >/dev/null").exitCode != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(sh(*c, "id >/dev/null").exitCode, 0) << "Monitor still blocks";
}

}  // namespace
}  // namespace bulkhead::agent::testing
