// Fact paths and the condition language: leaves, all/any/not, each (lists and objects),
// "$." paths, value_path, defaults, and the observations that become evidence.

#include <gtest/gtest.h>

#include "compliance/condition.h"
#include "compliance/fact_path.h"
#include "core/yaml.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

json yaml(const std::string& text) {
  auto docs = parseYamlDocuments(text, "test");
  EXPECT_TRUE(docs.ok()) << (docs ? "" : docs.error().message);
  return (*docs)[0].value;
}

ConditionResult eval(const std::string& condition, const json& facts) {
  auto compiled = compileCondition(yaml(condition));
  EXPECT_TRUE(compiled.ok()) << (compiled ? "" : compiled.error().message);
  return evaluateCondition(**compiled, facts);
}

const json kPod = json::parse(R"({
  "spec": {
    "hostNetwork": false,
    "securityContext": {"runAsNonRoot": true},
    "containers": [
      {"name": "web", "securityContext": {"privileged": false}},
      {"name": "sidecar", "securityContext": {"privileged": true, "runAsNonRoot": false}}
    ],
    "volumes": [{"name": "data", "hostPath": {"path": "/srv"}}, {"name": "tmp", "emptyDir": {}}]
  },
  "metadata": {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "runtime/default", "a": "b"}},
  "hostPathVolumes": ["data"]
})");

TEST(FactPath, ParsesAndResolves) {
  auto path = parseFactPath("metadata.annotations[\"seccomp.security.alpha.kubernetes.io/pod\"]");
  ASSERT_TRUE(path.ok());
  auto matches = resolveFactPath(*path, kPod, kPod, "");
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(*matches[0].value, "runtime/default");
  EXPECT_EQ(matches[0].path, "metadata.annotations[\"seccomp.security.alpha.kubernetes.io/pod\"]");

  matches = resolveFactPath(*parseFactPath("spec.containers[*].name"), kPod, kPod, "");
  ASSERT_EQ(matches.size(), 2u);
  EXPECT_EQ(matches[1].path, "spec.containers[1].name");

  matches = resolveFactPath(*parseFactPath("spec.containers[0].securityContext.capabilities.add"), kPod, kPod, "");
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(matches[0].value, nullptr);  // absent, and the path says which field
  EXPECT_EQ(matches[0].path, "spec.containers[0].securityContext.capabilities.add");

  matches = resolveFactPath(*parseFactPath("spec.volumes[1].@keys"), kPod, kPod, "");
  EXPECT_EQ(*matches[0].value, json::array({"emptyDir", "name"}));
  matches = resolveFactPath(*parseFactPath("spec.missing.@length"), kPod, kPod, "");
  EXPECT_EQ(*matches[0].value, 0);
  matches = resolveFactPath(*parseFactPath("spec.containers.@length"), kPod, kPod, "");
  EXPECT_EQ(*matches[0].value, 2);

  for (const char* bad : {"", "a..b", "a.", "a[", "a[x]", "a[\"x]", "a.@nope", "[1234567890]"}) {
    EXPECT_FALSE(parseFactPath(bad).ok()) << bad;
  }
  EXPECT_EQ(appendKey("a", "b.c"), "a[\"b.c\"]");
  EXPECT_EQ(appendKey("", "plain-key_1"), "plain-key_1");
}

TEST(Condition, LeafWithDefaultAndEvidence) {
  auto r = eval("{path: docker.effective.icc, default: true, op: eq, value: false}", json::object());
  EXPECT_FALSE(r.holds);
  ASSERT_EQ(r.observations.size(), 1u);
  EXPECT_EQ(r.observations[0].path, "docker.effective.icc");
  EXPECT_EQ(r.observations[0].observed, "not set (default true)");
  EXPECT_EQ(r.observations[0].expected, "== false");
  r = eval("{path: a, default: true, op: eq, value: false}", json{{"a", false}});
  EXPECT_TRUE(r.holds);
}

TEST(Condition, EachOverListsReportsFailingElementsWithLabels) {
  auto r = eval("{each: [spec.containers, spec.initContainers], assert: {path: securityContext.privileged, op: neq, value: true}}", kPod);
  EXPECT_FALSE(r.holds);
  ASSERT_EQ(r.observations.size(), 1u);
  EXPECT_EQ(r.observations[0].label, "sidecar");
  EXPECT_EQ(r.observations[0].path, "spec.containers[1].securityContext.privileged");
  r = eval("{each: spec.containers, where: {path: name, op: eq, value: web}, assert: {path: securityContext.privileged, op: eq, value: false}}", kPod);
  EXPECT_TRUE(r.holds);
  ASSERT_EQ(r.observations.size(), 1u);
  EXPECT_EQ(r.observations[0].observed, "1 of 2 element(s) selected");
}

TEST(Condition, RootPathsInsideEach) {
  // PSS runAsNonRoot: the container's own setting, or the pod's when the container does not
  // turn it off.
  const std::string cond = R"(
each: spec.containers
assert:
  any:
    - {path: securityContext.runAsNonRoot, op: eq, value: true}
    - all:
        - {path: $.spec.securityContext.runAsNonRoot, op: eq, value: true}
        - {path: securityContext.runAsNonRoot, op: neq, value: false}
)";
  auto r = eval(cond, kPod);
  EXPECT_FALSE(r.holds);
  bool sawSidecar = false;
  for (const auto& o : r.observations) sawSidecar = sawSidecar || o.label == "sidecar";
  EXPECT_TRUE(sawSidecar);
  for (const auto& o : r.observations) EXPECT_NE(o.label, "web");
}

TEST(Condition, EachOverObjectEntriesWithKeyAndSelf) {
  auto r = eval(R"(
each: metadata.annotations
where: {path: "@key", op: regex, value: '^seccomp'}
assert: {path: "@", op: eq, value: unconfined}
)", kPod);
  EXPECT_FALSE(r.holds);
  ASSERT_EQ(r.observations.size(), 1u);
  EXPECT_EQ(r.observations[0].label, "seccomp.security.alpha.kubernetes.io/pod");
  EXPECT_EQ(r.observations[0].observed, "runtime/default");
}

TEST(Condition, ValuePathComparesWithAnotherFact) {
  const json facts = json::parse(R"({"hostPathVolumes": ["data"], "mounts": [
    {"name": "data", "readOnly": false}, {"name": "tmp"}]})");
  auto r = eval("{each: mounts, where: {path: name, op: in, value_path: $.hostPathVolumes}, assert: {path: readOnly, op: eq, value: true}}", facts);
  EXPECT_FALSE(r.holds);
  ASSERT_EQ(r.observations.size(), 1u);
  EXPECT_EQ(r.observations[0].label, "data");
}

TEST(Condition, NotMarksForbiddenObservations) {
  auto r = eval("{not: {all: [{path: caps, op: contains, value: CAP_SYS_ADMIN}, {path: seccomp, op: absent}]}}",
                json{{"caps", {"CAP_SYS_ADMIN"}}});
  EXPECT_FALSE(r.holds);
  ASSERT_EQ(r.observations.size(), 2u);
  EXPECT_EQ(r.observations[0].expected, "forbidden: contains CAP_SYS_ADMIN");
  r = eval("{not: {path: a, op: eq, value: 1}}", json{{"a", 2}});
  EXPECT_TRUE(r.holds);
}

TEST(Condition, AnyReturnsTheObservationsThatDecided) {
  auto r = eval("{any: [{path: a, op: eq, value: 1}, {path: b, op: eq, value: 2}]}", json{{"a", 0}, {"b", 2}});
  EXPECT_TRUE(r.holds);
  ASSERT_EQ(r.observations.size(), 1u);
  EXPECT_EQ(r.observations[0].path, "b");
  r = eval("{any: [{path: a, op: eq, value: 1}, {path: b, op: eq, value: 3}]}", json{{"a", 0}, {"b", 2}});
  EXPECT_FALSE(r.holds);
  EXPECT_EQ(r.observations.size(), 2u);
}

TEST(Condition, ManyFailuresAreCappedAndCounted) {
  json files = json::array();
  for (int i = 0; i < 100; ++i) files.push_back({{"path", "/f" + std::to_string(i)}, {"mode", 04755}});
  auto r = eval("{each: files, assert: {path: mode, op: bits_none, value: '6000'}}", json{{"files", files}});
  EXPECT_FALSE(r.holds);
  EXPECT_EQ(r.observations.size(), kMaxListedElements);
  EXPECT_EQ(r.omitted, 100 - kMaxListedElements);
  EXPECT_EQ(r.observations[0].observed, "4755");  // modes are shown in octal
}

TEST(Condition, CompileErrorsNameThePosition) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"{all: [{path: a, op: eq, value: 1}, {path: b, op: eqq, value: 1}]}", "all[1].op: unknown operator 'eqq'"},
      {"{path: a, op: eq}", "operator 'eq' needs a value"},
      {"{path: a, op: eq, vlaue: 1}", "unknown key 'vlaue'"},
      {"{each: x}", "'each' needs an 'assert' condition"},
      {"{any: []}", "any: needs a non-empty list"},
      {"{path: 'a..b', op: exists}", "path: path 'a..b'"},
      {"{path: a, op: regex, value_path: b}", "needs a literal value"},
      {"{path: a, op: in, value: [1], value_path: b}", "not both"},
      {"{nothing: 1}", "a condition needs one of"},
      {"[1, 2]", "a condition must be a mapping"},
  };
  for (const auto& c : cases) {
    auto compiled = compileCondition(yaml(c.text));
    ASSERT_FALSE(compiled.ok()) << c.text;
    EXPECT_NE(compiled.error().message.find(c.error), std::string::npos) << c.text << " -> " << compiled.error().message;
  }
  // Nesting is bounded.
  std::string deep = "{path: a, op: exists}";
  for (int i = 0; i < 40; ++i) deep = "{not: " + deep + "}";
  EXPECT_FALSE(compileCondition(yaml(deep)).ok());
}

}  // namespace
}  // namespace bulkhead::compliance
