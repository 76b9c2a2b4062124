// Host checks on a synthetic host root (good and bad, every check both ways) and on this
// machine.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "compliance/catalog.h"
#include "compliance/host_collector.h"
#include "fixtures.h"
#include "support/layout_builder.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;
using testing::findResult;
using testing::writeFile;

TEST(HostChecks, SyntheticHostsMatchTheirExpectations) {
  for (const auto& run : testing::hostFixtures()) {
    if (!run.skipReason.empty()) GTEST_SKIP() << run.name << ": " << run.skipReason;
    EXPECT_EQ(testing::mismatches(run), "") << run.name;
  }
}

Report runHost(const std::string& root, const std::string& only = "") {
  std::vector<const Check*> checks;
  for (const Check* c : Catalog::builtin().forTarget(Target::kHost)) {
    if (only.empty() || Selection{{only}, {}}.matches(*c)) checks.push_back(c);
  }
  HostOptions options;
  options.root = root;
  auto snapshot = collectHost(options, requirementsOf(checks));
  EXPECT_TRUE(snapshot.ok()) << (snapshot ? "" : snapshot.error().message);
  return runChecks(checks, {hostSubject(*snapshot)}, Target::kHost, "test host");
}

TEST(HostChecks, EvidenceNamesTheFileAndField) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const auto fixtures = testing::hostFixtures();
  const Report& bad = fixtures[1].report;
  const CheckResult* icc = findResult(bad, "BH-HOST-202");
  ASSERT_NE(icc, nullptr);
  ASSERT_EQ(icc->evidence.size(), 1u);
  // The command line overrides daemon.json, and the evidence says so.
  EXPECT_EQ(icc->evidence[0].file, "/proc/4242/cmdline");
  EXPECT_EQ(icc->evidence[0].path, "--icc");
  EXPECT_EQ(icc->evidence[0].observed, "true");
  EXPECT_EQ(icc->evidence[0].note, "dockerd command line (pid 4242)");
  const CheckResult* level = findResult(bad, "BH-HOST-203");
  EXPECT_EQ(level->evidence[0].file, "/etc/docker/daemon.json");
  EXPECT_EQ(level->evidence[0].path, "log-level");
  const CheckResult* mode = findResult(bad, "BH-HOST-318");
  EXPECT_EQ(mode->evidence[0].file, "/etc/docker/daemon.json");
  EXPECT_EQ(mode->evidence[0].path, "mode");
  EXPECT_EQ(mode->evidence[0].observed, "0666");
  const CheckResult* key = findResult(bad, "BH-HOST-313");
  EXPECT_EQ(key->evidence[0].file, "/etc/docker/tls/server-key.pem");
  EXPECT_EQ(key->evidence[0].observed, "alice (uid 1000)");
  const CheckResult* sysctl = findResult(bad, "BH-HOST-401");
  EXPECT_EQ(sysctl->evidence[0].file, "/proc/sys/kernel/kptr_restrict");
  EXPECT_EQ(sysctl->evidence[0].note, "no sysctl.conf or sysctl.d file sets it");
  const CheckResult* good = findResult(fixtures[0].report, "BH-HOST-401");
  EXPECT_NE(good->evidence[0].note.find("set to 2 in /etc/sysctl.d/60-hardening.conf:1"), std::string::npos)
      << good->evidence[0].note;
  const CheckResult* audit = findResult(fixtures[0].report, "BH-HOST-104");
  EXPECT_NE(audit->evidence[0].observed.find("-F path=/run/containerd"), std::string::npos);
  const CheckResult* partition = findResult(bad, "BH-HOST-101");
  EXPECT_NE(partition->evidence[0].note.find("/var/lib/docker"), std::string::npos);
}

TEST(HostChecks, MalformedDaemonJsonIsAnErrorNotAVerdict) {
  const std::string root = bulkhead::testing::makeTempDir("host-broken");
  writeFile(root + "/etc/docker/daemon.json", "{\n  \"icc\": false,\n}\n");
  writeFile(root + "/usr/bin/dockerd", "", 0755);
  const Report report = runHost(root, "BH-HOST-2*");
  const CheckResult* icc = findResult(report, "BH-HOST-202");
  ASSERT_NE(icc, nullptr);
  EXPECT_EQ(icc->status, Status::kError);
  EXPECT_NE(icc->message.find("/etc/docker/daemon.json: invalid JSON"), std::string::npos) << icc->message;
  EXPECT_TRUE(hasErrors(report));
}

TEST(HostChecks, SymlinksResolveInsideTheAuditedRoot) {
  const std::string root = bulkhead::testing::makeTempDir("host-links");
  writeFile(root + "/srv/docker/daemon.json", R"({"icc": false})");
  std::filesystem::create_directories(root + "/etc/docker");
  std::filesystem::create_symlink("/srv/docker/daemon.json", root + "/etc/docker/daemon.json");
  writeFile(root + "/usr/bin/dockerd", "", 0755);
  const Report report = runHost(root, "BH-HOST-202");
  EXPECT_EQ(findResult(report, "BH-HOST-202")->status, Status::kPass);
}

TEST(HostChecks, NothingInstalledIsNotApplicable) {
  const std::string root = bulkhead::testing::makeTempDir("host-empty");
  const Report report = runHost(root);
  for (const auto& r : report.results) {
    if (r.check->section == "kernel") continue;  // no /proc/sys here: not applicable too
    EXPECT_EQ(r.status, Status::kNotApplicable) << r.check->id << ": " << r.message;
  }
  EXPECT_EQ(report.totals.pass + report.totals.fail, 0u);
}

std::string readSysctl(const std::string& key) {
  std::string path = "/proc/sys/" + key;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  std::ifstream in(path);
  std::string value;
  std::getline(in, value);
  return value;
}

TEST(HostChecks, ThisMachine) {
  const Report report = runHost("/");
  EXPECT_EQ(report.totals.error, 0u);
  // Every kernel parameter check agrees with /proc/sys read here directly.
  for (const auto& r : report.results) {
    if (r.check->section != "kernel") continue;
    const std::string& title = r.check->title;
    const std::string key = title.substr(title.rfind('(') + 1, title.size() - title.rfind('(') - 2);
    const std::string value = readSysctl(key);
    if (value.empty()) {
      EXPECT_EQ(r.status, Status::kNotApplicable) << key;
      continue;
    }
    ASSERT_FALSE(r.evidence.empty()) << key;
    EXPECT_EQ(r.evidence[0].observed, value) << key;
    EXPECT_TRUE(r.status == Status::kPass || r.status == Status::kFail) << key;
  }
  // Docker is not installed here; runc is, as a package.
  EXPECT_EQ(findResult(report, "BH-HOST-202")->status, Status::kNotApplicable);
  if (!testing::runcBinary().empty()) {
    EXPECT_EQ(findResult(report, "BH-HOST-501")->status, Status::kPass);
    EXPECT_NE(findResult(report, "BH-HOST-118")->status, Status::kNotApplicable);
  }
}

}  // namespace
}  // namespace bulkhead::compliance
