// Node.js security WG importer on the real npm and core advisories, and hostile input.

#include <gtest/gtest.h>

#include <filesystem>

#include "importer_test_util.h"

namespace bulkhead::vuln {
namespace {

using bulkhead::testing::findRecord;
using bulkhead::testing::parseWith;
using bulkhead::testing::readJsonFile;
using bulkhead::testing::readText;

TEST(NodejsWgImporterTest, KnownNpmAdvisory) {
  BH_REQUIRE_ADVISORY_DATA(data);
  const std::string path = data + "/nodejs-security-wg/vuln/npm/1.json";
  const nlohmann::json e = readJsonFile(path);
  const auto p = parseWith("nodejs-wg", "npm/1.json", readText(path));
  ASSERT_TRUE(p.status.ok()) << p.status.error().message;
  ASSERT_EQ(p.records.size(), 1u);
  const Vulnerability& v = p.records[0];
  EXPECT_EQ(v.id, "NSWG-ECO-1");
  EXPECT_EQ(v.aliases, e["cves"].get<std::vector<std::string>>());
  ASSERT_EQ(v.affected.size(), 1u);
  EXPECT_EQ(v.affected[0].ecosystem, "npm");
  EXPECT_EQ(v.affected[0].name, e["module_name"].get<std::string>());
  EXPECT_EQ(v.affected[0].rangeType, "NPM");
  EXPECT_EQ(v.affected[0].vulnerableRange, e["vulnerable_versions"].get<std::string>());
  EXPECT_EQ(v.affected[0].patchedRange, e["patched_versions"].get<std::string>());
  EXPECT_EQ(v.cvssVector, e["cvss_vector"].get<std::string>());
  EXPECT_DOUBLE_EQ(v.feedScore, e["cvss_score"].get<double>());
  EXPECT_DOUBLE_EQ(v.cvssScore, e["cvss_score"].get<double>());
}

// Every npm and core file: ids, names and ranges as in the file.
TEST(NodejsWgImporterTest, EveryAdvisoryMatchesItsFile) {
  BH_REQUIRE_ADVISORY_DATA(data);
  const std::string root = data + "/nodejs-security-wg/vuln";
  ImportSink sink(ImportLimits{});
  ASSERT_TRUE(importFeed(root, *findImporter("nodejs-wg"), sink).ok());
  size_t files = 0;
  for (const char* kind : {"npm", "core"}) {
    for (const auto& entry : std::filesystem::directory_iterator(root + "/" + kind)) {
      if (entry.path().filename() == "index.json") continue;
      ++files;
      const nlohmann::json e = readJsonFile(entry.path());
      const bool core = std::string(kind) == "core";
      const std::string id = core ? "NSWG-CORE-" + entry.path().stem().string()
                                  : "NSWG-ECO-" + std::to_string(e["id"].get<int64_t>());
      const Vulnerability* v = findRecord(sink.records(), id);
      ASSERT_NE(v, nullptr) << entry.path();
      ASSERT_EQ(v->affected.size(), 1u);
      const Affected& a = v->affected[0];
      if (core) {
        EXPECT_EQ(a.ecosystem, "node");
        EXPECT_EQ(a.vulnerableRange, e["vulnerable"].get<std::string>()) << id;
        EXPECT_EQ(a.patchedRange, e.value("patched", std::string())) << id;
      } else {
        std::string name = e["module_name"].get<std::string>();
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        EXPECT_EQ(a.name, name) << id;
        EXPECT_EQ(a.vulnerableRange, e["vulnerable_versions"].get<std::string>()) << id;
        const auto patched = e.find("patched_versions");
        EXPECT_EQ(a.patchedRange, patched->is_string() ? patched->get<std::string>() : "") << id;
        EXPECT_EQ(a.status, !patched->is_string() || *patched == "<0.0.0" ? "unfixed" : "fixed");
      }
    }
  }
  EXPECT_EQ(sink.records().size(), files);
  EXPECT_EQ(sink.skipped(), 0u);
}

TEST(NodejsWgImporterHostileTest, BadRecordsAreClearErrors) {
  auto p = parseWith("nodejs-wg", "npm/5.json",
                     R"({"id":"5","module_name":"x","vulnerable_versions":"<1"})");
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.error().message.find("\"id\""), std::string::npos);
  p = parseWith("nodejs-wg", "npm/5.json",
                R"({"id":5,"module_name":["x"],"vulnerable_versions":"<1"})");
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.error().message.find("module_name"), std::string::npos);
  p = parseWith("nodejs-wg", "npm/5.json", R"({"id":5,"module_name":"x"})");
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.error().message.find("no vulnerable version range"), std::string::npos);
  p = parseWith(
      "nodejs-wg", "npm/5.json",
      R"({"id":5,"module_name":"x","vulnerable_versions":")" + std::string(5000, '<') + "\"}");
  EXPECT_FALSE(p.status.ok());
  p = parseWith("nodejs-wg", "npm/5.json",
                R"({"id":5,"module_name":"x","vulnerable_versions":"<1")");
  EXPECT_FALSE(p.status.ok());
  p = parseWith("nodejs-wg", "npm/5.json", std::string(100, '['));
  EXPECT_FALSE(p.status.ok());
  p = parseWith("nodejs-wg", "npm/5.json", std::string("\x89PNG\r\n\x1a\n\0\0", 10));
  EXPECT_FALSE(p.status.ok());
  p = parseWith("nodejs-wg", "core/7.json", R"({"cve":"CVE-1","vulnerable":"8.x"})");
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.error().message.find("NSWG-CORE-7"), std::string::npos);
  // A bad cvss vector is a warning, not a lost record.
  p = parseWith(
      "nodejs-wg", "npm/5.json",
      R"({"id":5,"module_name":"X","vulnerable_versions":"<1","cvss_vector":"CVSS:3.0/AV:Q"})");
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.records[0].affected[0].name, "x");
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("npm/5.json: NSWG-ECO-5"), std::string::npos);
}

}  // namespace
}  // namespace bulkhead::vuln
