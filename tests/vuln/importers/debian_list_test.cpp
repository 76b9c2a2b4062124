// Debian security tracker list importer on the real DSA and DLA lists (expectations from
// a python3 reading of the same files), and hostile input.

#include <gtest/gtest.h>

#include "importer_test_util.h"
#include "vuln/db/names.h"

namespace bulkhead::vuln {
namespace {

using bulkhead::testing::findRecord;
using bulkhead::testing::parseWith;
using bulkhead::testing::readText;

// id -> [[release codename, package, version or <state>], ...] and aliases.
nlohmann::json pythonReading(const std::string& path) {
  return bulkhead::testing::pythonJson(
      "import json,re\n"
      "out={};cur=None\n"
      "for line in open('" +
      path +
      "',encoding='utf-8',errors='replace'):\n"
      "  m=re.match(r'^\\[([^\\]]*)\\]\\s+((?:DSA|DLA|DTSA)-\\S+)',line)\n"
      "  if m:\n"
      "    cur=out.setdefault(m.group(2),{'rows':[],'aliases':[]}); continue\n"
      "  if cur is None: continue\n"
      "  m=re.match(r'^\\s+\\{([^}]*)\\}',line)\n"
      "  if m: cur['aliases']+=m.group(1).split(); continue\n"
      "  m=re.match(r'^\\s+\\[([a-z-]+)\\]\\s+-\\s+(\\S+)\\s+(\\S+)',line)\n"
      "  if m: cur['rows'].append([m.group(1),m.group(2),m.group(3)])\n"
      "print(json.dumps(out))\n");
}

void checkList(const std::string& path, const std::string& relative) {
  const nlohmann::json expected = pythonReading(path);
  BH_REQUIRE_PYTHON_JSON(expected);
  const auto p = parseWith("debian-list", relative, readText(path));
  ASSERT_TRUE(p.status.ok()) << p.status.error().message;
  ASSERT_EQ(p.records.size(), expected.size());
  for (const Vulnerability& v : p.records) {
    ASSERT_TRUE(expected.contains(v.id)) << v.id;
    const auto& e = expected[v.id];
    EXPECT_EQ(v.aliases, e["aliases"].get<std::vector<std::string>>()) << v.id;
    ASSERT_EQ(v.affected.size(), e["rows"].size()) << v.id;
    for (size_t i = 0; i < v.affected.size(); ++i) {
      const Affected& a = v.affected[i];
      const auto& row = e["rows"][i];
      EXPECT_EQ(a.ecosystem, "deb");
      EXPECT_EQ(a.release, normaliseRelease("deb", row[0].get<std::string>())) << v.id;
      EXPECT_EQ(a.name, row[1].get<std::string>()) << v.id;
      const std::string version = row[2].get<std::string>();
      if (version.front() == '<') {
        EXPECT_EQ("<" + a.status + ">", version) << v.id;
        EXPECT_TRUE(a.events.empty());
      } else {
        EXPECT_EQ(a.status, "fixed");
        ASSERT_EQ(a.events.size(), 2u);
        EXPECT_EQ(a.events[1].fixed, version) << v.id;
      }
    }
  }
}

TEST(DebianListImporterTest, EveryDsaMatchesThePythonReading) {
  BH_REQUIRE_ADVISORY_DATA(data);
  checkList(data + "/debian-security-tracker/DSA/list", "DSA/list");
}

TEST(DebianListImporterTest, EveryDlaMatchesThePythonReading) {
  BH_REQUIRE_ADVISORY_DATA(data);
  checkList(data + "/debian-security-tracker/DLA/list", "DLA/list");
}

TEST(DebianListImporterTest, KnownAdvisories) {
  BH_REQUIRE_ADVISORY_DATA(data);
  const auto p =
      parseWith("debian-list", "DSA/list", readText(data + "/debian-security-tracker/DSA/list"));
  ASSERT_TRUE(p.status.ok());
  const Vulnerability* v = findRecord(p.records, "DSA-5380-1");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->published, "2023-03-29");
  EXPECT_EQ(v->aliases, std::vector<std::string>{"CVE-2023-1393"});
  ASSERT_EQ(v->affected.size(), 1u);
  EXPECT_EQ(v->affected[0].release, "debian:11");  // bullseye
  EXPECT_EQ(v->affected[0].name, "xorg-server");
  EXPECT_EQ(v->affected[0].rangeType, "DISTRO");
  EXPECT_EQ(v->affected[0].events[1].fixed, "2:1.20.11-1+deb11u6");
}

TEST(DebianListImporterHostileTest, BrokenLinesAreWarningsWithLineNumbers) {
  const std::string text =
      "[29 Mar 2023] DSA-1-1 foo - security update\n"
      "\t{CVE-2023-1}\n"
      "\t[bullseye] - foo\n"                // no version
      "\t[bullseye - foo 1.0\n"             // no closing bracket
      "\t[bullseye] - foo <weird-state>\n"  // unknown state
      "\t[bookworm] - foo 1.0-1\n"
      "garbage at column zero\n"
      "[no id here] - nothing\n"
      "\t[bullseye] - bar 1.0\n"  // belongs to the bad header: dropped
      "[01 Apr 2023] DLA-2-1 bar\n"
      "\t[buster] - bar <not-affected> (reason)\n";
  const auto p = parseWith("debian-list", "DSA/list", text);
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.records.size(), 2u);
  ASSERT_EQ(p.records[0].affected.size(), 1u);
  EXPECT_EQ(p.records[0].affected[0].release, "debian:12");
  EXPECT_EQ(p.records[1].affected[0].status, "not-affected");
  ASSERT_EQ(p.warnings.size(), 5u);
  EXPECT_NE(p.warnings[0].find("DSA/list:3: DSA-1-1"), std::string::npos);
}

TEST(DebianListImporterHostileTest, GarbageAndHugeLines) {
  EXPECT_FALSE(parseWith("debian-list", "list", std::string("\0\1\2\3", 4)).status.ok());
  EXPECT_FALSE(parseWith("debian-list", "list", "just text\nmore text\n").status.ok());
  const std::string huge = "[01 Apr 2023] DLA-2-1 bar\n\t{" + std::string(100000, 'C') + "}\n";
  const auto p = parseWith("debian-list", "list", huge);
  ASSERT_TRUE(p.status.ok());
  EXPECT_TRUE(p.records[0].aliases.empty());
  EXPECT_FALSE(p.warnings.empty());
  // Truncated in the middle of a release line: the partial line is dropped, not misread.
  const auto t = parseWith("debian-list", "list", "[01 Apr 2023] DLA-2-1 bar\n\t[buster] - ba");
  ASSERT_TRUE(t.status.ok());
  EXPECT_TRUE(t.records[0].affected.empty());
}

}  // namespace
}  // namespace bulkhead::vuln
