// `bulkhead bench` end to end, through the binary: this machine as the host (and lynis on
// it as a peer), a host root with a real dockerd-named process, the test bed's images, runc
// bundles and a container runc runs, and Kubernetes manifests; every output format, the
// --fail-on gate and the error exit codes.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "support/layout_builder.h"
#include "support/testbed.h"

// GCC 12's false -Wmaybe-uninitialized in <regex> under sanitizers (see operators.h).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace bulkhead {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::makeTempDir;
using testing::runCommand;
using testing::testbedValue;
namespace fs = std::filesystem;

CommandResult bench(std::vector<std::string> args) {
  args.insert(args.begin(), {testing::bulkheadBinary(), "bench"});
  return runCommand(args);
}

json benchJson(std::vector<std::string> args, int expectedExit = 0) {
  args.push_back("--format");
  args.push_back("json");
  auto r = bench(args);
  EXPECT_EQ(r.exitCode, expectedExit) << r.err;
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON: " << e.what() << "\n" << r.out.substr(0, 500) << r.err;
    return json::object();
  }
}

const json* result(const json& report, const std::string& id) {
  for (const auto& r : report["results"]) {
    if (r["id"] == id) return &r;
  }
  return nullptr;
}

std::string status(const json& report, const std::string& id) {
  const json* r = result(report, id);
  return r ? r->value("status", "missing") : "missing";
}

std::string writeFile(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
  return path;
}

std::string readSysctl(std::string key) {
  std::replace(key.begin(), key.end(), '.', '/');
  std::ifstream in("/proc/sys/" + key);
  std::string value;
  std::getline(in, value);
  return value;
}

std::string sysctlKey(const json& r) {
  const std::string title = r["title"];
  const size_t open = title.rfind('(');
  return title.substr(open + 1, title.size() - open - 2);
}

TEST(BenchHost, ThisMachine) {
  const json report = benchJson({"host"});
  EXPECT_EQ(report["target"], "host");
  EXPECT_EQ(report["summary"]["error"], 0);
  size_t kernel = 0;
  for (const auto& r : report["results"]) {
    if (r["section"] != "kernel") continue;
    ++kernel;
    const std::string value = readSysctl(sysctlKey(r));
    if (value.empty()) {
      EXPECT_EQ(r["status"], "not_applicable") << r["id"];
    } else {
      EXPECT_EQ(r["evidence"][0]["observed"], value) << r["id"];
      EXPECT_EQ(r["evidence"][0]["file"], "/proc/sys/" + std::regex_replace(sysctlKey(r), std::regex("\\."), "/"));
    }
  }
  EXPECT_GE(kernel, 20u);
  // The gate: exit 1 exactly when something fails at or above the threshold.
  const int failures = report["summary"]["fail"];
  EXPECT_EQ(bench({"host", "--fail-on", "info"}).exitCode, failures > 0 ? 1 : 0);
  EXPECT_EQ(bench({"host", "--fail-on", "none"}).exitCode, 0);
}

// A host root whose daemon.json is fine, with a running process named dockerd whose command
// line overrides it: the evidence must come from /proc/PID/cmdline.
TEST(BenchHost, DockerdCommandLineFromProc) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const std::string root = makeTempDir("host-root");
  writeFile(root + "/etc/docker/daemon.json", R"({"icc": false, "userns-remap": "default"})");
  fs::create_directories(root + "/usr/bin");
  const std::string dockerd = root + "/usr/bin/dockerd";
  fs::copy_file("/bin/dash", dockerd, fs::copy_options::overwrite_existing);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // dash named dockerd: "-c 'sleep 30' dockerd ARGS" keeps the flags on its command line.
    ::execl(dockerd.c_str(), dockerd.c_str(), "-c", "sleep 30", "dockerd", "--icc=true", "--log-level=debug",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::usleep(200000);
  const json report = benchJson({"host", "--root", root, "--proc", "/proc", "--check", "BH-HOST-202,BH-HOST-203,BH-HOST-209,BH-HOST-318"});
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  const json* icc = result(report, "BH-HOST-202");
  ASSERT_NE(icc, nullptr);
  EXPECT_EQ((*icc)["status"], "fail");
  EXPECT_EQ((*icc)["evidence"][0]["file"], "/proc/" + std::to_string(pid) + "/cmdline");
  EXPECT_EQ((*icc)["evidence"][0]["path"], "--icc");
  EXPECT_EQ(status(report, "BH-HOST-203"), "fail");
  EXPECT_EQ(status(report, "BH-HOST-209"), "pass");  // from daemon.json
  EXPECT_EQ(status(report, "BH-HOST-318"), "pass");
  EXPECT_EQ(report["results"].size(), 4u);
}

// lynis as a peer: run its kernel hardening tests on this machine and compare every
// kernel parameter both tools judge. Where the verdicts differ, the difference must be one
// docs/compliance.md records ("Compared with lynis").
TEST(BenchHost, AgreesWithLynisOnKernelParameters) {
  if (runCommand({"sh", "-c", "command -v lynis"}).exitCode != 0) {
    const char* must = std::getenv("BULKHEAD_REQUIRE_TESTBED");
    if (must && std::string(must) == "1") FAIL() << "lynis is required (scripts/setup.sh installs it)";
    GTEST_SKIP() << "lynis is not installed";
  }
  const std::string dir = makeTempDir("lynis");
  auto run = runCommand({"lynis", "audit", "system", "--quick", "--no-colors", "--tests", "KRNL-6000 KRNL-5820",
                         "--logfile", dir + "/lynis.log", "--report-file", dir + "/report.dat"});
  ASSERT_EQ(run.exitCode, 0) << run.err;
  std::ifstream log(dir + "/lynis.log");
  std::map<std::string, std::pair<bool, std::string>> lynis;  // key -> (ok, real value)
  const std::regex equal("Result: sysctl key (\\S+) contains equal expected and current value \\((.*)\\)");
  const std::regex differ("Result: sysctl key (\\S+) has a different value than expected in scan profile\\. Expected=(.*), Real=(.*)");
  for (std::string line; std::getline(log, line);) {
    std::smatch m;
    if (std::regex_search(line, m, equal)) {
      lynis[m[1]] = {true, ""};
    } else if (std::regex_search(line, m, differ)) {
      lynis[m[1]] = {false, m[3]};
    }
  }
  ASSERT_GT(lynis.size(), 10u) << "no sysctl results in lynis's log";
  // Thresholds that differ on purpose (key, value where we pass and lynis does not).
  const std::set<std::pair<std::string, std::string>> documented = {
      {"kernel.kptr_restrict", "1"},           {"kernel.unprivileged_bpf_disabled", "2"},
      {"kernel.perf_event_paranoid", "2"},     {"fs.protected_fifos", "1"},
      {"fs.protected_regular", "1"},           {"net.ipv4.conf.all.rp_filter", "2"},
  };
  const json report = benchJson({"host", "--check", "BH-HOST-4*"});
  size_t compared = 0;
  std::string table;
  for (const auto& r : report["results"]) {
    const std::string key = sysctlKey(r);
    auto it = lynis.find(key);
    if (it == lynis.end() || r["status"] == "not_applicable") continue;
    ++compared;
    const std::string value = r["evidence"][0]["observed"];
    const bool ours = r["status"] == "pass";
    if (!it->second.first) {
      EXPECT_EQ(it->second.second, value) << key << ": both read the same kernel";
    }
    table += key + "=" + value + " bulkhead:" + (ours ? "pass" : "fail") + " lynis:" + (it->second.first ? "ok" : "different") + "\n";
    if (ours != it->second.first) {
      EXPECT_TRUE(ours && documented.count({key, value}))
          << key << "=" << value << ": bulkhead " << r["status"] << ", lynis " << (it->second.first ? "ok" : "different")
          << " -- an undocumented difference";
    }
  }
  std::cout << table;
  EXPECT_GE(compared, 15u);
}

TEST(BenchImage, TestbedImageInEveryForm) {
  BULKHEAD_REQUIRE_TESTBED();
  const std::string layout = testbedValue("TESTBED_OCI") + ":" + testbedValue("TESTBED_OCI_TAG");
  const json report = benchJson({"image", layout, "--cache-dir", makeTempDir("cache")});
  EXPECT_EQ(report["target"], "image");
  for (const char* id : {"BH-IMG-006", "BH-IMG-008", "BH-IMG-024"}) EXPECT_EQ(status(report, id), "fail") << id;
  for (const char* id : {"BH-IMG-001", "BH-IMG-013", "BH-IMG-018", "BH-IMG-019", "BH-IMG-020"}) {
    EXPECT_EQ(status(report, id), "pass") << id;
  }
  // The same image as a docker archive judges the same.
  const json archive = benchJson({"image", testbedValue("TESTBED_DOCKER_ARCHIVE"), "--cache-dir", makeTempDir("cache")});
  for (const auto& r : report["results"]) EXPECT_EQ(status(archive, r["id"]), r["status"]) << r["id"];
  // --fail-on: BH-IMG-024 (medium) fails, nothing high does.
  EXPECT_EQ(bench({"image", layout, "--fail-on", "medium"}).exitCode, 1);
  EXPECT_EQ(bench({"image", layout, "--fail-on", "high"}).exitCode, 0);
  const std::string out = makeTempDir("out") + "/image.sarif";
  EXPECT_EQ(bench({"image", layout, "-f", "sarif", "-o", out}).exitCode, 0);
  std::ifstream in(out);
  const json sarif = json::parse(in);
  EXPECT_EQ(sarif["version"], "2.1.0");
  EXPECT_EQ(bench({"image", "/nonexistent/image"}).exitCode, 2);
}

std::string runc() {
  for (const char* p : {"/usr/sbin/runc", "/usr/bin/runc"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return {};
}

TEST(BenchContainer, RuncBundleAndRunningContainer) {
  if (runc().empty()) GTEST_SKIP() << "runc is not installed";
  BULKHEAD_REQUIRE_TESTBED();
  const std::string bundle = makeTempDir("bundle");
  ASSERT_EQ(runCommand({runc(), "spec", "--bundle", bundle}).exitCode, 0);
  json spec = json::parse(std::ifstream(bundle + "/config.json"));
  spec["root"] = {{"path", testbedValue("TESTBED_ROOTFS")}, {"readonly", true}};
  spec["process"]["terminal"] = false;
  spec["process"].erase("rlimits");
  spec["process"]["args"] = {"sleep", "30"};
  std::ofstream(bundle + "/config.json") << spec.dump(2);

  const json offline = benchJson({"container", bundle});
  EXPECT_EQ(offline["target"], "container");
  EXPECT_EQ(status(offline, "BH-CTR-022"), "fail");  // runc spec has no seccomp profile
  EXPECT_EQ(status(offline, "BH-CTR-018"), "pass");
  EXPECT_EQ(status(offline, "BH-CTR-032"), "not_applicable");
  const json* seccomp = result(offline, "BH-CTR-022");
  EXPECT_EQ((*seccomp)["evidence"][0]["file"], bundle + "/config.json");
  EXPECT_EQ((*seccomp)["evidence"][0]["path"], "linux.seccomp");
  auto sarif = bench({"container", bundle, "-f", "sarif"});
  EXPECT_NE(sarif.out.find("\"uri\": \"file://" + bundle + "/config.json\""), std::string::npos);
  EXPECT_EQ(bench({"container", bundle, "--fail-on", "high"}).exitCode, 1);

  if (::geteuid() != 0) return;
  const std::string state = makeTempDir("runc-state");
  const std::string id = "bh-e2e-" + std::to_string(::getpid());
  ASSERT_EQ(runCommand({runc(), "--root", state, "run", "-d", "--bundle", bundle, id}).exitCode, 0);
  const json live = benchJson({"container", id, "--runc-root", state});
  runCommand({runc(), "--root", state, "kill", id, "KILL"});
  for (int i = 0; i < 50 && runCommand({runc(), "--root", state, "delete", "-f", id}).exitCode != 0; ++i) ::usleep(100000);
  EXPECT_EQ(status(live, "BH-CTR-032"), "pass");
  EXPECT_EQ(status(live, "BH-CTR-031"), "pass");
  EXPECT_EQ(status(live, "BH-CTR-023"), "pass");
  EXPECT_EQ((*result(live, "BH-CTR-023"))["evidence"][0]["file"], state + "/" + id + "/state.json");
  EXPECT_EQ(bench({"container", "no-such-container", "--runc-root", state}).exitCode, 2);
}

const std::string kManifests = std::string(BULKHEAD_COMPLIANCE_TESTDATA) + "/k8s";

TEST(BenchK8s, ManifestsInEveryFormat) {
  const json report = benchJson({"k8s", kManifests});
  EXPECT_EQ(report["subjects"].size(), 7u);
  EXPECT_EQ(report["inputs"].size(), 4u);  // three YAML files and one JSON file
  EXPECT_EQ(bench({"k8s", kManifests, "--fail-on", "critical"}).exitCode, 1);
  EXPECT_EQ(bench({"k8s", kManifests + "/hardened.yaml", "--fail-on", "low"}).exitCode, 0);
  // JUnit parses as XML.
  const std::string junit = makeTempDir("junit") + "/k8s.xml";
  ASSERT_EQ(bench({"k8s", kManifests, "-f", "junit", "-o", junit}).exitCode, 0);
  auto parsed = runCommand({"/usr/bin/python3", "-c",
                            "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); "
                            "print(r.tag, len(r.findall('.//testcase')))",
                            junit});
  EXPECT_EQ(parsed.exitCode, 0) << parsed.err;
  EXPECT_TRUE(parsed.out.starts_with("testsuites ")) << parsed.out;
  // SARIF: physical locations with the manifest's line.
  const json sarif = json::parse(bench({"k8s", kManifests + "/kitchen-sink.yaml", "-f", "sarif"}).out);
  bool located = false;
  for (const auto& r : sarif["runs"][0]["results"]) {
    if (r["ruleId"] != "BH-K8S-005") continue;
    const json& loc = r["locations"][0]["physicalLocation"];
    EXPECT_NE(loc["artifactLocation"]["uri"].get<std::string>().find("kitchen-sink.yaml"), std::string::npos);
    EXPECT_EQ(loc["region"]["startLine"], 36);
    located = true;
  }
  EXPECT_TRUE(located);
  // The table names failures and scores.
  const auto table = bench({"k8s", kManifests, "--failed-only"});
  EXPECT_NE(table.out.find("FAIL   BH-K8S-005"), std::string::npos);
  EXPECT_NE(table.out.find("Section scores"), std::string::npos);
}

TEST(BenchK8s, StdinSelectionAndErrors) {
  const std::string manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec:\n  hostPID: true\n"
                               "  containers: [{name: c, image: 'busybox:1.36'}]\n";
  const std::string file = writeFile(makeTempDir("k8s") + "/pod.yaml", manifest);
  auto r = runCommand({"sh", "-c", testing::bulkheadBinary() + " bench k8s - --format json --check BH-K8S-003 < " + file});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const json report = json::parse(r.out);
  ASSERT_EQ(report["results"].size(), 1u);
  EXPECT_EQ(report["results"][0]["status"], "fail");
  EXPECT_EQ(report["inputs"][0], "stdin");

  const std::string broken = writeFile(makeTempDir("k8s") + "/broken.yaml", "kind: Pod\nspec:\n  containers: [\n");
  r = bench({"k8s", broken});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find(broken + ":"), std::string::npos) << r.err;
  EXPECT_EQ(bench({"k8s", "/nonexistent.yaml"}).exitCode, 2);
  const std::string dup = writeFile(makeTempDir("k8s") + "/dup.yaml", "kind: Pod\nspec:\n  hostPID: false\n  hostPID: true\n");
  r = bench({"k8s", dup});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("dup.yaml:4: duplicate mapping key 'hostPID'"), std::string::npos) << r.err;
}

TEST(BenchChecks, UserCheckFilesAndTheList) {
  const std::string dir = makeTempDir("checks");
  writeFile(dir + "/team.yaml", R"(target: k8s
benchmark: Team policy
sections:
  team: Team rules
checks:
  - id: TEAM-001
    section: team
    title: Workloads carry an owner label
    severity: low
    automated: true
    rationale: On-call needs to know whom to page.
    remediation: Add metadata.labels.owner.
    params: {path: metadata.labels.owner, op: not_empty}
)");
  const json report = benchJson({"k8s", kManifests + "/hardened.yaml", "--checks", dir, "--check", "TEAM-*"});
  ASSERT_EQ(report["results"].size(), 2u);
  EXPECT_EQ(report["results"][0]["status"], "fail");
  writeFile(dir + "/broken.yaml", "target: k8s\nsections: {a: b}\nchecks:\n  - id: TEAM-002\n    section: a\n    title: t\n"
                                  "    severity: low\n    automated: true\n    rationale: r\n    remediation: f\n"
                                  "    params: {path: a, op: sameas, value: 1}\n");
  auto r = bench({"k8s", kManifests, "--checks", dir + "/broken.yaml"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("broken.yaml:11: check TEAM-002: params.op: unknown operator 'sameas'"), std::string::npos) << r.err;

  const json list = json::parse(bench({"list", "--format", "json"}).out);
  size_t automated = 0;
  std::set<std::string> targets;
  for (const auto& c : list) {
    automated += c["automated"].get<bool>() ? 1 : 0;
    targets.insert(c["target"]);
  }
  EXPECT_GE(automated, 80u);
  EXPECT_EQ(targets, (std::set<std::string>{"host", "image", "container", "k8s"}));
  EXPECT_EQ(bench({"nonsense"}).exitCode, 2);
}

}  // namespace
}  // namespace bulkhead
