// `bulkhead db build` and `bulkhead image scan` on the test bed's apps image (an npm app at
// pinned old versions, a Go binary built with Debian's Go, Debian-packaged Python and Go),
// through the binary. The expected findings come from an independent computation over the
// same advisory files: npm's own semver (tests/tools/scan-oracle/oracle.js) for the npm and
// Go feeds, python3-packaging (oracle_pypi.py) for PyPI, and dpkg --compare-versions for
// Debian's lists (oracle_debian.py), applied to what npm ls, go version -m, importlib.metadata
// and dpkg-query list. Also: the CI gate's exit codes, ignore files and OpenVEX, SARIF and
// CycloneDX output (the CycloneDX validated against the official schema), `sbom scan`.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/node_tool.h"
#include "support/testbed.h"
#include "support/advisory_data.h"

namespace bulkhead {
namespace {

namespace stdfs = std::filesystem;
using nlohmann::json;
using testing::runCommand;
using testing::testbedValue;

std::string pep503(std::string name) {
  std::string out;
  for (char c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == '_' || c == '.') c = '-';
    if (c == '-' && !out.empty() && out.back() == '-') continue;
    out += c;
  }
  return out;
}

std::set<std::string> lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

std::string difference(const std::set<std::string>& expected, const std::set<std::string>& found) {
  std::string out;
  for (const auto& e : expected) {
    if (!found.count(e)) out += "\n  missing: " + e;
  }
  for (const auto& f : found) {
    if (!expected.count(f)) out += "\n  extra:   " + f;
  }
  return out;
}

class ScanE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (testing::testbedEnv() == nullptr || testbedValue("TESTBED_APPS").empty()) return;
    data_ = testing::advisoryDataDir();
    if (data_.empty()) return;
    work_ = ::testing::TempDir() + "bulkhead-scan-e2e-" + std::to_string(::getpid());
    std::error_code ec;
    stdfs::create_directories(work_, ec);
    db_ = work_ + "/advisories.db";
    auto built = runCommand({testing::bulkheadBinary(), "db", "build", "--data", data_, "--db", db_});
    buildError_ = built.exitCode == 0 ? "" : "db build exit " + std::to_string(built.exitCode) + ": " + built.err;
    image_ = "oci:" + testbedValue("TESTBED_APPS") + ":" + testbedValue("TESTBED_APPS_TAG");
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (!work_.empty()) stdfs::remove_all(work_, ec);
  }

  void SetUp() override {
    BULKHEAD_REQUIRE_TESTBED();
    if (testbedValue("TESTBED_APPS").empty()) {
      if (testing::testbedRequired()) FAIL() << "the test bed has no apps image: rebuild it";
      GTEST_SKIP() << "the test bed has no apps image (TESTBED_APPS)";
    }
    if (data_.empty()) {
      if (testing::testbedRequired()) FAIL() << "no advisory data (set BULKHEAD_ADVISORY_DATA)";
      GTEST_SKIP() << "no advisory data: set BULKHEAD_ADVISORY_DATA to ../shared/data/advisories";
    }
    ASSERT_EQ(buildError_, "");
  }

  static testing::CommandResult scan(std::vector<std::string> extra, const std::string& target = image_,
                                     const std::string& command = "image") {
    std::vector<std::string> argv = {testing::bulkheadBinary(), command, "scan", target, "--db", db_,
                                     "--cache-dir", work_ + "/cache"};
    if (command == "sbom") argv = {testing::bulkheadBinary(), "sbom", "scan", target, "--db", db_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return runCommand(argv);
  }

  static json scanJson(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"-f", "json"});
    auto r = scan(extra);
    EXPECT_TRUE(r.exitCode == 0 || r.exitCode == 1) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  static inline std::string data_, work_, db_, image_, buildError_;
};

// (ecosystem, name, version, advisory id) for every feed record behind every finding,
// the upstream ones of OS-owned language packages included.
std::set<std::string> foundTuples(const json& report, const std::set<std::string>& ecosystems) {
  std::set<std::string> out;
  for (const char* list : {"findings", "upstreamOfOsPackages"}) {
    for (const auto& f : report[list]) {
      const auto& p = f["package"];
      const std::string ecosystem = p["ecosystem"];
      if (!ecosystems.count(ecosystem)) continue;
      std::string name = p["name"];
      if (ecosystem == "pypi") name = pep503(name);
      for (const auto& source : f["sources"]) {
        out.insert(ecosystem + "\t" + name + "\t" + p["version"].get<std::string>() + "\t" + source.get<std::string>());
      }
    }
  }
  return out;
}

TEST_F(ScanE2e, NpmAndGoFindingsEqualNpmSemverOverTheFeeds) {
  auto tool = testing::installNodeTool(BULKHEAD_SCAN_ORACLE_SOURCE, BULKHEAD_SCAN_ORACLE_BUILD, {"oracle.js"});
  if (!tool.error.empty()) {
    if (testing::testbedRequired()) FAIL() << tool.error;
    GTEST_SKIP() << tool.error;
  }
  auto oracle = runCommand({"node", tool.dir + "/oracle.js", "--advisories", data_, "--npm-ls",
                            testbedValue("TESTBED_APPS_NPM_LS"), "--go-version-m",
                            testbedValue("TESTBED_APPS_GO_VERSION_M")});
  ASSERT_EQ(oracle.exitCode, 0) << oracle.err;
  const auto expected = lines(oracle.out);
  const auto found = foundTuples(scanJson(), {"npm", "golang"});
  EXPECT_EQ(found, expected) << difference(expected, found);
  // The image is built to be vulnerable: lodash 4.17.4 and Go 1.19.8's standard library.
  EXPECT_GE(expected.size(), 10u);
  EXPECT_TRUE(expected.count("npm\tlodash\t4.17.4\tNSWG-ECO-368")) << oracle.out;
}

TEST_F(ScanE2e, PythonFindingsEqualPackagingOverThePypaFeed) {
  auto oracle = runCommand({"/usr/bin/python3", std::string(BULKHEAD_SCAN_ORACLE_SOURCE) + "/oracle_pypi.py", data_,
                            testbedValue("TESTBED_APPS_PYTHON")});
  ASSERT_EQ(oracle.exitCode, 0) << oracle.err << "\n(python3-packaging and python3-yaml are needed)";
  const auto expected = lines(oracle.out);
  const json report = scanJson();
  const auto found = foundTuples(report, {"pypi"});
  EXPECT_EQ(found, expected) << difference(expected, found);
  EXPECT_FALSE(expected.empty());
  // Debian's python3-* packages own these: reported apart, outside the gate.
  for (const auto& f : report["findings"]) EXPECT_NE(f["package"]["ecosystem"], "pypi") << f.dump();
  for (const auto& f : report["upstreamOfOsPackages"]) {
    if (f["package"]["ecosystem"] != "pypi") continue;
    EXPECT_TRUE(f["package"]["ownedBy"].get<std::string>().starts_with("deb:python3-")) << f.dump();
  }
}

TEST_F(ScanE2e, DebianFindingsEqualDpkgCompareVersionsOverTheLists) {
  auto oracle = runCommand({"/usr/bin/python3", std::string(BULKHEAD_SCAN_ORACLE_SOURCE) + "/oracle_debian.py", data_,
                            testbedValue("TESTBED_APPS_ROOTFS"), "bookworm"});
  ASSERT_EQ(oracle.exitCode, 0) << oracle.err;
  const auto expected = lines(oracle.out);
  const auto found = foundTuples(scanJson(), {"deb"});
  EXPECT_EQ(found, expected) << difference(expected, found);
}

TEST_F(ScanE2e, GateExitCodes) {
  // lodash 4.17.4's advisories carry CVSS scores (one medium, one low); the Go standard
  // library's have no severity (unknown); the Python ones are outside the gate.
  EXPECT_EQ(scan({"--fail-on", "critical"}).exitCode, 0);
  EXPECT_EQ(scan({"--fail-on", "high"}).exitCode, 0);
  EXPECT_EQ(scan({"--fail-on", "medium"}).exitCode, 1);
  EXPECT_EQ(scan({"--fail-on", "unknown"}).exitCode, 1);
  // With OS-owned language packages in the gate, idna's high finding counts.
  EXPECT_EQ(scan({"--fail-on", "high", "--include-os-owned"}).exitCode, 1);
  // Errors are 2, never 0 or 1.
  EXPECT_EQ(scan({"--db", work_ + "/missing.db"}).exitCode, 2);
  EXPECT_EQ(runCommand({testing::bulkheadBinary(), "image", "scan", work_ + "/no-such-image", "--db", db_}).exitCode, 2);
}

TEST_F(ScanE2e, IgnoreFileAndVexSuppressBeforeTheGate) {
  const json before = scanJson();
  std::string mediumId;
  for (const auto& f : before["findings"]) {
    if (f["severity"] == "medium" && f["package"]["name"] == "lodash") mediumId = f["id"];
  }
  ASSERT_FALSE(mediumId.empty()) << before["findings"].dump();
  const std::string ignore = work_ + "/ignore.yaml";
  std::ofstream(ignore) << "ignore:\n  - id: " << mediumId
                        << "\n    package: lodash\n    expires: 2999-12-31\n    reason: not reachable in this app\n";
  EXPECT_EQ(scan({"--fail-on", "medium", "--ignore-file", ignore}).exitCode, 0);
  const json after = scanJson({"--ignore-file", ignore});
  ASSERT_EQ(after["suppressed"].size(), 1u);
  EXPECT_NE(after["suppressed"][0]["suppressedBy"].get<std::string>().find("not reachable"), std::string::npos);
  EXPECT_EQ(after["findings"].size() + 1, before["findings"].size());

  const std::string expired = work_ + "/expired.yaml";
  std::ofstream(expired) << "ignore:\n  - id: " << mediumId << "\n    expires: 2001-01-01\n    reason: old\n";
  auto r = scan({"--fail-on", "medium", "--ignore-file", expired});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("expired"), std::string::npos) << r.err;

  const std::string vex = work_ + "/app.vex.json";
  std::ofstream(vex) << json{{"@context", "https://openvex.dev/ns/v0.2.0"},
                             {"@id", "https://example.com/vex/1"},
                             {"author", "tests"},
                             {"timestamp", "2026-11-01T00:00:00Z"},
                             {"version", 1},
                             {"statements", json::array({{{"vulnerability", {{"name", mediumId}}},
                                                          {"products", json::array({{{"@id", "pkg:npm/lodash@4.17.4"}}})},
                                                          {"status", "not_affected"},
                                                          {"justification", "vulnerable_code_not_in_execute_path"}}})}}
                            .dump();
  EXPECT_EQ(scan({"--fail-on", "medium", "--vex", vex}).exitCode, 0);
}

TEST_F(ScanE2e, SarifAndCycloneDxOutputs) {
  auto sarif = scan({"-f", "sarif"});
  ASSERT_EQ(sarif.exitCode, 0) << sarif.err;
  const json s = json::parse(sarif.out, nullptr, false);
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["version"], "2.1.0");
  const auto& run = s["runs"][0];
  const json report = scanJson();
  EXPECT_EQ(run["results"].size(), report["findings"].size());
  for (const auto& result : run["results"]) {
    const size_t index = result["ruleIndex"];
    ASSERT_LT(index, run["tool"]["driver"]["rules"].size());
    EXPECT_EQ(run["tool"]["driver"]["rules"][index]["id"], result["ruleId"]);
    EXPECT_TRUE(result["level"] == "error" || result["level"] == "warning" || result["level"] == "note");
    EXPECT_FALSE(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].get<std::string>().starts_with("/"));
  }

  auto validator = testing::installNodeTool(BULKHEAD_SBOM_VALIDATOR_SOURCE, BULKHEAD_SBOM_VALIDATOR_BUILD,
                                            {"validate.js", "spdx-2.3-document.schema.json"});
  if (!validator.error.empty()) {
    if (testing::testbedRequired()) FAIL() << validator.error;
    GTEST_SKIP() << validator.error;
  }
  const std::string cdx = work_ + "/scan.cdx.json";
  ASSERT_EQ(scan({"-f", "cyclonedx", "-o", cdx}).exitCode, 0);
  auto valid = runCommand({"node", validator.dir + "/validate.js", "--type", "cyclonedx", cdx});
  EXPECT_EQ(valid.exitCode, 0) << valid.out << valid.err;
  std::ifstream in(cdx);
  const json doc = json::parse(in, nullptr, false);
  std::set<std::string> ids;
  for (const auto& v : doc["vulnerabilities"]) ids.insert(v["id"].get<std::string>());
  for (const auto& f : report["findings"]) EXPECT_TRUE(ids.count(f["id"].get<std::string>())) << f["id"];
}

TEST_F(ScanE2e, AnSbomScansLikeTheImage) {
  const std::string bom = work_ + "/apps.cdx.json";
  auto written = runCommand({testing::bulkheadBinary(), "sbom", image_, "-f", "cyclonedx", "-o", bom, "--cache-dir",
                             work_ + "/cache"});
  ASSERT_EQ(written.exitCode, 0) << written.err;
  auto fromSbom = scan({"-f", "json"}, bom, "sbom");
  ASSERT_EQ(fromSbom.exitCode, 0) << fromSbom.err;
  const json a = scanJson();
  const json b = json::parse(fromSbom.out, nullptr, false);
  const std::set<std::string> all = {"npm", "golang", "pypi", "deb"};
  EXPECT_EQ(foundTuples(b, all), foundTuples(a, all));
}

TEST_F(ScanE2e, AStaleDatabaseEarnsAWarning) {
  const std::string old = work_ + "/old.db";
  std::filesystem::copy_file(db_, old, std::filesystem::copy_options::overwrite_existing);
  auto aged = runCommand({"/usr/bin/python3", "-c",
                          "import sqlite3, sys\n"
                          "c = sqlite3.connect(sys.argv[1])\n"
                          "c.execute(\"UPDATE meta SET value = '2020-01-01T00:00:00Z' WHERE key = 'built_at'\")\n"
                          "c.commit()\n",
                          old});
  ASSERT_EQ(aged.exitCode, 0) << aged.err;
  auto r = runCommand({testing::bulkheadBinary(), "image", "scan", image_, "--db", old, "-f", "json"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.err.find("bulkhead db update"), std::string::npos) << r.err;
  EXPECT_EQ(json::parse(r.out, nullptr, false)["database"]["stale"], true);
  EXPECT_EQ(scanJson()["database"]["stale"], false);
}

TEST_F(ScanE2e, TableGroupsByPackageAndHonoursNoColor) {
  auto plain = runCommand({testing::bulkheadBinary(), "image", "scan", image_, "--db", db_, "--color", "always"},
                          {{"NO_COLOR", ""}});
  ASSERT_EQ(plain.exitCode, 0) << plain.err;
  EXPECT_NE(plain.out.find("\033["), std::string::npos) << "--color always colours";
  EXPECT_NE(plain.out.find("lodash 4.17.4 (npm"), std::string::npos) << plain.out;
  auto noColor = runCommand({testing::bulkheadBinary(), "image", "scan", image_, "--db", db_}, {{"NO_COLOR", "1"}});
  EXPECT_EQ(noColor.out.find("\033["), std::string::npos);
  EXPECT_NE(noColor.out.find("Upstream advisories for language packages"), std::string::npos);
}

}  // namespace
}  // namespace bulkhead
