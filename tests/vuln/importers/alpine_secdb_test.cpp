// Alpine secdb importer on the real v3.3..v3.11 files (expectations from python3's YAML
// BaseLoader), and hostile input.

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "importer_test_util.h"
#include "vuln/db/names.h"

namespace bulkhead::vuln {
namespace {

using bulkhead::testing::findRecord;
using bulkhead::testing::parseWith;
using bulkhead::testing::readText;

TEST(AlpineSecdbImporterTest, EverySecfixMatchesPythonYaml) {
  BH_REQUIRE_ADVISORY_DATA(data);
  const std::string root = data + "/alpine-secdb";
  // [[branch, package, fixed version, id], ...]
  const nlohmann::json expected = bulkhead::testing::pythonJson(
      "import yaml,glob,json\n"
      "L=getattr(yaml,'CBaseLoader',yaml.BaseLoader)\n"
      "out=[]\n"
      "for f in sorted(glob.glob('" +
      root +
      "/*/*.yaml')):\n"
      "  d=yaml.load(open(f),Loader=L)\n"
      "  for p in d.get('packages') or []:\n"
      "    pkg=p['pkg']\n"
      "    for ver,ids in (pkg.get('secfixes') or {}).items():\n"
      "      for item in ids or []:\n"
      "        for i in item.split():\n"
      "          if '-' in i: out.append([d['distroversion'],pkg['name'],ver,i])\n"
      "print(json.dumps(out))\n");
  BH_REQUIRE_PYTHON_JSON(expected);
  ImportSink sink(ImportLimits{});
  ASSERT_TRUE(importFeed(root, *findImporter("alpine-secdb"), sink).ok());
  EXPECT_EQ(sink.skipped(), 0u);
  std::multiset<std::tuple<std::string, std::string, std::string, std::string>> want, got;
  for (const auto& e : expected) {
    const std::string ver = e[2].get<std::string>();
    want.emplace(normaliseRelease("apk", "alpine:" + e[0].get<std::string>()),
                 e[1].get<std::string>(), ver == "0" ? "not-affected" : ver,
                 e[3].get<std::string>());
  }
  for (const Vulnerability& v : sink.records()) {
    for (const Affected& a : v.affected) {
      got.emplace(a.release, a.name,
                  a.status == "not-affected" ? std::string("not-affected") : a.events.at(1).fixed,
                  v.id);
    }
  }
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want);
}

TEST(AlpineSecdbImporterTest, KnownSecfix) {
  BH_REQUIRE_ADVISORY_DATA(data);
  const auto p = parseWith("alpine-secdb", "v3.11/main.yaml",
                           readText(data + "/alpine-secdb/v3.11/main.yaml"));
  ASSERT_TRUE(p.status.ok()) << p.status.error().message;
  const Vulnerability* v = findRecord(p.records, "CVE-2019-14904");
  ASSERT_NE(v, nullptr);
  ASSERT_EQ(v->affected.size(), 1u);
  EXPECT_EQ(v->affected[0].ecosystem, "apk");
  EXPECT_EQ(v->affected[0].name, "ansible");
  EXPECT_EQ(v->affected[0].release, "alpine:3.11");
  EXPECT_EQ(v->affected[0].events[1].fixed, "2.9.3-r0");
}

TEST(AlpineSecdbImporterTest, JsonSecdbParsesToo) {
  const std::string json = R"({"distroversion":"v3.18","packages":[{"pkg":{"name":"openssl",
    "secfixes":{"3.1.2-r0":["CVE-2023-3817"],"0":["CVE-2022-1 CVE-2022-2"]}}}]})";
  const auto p = parseWith("alpine-secdb", "main.json", json);
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(findRecord(p.records, "CVE-2022-2")->affected[0].status, "not-affected");
  EXPECT_EQ(findRecord(p.records, "CVE-2023-3817")->affected[0].release, "alpine:3.18");
}

TEST(AlpineSecdbImporterHostileTest, ClearErrorsAndWarnings) {
  EXPECT_FALSE(parseWith("alpine-secdb", "a.yaml", "packages: []\n").status.ok());
  EXPECT_FALSE(
      parseWith("alpine-secdb", "a.yaml", "distroversion: v3.1\npackages: 5\n").status.ok());
  EXPECT_FALSE(parseWith("alpine-secdb", "a.yaml",
                         std::string("\x7f"
                                     "ELF\0\0\1",
                                     7))
                   .status.ok());
  EXPECT_FALSE(parseWith("alpine-secdb", "a.yaml",
                         "distroversion: v3.1\npackages:\n  - pkg: {name: x, secfixes: {")
                   .status.ok());
  EXPECT_FALSE(parseWith("alpine-secdb", "a.yaml", "distroversion: " + std::string(100000, '{'))
                   .status.ok());
  const auto p = parseWith("alpine-secdb", "a.yaml",
                           "distroversion: v3.1\npackages:\n"
                           "  - pkg: 7\n"
                           "  - pkg: {name: x, secfixes: [1]}\n"
                           "  - pkg: {name: y, secfixes: {1.0-r0: CVE-1}}\n"
                           "  - pkg: {name: z, secfixes: {1.0-r0: [CVE-2020-1]}}\n");
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.warnings.size(), 3u);
  EXPECT_NE(p.warnings[0].find("a.yaml: packages[0]"), std::string::npos);
}

}  // namespace
}  // namespace bulkhead::vuln
