// OSV importer on the real Go vulndb (JSON) and PyPA (YAML) snapshots, and on hostile input.
// Expectations are read from the files with nlohmann::json or python3's YAML BaseLoader.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "importer_test_util.h"
#include "sbom/package.h"
#include "vuln/db/names.h"

namespace bulkhead::vuln {
namespace {

using bulkhead::testing::eventsOf;
using bulkhead::testing::findRecord;
using bulkhead::testing::parseWith;
using bulkhead::testing::readJsonFile;
using bulkhead::testing::readText;

TEST(OsvImporterTest, GoRecordStoredExactly) {
  BH_REQUIRE_ADVISORY_DATA(data);
  const std::string path = data + "/golang-vulndb/osv/GO-2021-0159.json";
  const nlohmann::json expected = readJsonFile(path);
  ASSERT_FALSE(expected.is_discarded());
  const auto parsed = parseWith("osv", "GO-2021-0159.json", readText(path));
  ASSERT_TRUE(parsed.status.ok()) << parsed.status.error().message;
  ASSERT_EQ(parsed.records.size(), 1u);
  const Vulnerability& v = parsed.records[0];
  EXPECT_EQ(v.id, "GO-2021-0159");
  EXPECT_EQ(v.aliases, expected["aliases"].get<std::vector<std::string>>());
  EXPECT_EQ(v.summary, expected["summary"].get<std::string>());
  EXPECT_EQ(v.published, expected["published"].get<std::string>());
  ASSERT_EQ(v.affected.size(), 1u);
  EXPECT_EQ(v.affected[0].ecosystem, sbom::eco::kGo);
  EXPECT_EQ(v.affected[0].name, "stdlib");
  EXPECT_EQ(v.affected[0].rangeType, "SEMVER");
  EXPECT_EQ(v.affected[0].events, eventsOf(expected["affected"][0]["ranges"][0]));
  EXPECT_EQ(v.affected[0].events.back().fixed, "1.4.3");
  EXPECT_EQ(v.affected[0].status, "fixed");
}

// Every Go record: each affected package and each SEMVER range's events, as in the file.
TEST(OsvImporterTest, EveryGoRecordMatchesItsFile) {
  BH_REQUIRE_ADVISORY_DATA(data);
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(data + "/golang-vulndb/osv")) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    const nlohmann::json expected = readJsonFile(entry.path());
    ASSERT_FALSE(expected.is_discarded()) << entry.path();
    const auto parsed = parseWith("osv", entry.path().filename(), readText(entry.path()));
    ASSERT_TRUE(parsed.status.ok()) << entry.path() << ": " << parsed.status.error().message;
    ASSERT_EQ(parsed.records.size(), 1u);
    const Vulnerability& v = parsed.records[0];
    ASSERT_EQ(v.id, expected["id"].get<std::string>());
    EXPECT_EQ(v.withdrawn, expected.value("withdrawn", std::string()));
    std::vector<Affected> want;
    for (const auto& a : expected.value("affected", nlohmann::json::array())) {
      for (const auto& r : a.value("ranges", nlohmann::json::array())) {
        if (r["type"] == "GIT") continue;
        Affected row;
        row.name = a["package"]["name"].get<std::string>();
        row.events = eventsOf(r);
        row.versions = a.value("versions", std::vector<std::string>());
        want.push_back(row);
      }
    }
    ASSERT_EQ(v.affected.size(), want.size()) << v.id;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(v.affected[i].name, want[i].name) << v.id;
      EXPECT_EQ(v.affected[i].events, want[i].events) << v.id;
      EXPECT_EQ(v.affected[i].versions, want[i].versions) << v.id;
      EXPECT_EQ(v.affected[i].ecosystem, "golang") << v.id;
    }
  }
  EXPECT_GT(files, 1000u);
}

// Every PyPA record against python3's own reading of the YAML (BaseLoader: all strings).
TEST(OsvImporterTest, EveryPypaRecordMatchesPythonYaml) {
  BH_REQUIRE_ADVISORY_DATA(data);
  const std::string root = data + "/pypa-advisory-database/vulns";
  const nlohmann::json expected = bulkhead::testing::pythonJson(
      "import yaml,glob,json,sys\n"
      "L=getattr(yaml,'CBaseLoader',yaml.BaseLoader)\n"
      "out={}\n"
      "root='" +
      root +
      "'\n"
      "for f in sorted(glob.glob(root+'/**/*.yaml',recursive=True)):\n"
      "  d=yaml.load(open(f),Loader=L)\n"
      "  "
      "out[d['id']]={'aliases':d.get('aliases',[]),'withdrawn':d.get('withdrawn',''),'affected':[["
      "a['package']['name'],r['type'],r['events'],a.get('versions',[])] for a in "
      "d.get('affected',[]) for r in a.get('ranges',[]) if r['type']!='GIT']}\n"
      "print(json.dumps(out))\n");
  BH_REQUIRE_PYTHON_JSON(expected);
  ImportSink sink(ImportLimits{});
  ASSERT_TRUE(importFeed(root, *findImporter("osv"), sink).ok());
  EXPECT_EQ(sink.skipped(), 0u);
  ASSERT_EQ(sink.records().size(), expected.size());
  for (const Vulnerability& v : sink.records()) {
    ASSERT_TRUE(expected.contains(v.id)) << v.id;
    const auto& e = expected[v.id];
    EXPECT_EQ(v.aliases, e["aliases"].get<std::vector<std::string>>()) << v.id;
    EXPECT_EQ(v.withdrawn, e["withdrawn"].get<std::string>()) << v.id;
    const auto& rows = e["affected"];
    size_t expectedRows = rows.size();
    ASSERT_GE(v.affected.size(), expectedRows) << v.id;
    for (size_t i = 0; i < expectedRows; ++i) {
      const auto& row = rows[i];
      EXPECT_EQ(v.affected[i].ecosystem, "pypi");
      EXPECT_EQ(v.affected[i].name, normalisePackageName("pypi", row[0].get<std::string>()));
      EXPECT_EQ(v.affected[i].rangeType, row[1].get<std::string>());
      nlohmann::json range = {{"events", row[2]}};
      EXPECT_EQ(v.affected[i].events, bulkhead::testing::eventsOf(range)) << v.id;
      EXPECT_EQ(v.affected[i].versions, row[3].get<std::vector<std::string>>()) << v.id;
    }
  }
  // A known record, spelled out.
  const Vulnerability* jinja = findRecord(sink.records(), "PYSEC-2019-217");
  ASSERT_NE(jinja, nullptr);
  ASSERT_FALSE(jinja->affected.empty());
  EXPECT_EQ(jinja->affected[0].name, "jinja2");
  EXPECT_EQ(jinja->affected[0].events.back().fixed, "2.10.1");
  EXPECT_EQ(jinja->affected[0].versions.front(), "2.0");  // quoted '2.0' stays a string
}

TEST(OsvImporterTest, CvssVectorIsScored) {
  const std::string yaml =
      "id: PYSEC-0000-1\n"
      "severity:\n- type: CVSS_V3\n  score: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n"
      "affected:\n- package: {ecosystem: PyPI, name: Foo_Bar.baz}\n"
      "  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n    - last_affected: "
      "1.2\n";
  const auto parsed = parseWith("osv", "x.yaml", yaml);
  ASSERT_TRUE(parsed.status.ok()) << parsed.status.error().message;
  ASSERT_EQ(parsed.records.size(), 1u);
  EXPECT_DOUBLE_EQ(parsed.records[0].cvssScore, 9.8);
  ASSERT_EQ(parsed.records[0].affected.size(), 1u);
  EXPECT_EQ(parsed.records[0].affected[0].name, "foo-bar-baz");
  EXPECT_EQ(parsed.records[0].affected[0].events[1].lastAffected, "1.2");
  EXPECT_EQ(parsed.records[0].affected[0].status, "unfixed");
}

TEST(OsvImporterTest, DistroEcosystemsCarryTheRelease) {
  const std::string json =
      R"({"id":"DEBIAN-CVE-1","affected":[{"package":{"ecosystem":"Debian:12","name":"OpenSSL"},
    "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u1"}]}]}]})";
  const auto parsed = parseWith("osv", "x.json", json);
  ASSERT_TRUE(parsed.status.ok());
  ASSERT_EQ(parsed.records[0].affected.size(), 1u);
  EXPECT_EQ(parsed.records[0].affected[0].ecosystem, "deb");
  EXPECT_EQ(parsed.records[0].affected[0].release, "debian:12");
  EXPECT_EQ(parsed.records[0].affected[0].name, "openssl");
}

// ---- hostile input ------------------------------------------------------------------

TEST(OsvImporterHostileTest, WrongTypesAreClearErrorsOrWarnings) {
  auto p = parseWith("osv", "a.json", R"({"id": 5})");
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.error().message.find("\"id\" is not a string"), std::string::npos);
  p = parseWith("osv", "a.json", R"([1,2,3])");
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.error().message.find("not an object"), std::string::npos);
  p = parseWith("osv", "a.json", R"({"id":"GO-1","affected":"x"})");
  ASSERT_FALSE(p.status.ok());
  p = parseWith(
      "osv", "a.json",
      R"({"id":"GO-1","affected":[{"package":{"ecosystem":"Go","name":"x"},"ranges":[{"type":"SEMVER","events":[{"fixed":7}]}]},
                    {"package":{"ecosystem":"Go","name":"y"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]})");
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.records.size(), 1u);
  ASSERT_EQ(p.records[0].affected.size(), 1u);  // the bad entry is skipped...
  EXPECT_EQ(p.records[0].affected[0].name, "y");
  ASSERT_EQ(p.warnings.size(), 1u);  // ...with a warning naming the file and the record
  EXPECT_NE(p.warnings[0].find("a.json: GO-1: affected[0]"), std::string::npos);
}

TEST(OsvImporterHostileTest, HugeStringsDeepNestingTruncationGarbage) {
  const std::string huge(200 * 1024, 'a');
  auto p = parseWith("osv", "a.json", R"({"id":"GO-1","details":")" + huge + "\"}");
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.error().message.find("longer than"), std::string::npos);

  std::string deep =
      "{\"id\":\"GO-1\",\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  p = parseWith("osv", "a.json", deep);
  EXPECT_FALSE(p.status.ok());
  std::string deepYaml =
      "id: GO-1\nx: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  p = parseWith("osv", "a.yaml", deepYaml);
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.error().message.find("nesting"), std::string::npos);

  p = parseWith("osv", "a.json", R"({"id":"GO-1","affected":[{"package":)");
  EXPECT_FALSE(p.status.ok());
  p = parseWith("osv", "a.yaml", "id: GO-1\naffected:\n- package: {ecosystem: Go, name");
  EXPECT_FALSE(p.status.ok());

  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 131 + 7) & 0xff));
  EXPECT_FALSE(parseWith("osv", "a.json", garbage).status.ok());
  EXPECT_FALSE(parseWith("osv", "a.yaml", garbage).status.ok());

  // Anchors repeating a big node many times are bounded by the node count.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  bomb += "id: GO-1\n";
  EXPECT_FALSE(parseWith("osv", "a.yaml", bomb).status.ok());
}

TEST(OsvImporterHostileTest, FileSizeIsBoundedByTheWalker) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("bh-osv-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "big.json") << std::string(2048, ' ');
    std::ofstream(dir / "good.json") << R"({"id":"GO-2","affected":[]})";
  }
  ImportLimits limits;
  limits.maxFileBytes = 1024;
  ImportSink sink(limits);
  ASSERT_TRUE(importFeed(dir.string(), *findImporter("osv"), sink).ok());
  EXPECT_EQ(sink.records().size(), 1u);
  EXPECT_EQ(sink.skipped(), 1u);
  ASSERT_FALSE(sink.warnings().empty());
  EXPECT_NE(sink.warnings()[0].find("big.json: skipped"), std::string::npos);
  ImportSink missing(limits);
  const Status status = importFeed((dir / "nope").string(), *findImporter("osv"), missing);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("cannot read"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(NamesTest, Normalisation) {
  EXPECT_EQ(normalisePackageName("pypi", "Foo__Bar.-baz"), "foo-bar-baz");
  EXPECT_EQ(normalisePackageName("npm", "@Scope/Pkg"), "@scope/pkg");
  EXPECT_EQ(normalisePackageName("golang", "github.com/Foo/Bar"), "github.com/Foo/Bar");
  EXPECT_EQ(normaliseRelease("deb", "bookworm"), "debian:12");
  EXPECT_EQ(normaliseRelease("deb", "debian:12"), "debian:12");
  EXPECT_EQ(normaliseRelease("deb", "12.4"), "debian:12");
  EXPECT_EQ(normaliseRelease("apk", "alpine:3.11.5"), "alpine:3.11");
  EXPECT_EQ(normaliseRelease("apk", "v3.11"), "alpine:3.11");
}

}  // namespace
}  // namespace bulkhead::vuln
