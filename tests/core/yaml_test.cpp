// Bounded YAML: Kubernetes' scalar resolution, duplicate keys, merge keys, aliases, depth,
// line numbers and the errors, which name the file and line.

#include <gtest/gtest.h>

#include "core/yaml.h"

namespace bulkhead {
namespace {

using nlohmann::json;

json one(const std::string& text) {
  auto docs = parseYamlDocuments(text, "t.yaml");
  EXPECT_TRUE(docs.ok()) << (docs ? "" : docs.error().message);
  return docs && !docs->empty() ? (*docs)[0].value : json();
}

TEST(YamlJson, ScalarsResolveAsKubernetesReadsThem) {
  const json v = one(R"(
a: yes
b: off
q: n
c: "yes"
d: 0644
e: 0x1F
f: 1_000
g: -12
h: 1.5
i: ~
j:
k: "0644"
l: 'true'
m: 99999999999999999999999
n: 1e3
o: !!str 12
p: nginx:1.25
)");
  EXPECT_EQ(v["a"], true);
  EXPECT_EQ(v["b"], false);
  EXPECT_EQ(v["q"], "n");
  EXPECT_EQ(v["c"], "yes");
  EXPECT_EQ(v["d"], 0644);
  EXPECT_EQ(v["e"], 31);
  EXPECT_EQ(v["f"], 1000);
  EXPECT_EQ(v["g"], -12);
  EXPECT_EQ(v["h"], 1.5);
  EXPECT_TRUE(v["i"].is_null());
  EXPECT_TRUE(v["j"].is_null());
  EXPECT_EQ(v["k"], "0644");
  EXPECT_EQ(v["l"], "true");
  EXPECT_EQ(v["m"], "99999999999999999999999");
  EXPECT_EQ(v["n"], 1000.0);
  EXPECT_EQ(v["o"], "12");
  EXPECT_EQ(v["p"], "nginx:1.25");
}

TEST(YamlJson, DocumentsListsAndLines) {
  auto docs = parseYamlDocuments("a: 1\n---\n# c\nkind: Pod\nspec:\n  containers:\n    - name: x\n      image: nginx\n",
                                 "t.yaml", {}, true);
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);
  const auto& pod = (*docs)[1];
  EXPECT_EQ(pod.value["spec"]["containers"][0]["image"], "nginx");
  EXPECT_EQ(pod.lines.at("kind"), 4);
  EXPECT_EQ(pod.lines.at("spec.containers[0].image"), 8);
  // JSON is YAML too.
  EXPECT_EQ(one(R"({"kind": "Pod", "n": [1, 2]})")["n"][1], 2);
}

TEST(YamlJson, MergeKeysApplyAndOwnKeysWin) {
  const json v = one("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n");
  EXPECT_EQ(v["derived"], (json{{"x", 1}, {"y", 3}}));
}

TEST(YamlJson, HostileInputGivesErrorsNamingFileAndLine) {
  struct Case {
    std::string text;
    const char* error;
  } cases[] = {
      {"a: 1\nb: [1, 2\n", "t.yaml:"},
      {"a: 1\nprivileged: false\nprivileged: true\n", "t.yaml:3: duplicate mapping key 'privileged'"},
      {std::string("a: \0b", 5), "NUL byte"},
      {"? [a, b]\n: c\n", "mapping key is not a scalar"},
      {"x: &a [1]\ny: <<\n", ""},
  };
  for (const auto& c : cases) {
    auto docs = parseYamlDocuments(c.text, "t.yaml");
    if (std::string(c.error).empty()) continue;  // only must not crash
    ASSERT_FALSE(docs.ok()) << c.text;
    EXPECT_NE(docs.error().message.find(c.error), std::string::npos) << docs.error().message;
  }
}

TEST(YamlJson, MalformedStreamsThatNeverEndStop) {
  // yaml-cpp 0.7 returns empty documents forever after this (found by compliance_yaml_fuzz).
  const std::string text = "{\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"x\"}\n  },\n  \"spec\": {}\n}\n";
  auto docs = parseYamlDocuments(text, "loop.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.error().message.find("loop.yaml: more than 10000 YAML documents"), std::string::npos)
      << docs.error().message;
}

TEST(YamlJson, AliasBombsAndDeepNestingStop) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", " : "") + "*" + prev;
    bomb += "]\n";
    prev = c;
  }
  auto docs = parseYamlDocuments(bomb, "bomb.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.error().message.find("more than"), std::string::npos) << docs.error().message;

  std::string deep(200, '[');
  deep += std::string(200, ']');
  docs = parseYamlDocuments(deep, "deep.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.error().message.find("deeper than 64"), std::string::npos) << docs.error().message;

  std::string veryDeep(100000, '[');
  EXPECT_FALSE(parseYamlDocuments(veryDeep, "very-deep.yaml").ok());  // yaml-cpp's own guard

  YamlLimits small;
  small.maxBytes = 10;
  EXPECT_FALSE(parseYamlDocuments("a: 1234567890", "big.yaml", small).ok());
}

}  // namespace
}  // namespace bulkhead
