// Report formats: table, JSON, JUnit XML and SARIF 2.1.0, with hostile strings in the
// evidence. JUnit is parsed with Python's XML parser; SARIF is checked structurally here,
// and against the official schema when one is given in BULKHEAD_SARIF_SCHEMA (it is not
// shipped with Debian; python3-jsonschema validates).

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "compliance/report.h"
#include "fixtures.h"
#include "support/layout_builder.h"
#include "support/testbed.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

Report k8sReport() { return testing::k8sFixtures()[0].report; }

// A report whose evidence holds control characters, invalid UTF-8 and markup.
Report hostileReport() {
  Report r = k8sReport();
  for (auto& result : r.results) {
    if (result.status != Status::kFail) continue;
    result.evidence.push_back(Evidence{"evil\x1b[31m.yaml", 3, "spec.<x>", "\"&'", std::string("bad\xff\xfe utf8 \x01\x1b[2J"),
                                       "== ]]>", "note\nline", false});
    result.message = "msg <b>&amp;\x07";
    break;
  }
  return r;
}

TEST(Reports, TableShowsFailuresEvidenceFixesAndScores) {
  const std::string table = renderTable(k8sReport());
  EXPECT_NE(table.find("FAIL   BH-K8S-005"), std::string::npos);
  EXPECT_NE(table.find("spec.containers[0].securityContext.privileged = true (want != true)"), std::string::npos);
  EXPECT_NE(table.find("fix: Remove securityContext.privileged"), std::string::npos);
  EXPECT_NE(table.find("Section scores"), std::string::npos);
  EXPECT_NE(table.find("Total: "), std::string::npos);
  const std::string hostile = renderTable(hostileReport());
  EXPECT_EQ(hostile.find('\x1b'), std::string::npos);  // no terminal escapes get through
  EXPECT_NE(hostile.find("\\x1b"), std::string::npos);
  const std::string failed = renderTable(k8sReport(), TableOptions{true, false});
  EXPECT_EQ(failed.find("PASS "), std::string::npos);
}

TEST(Reports, JsonIsStableAndComplete) {
  const Report report = hostileReport();
  const std::string text = renderJson(report);
  EXPECT_EQ(text, renderJson(report));  // no timestamps: diffable
  const json doc = json::parse(text);
  EXPECT_EQ(doc["target"], "k8s");
  EXPECT_EQ(doc["results"].size(), report.results.size());
  EXPECT_EQ(doc["summary"]["fail"], report.totals.fail);
  const json& first = doc["results"][0];
  for (const char* key : {"id", "title", "benchmark", "reference", "controls", "severity", "automated", "subject",
                          "status", "message", "evidence", "remediation", "rationale"}) {
    EXPECT_TRUE(first.contains(key)) << key;
  }
  ASSERT_FALSE(doc["sections"].empty());
  EXPECT_TRUE(doc["sections"][0].contains("score"));
}

std::string writeTemp(const std::string& name, const std::string& text) {
  return testing::writeFile(bulkhead::testing::makeTempDir("report") + "/" + name, text);
}

TEST(Reports, JunitIsWellFormedXml) {
  const Report report = hostileReport();
  const std::string xml = renderJunit(report);
  const std::string path = writeTemp("junit.xml", xml);
  auto r = bulkhead::testing::runCommand(
      {"/usr/bin/python3", "-c",
       "import sys, xml.etree.ElementTree as E\n"
       "root = E.parse(sys.argv[1]).getroot()\n"
       "cases = root.findall('.//testcase')\n"
       "print(len(cases), len(root.findall('.//failure')), len(root.findall('.//skipped')), root.get('failures'))\n",
       path});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::istringstream in(r.out);
  size_t cases = 0, failures = 0, skipped = 0, declared = 0;
  in >> cases >> failures >> skipped >> declared;
  EXPECT_EQ(cases, report.results.size());
  EXPECT_EQ(failures, report.totals.fail);
  EXPECT_EQ(declared, report.totals.fail);
  EXPECT_EQ(skipped, report.totals.manual + report.totals.notApplicable);
}

TEST(Reports, SarifFollowsTheSpec) {
  const Report report = hostileReport();
  const std::string text = renderSarif(report);
  const json doc = json::parse(text);
  EXPECT_EQ(doc["version"], "2.1.0");
  EXPECT_EQ(doc["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
  ASSERT_EQ(doc["runs"].size(), 1u);
  const json& run = doc["runs"][0];
  const json& rules = run["tool"]["driver"]["rules"];
  EXPECT_EQ(rules.size(), report.checks.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    EXPECT_EQ(rules[i]["id"], report.checks[i]->id);
    EXPECT_TRUE(rules[i]["shortDescription"]["text"].is_string());
    EXPECT_TRUE(rules[i]["help"]["text"].is_string());
    const std::string level = rules[i]["defaultConfiguration"]["level"];
    EXPECT_TRUE(level == "error" || level == "warning" || level == "note");
    EXPECT_TRUE(rules[i]["properties"]["security-severity"].is_string());
  }
  size_t fails = 0;
  for (const auto& r : run["results"]) {
    const size_t index = r["ruleIndex"];
    ASSERT_LT(index, rules.size());
    EXPECT_EQ(r["ruleId"], rules[index]["id"]);
    const std::string kind = r["kind"];
    // SARIF 3.27.9: a result that is not a failure has level "none".
    if (kind == "fail") {
      ++fails;
      EXPECT_NE(r["level"], "none");
    } else {
      EXPECT_EQ(r["level"], "none");
    }
    EXPECT_TRUE(r["message"]["text"].is_string());
    for (const auto& loc : r.value("locations", json::array())) {
      if (!loc.contains("physicalLocation")) continue;
      const std::string uri = loc["physicalLocation"]["artifactLocation"]["uri"];
      EXPECT_EQ(uri.find(' '), std::string::npos) << uri;
      EXPECT_EQ(uri.find('\x1b'), std::string::npos) << uri;
      if (loc["physicalLocation"].contains("region")) {
        EXPECT_GE(loc["physicalLocation"]["region"]["startLine"], 1);
      }
    }
  }
  EXPECT_EQ(fails, report.totals.fail);
  // With the official schema at hand, validate against it too.
  const char* schema = std::getenv("BULKHEAD_SARIF_SCHEMA");
  if (schema == nullptr || *schema == '\0') return;
  const std::string path = writeTemp("report.sarif", text);
  auto r = bulkhead::testing::runCommand(
      {"/usr/bin/python3", "-c",
       "import json, sys, jsonschema\n"
       "jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))\n"
       "print('valid')\n",
       path, schema});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "valid\n");
}

TEST(Reports, UtfSanitizing) {
  EXPECT_EQ(sanitizeUtf8("plain"), "plain");
  EXPECT_EQ(sanitizeUtf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(sanitizeUtf8("\xff"), "\xEF\xBF\xBD");
  EXPECT_EQ(sanitizeUtf8("\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  EXPECT_EQ(sanitizeUtf8("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(sanitizeUtf8("\xe2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated
}

TEST(Reports, GateAndScores) {
  const Report report = k8sReport();
  EXPECT_TRUE(failsGate(report, Severity::kCritical));
  EXPECT_TRUE(failsGate(report, Severity::kLow));
  Totals t;
  EXPECT_FALSE(t.score().has_value());
  t.add(Status::kPass);
  t.add(Status::kPass);
  t.add(Status::kFail);
  t.add(Status::kNotApplicable);
  EXPECT_NEAR(*t.score(), 66.67, 0.01);
}

}  // namespace
}  // namespace bulkhead::compliance
