// The built-in catalogue loads and is complete; check files with mistakes are refused with
// the file, line and check named; user check files add checks; selection works.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "compliance/catalog.h"
#include "compliance/evaluator.h"
#include "fixtures.h"
#include "support/layout_builder.h"

namespace bulkhead::compliance {
namespace {

TEST(Catalog, BuiltinChecksLoadAndAreComplete) {
  auto catalog = Catalog::loadBuiltin();
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  std::map<Target, int> automated;
  std::set<std::string> ids;
  for (const auto& c : catalog->checks()) {
    EXPECT_TRUE(ids.insert(c->id).second) << c->id;
    EXPECT_FALSE(c->title.empty()) << c->id;
    EXPECT_FALSE(c->rationale.empty()) << c->id;
    EXPECT_FALSE(c->remediation.empty()) << c->id;
    EXPECT_FALSE(c->section.empty()) << c->id;
    EXPECT_FALSE(c->sectionTitle.empty()) << c->id;
    EXPECT_FALSE(c->benchmark.empty()) << c->id;
    EXPECT_NE(c->evaluator, nullptr) << c->id;
    EXPECT_NE(c->params, nullptr) << c->id;
    EXPECT_TRUE(c->source.starts_with("checks/")) << c->id;
    const std::string prefix = std::string("BH-") +
                               (c->target == Target::kHost        ? "HOST-"
                                : c->target == Target::kImage     ? "IMG-"
                                : c->target == Target::kContainer ? "CTR-"
                                                                  : "K8S-");
    EXPECT_TRUE(c->id.starts_with(prefix)) << c->id;
    if (c->automated) ++automated[c->target];
    if (c->target != Target::kK8s && c->benchmark.starts_with("CIS")) {
      // CIS-mapped checks carry the CIS number, or name why not in their controls.
      EXPECT_TRUE(!c->reference.empty() || !c->controls.empty()) << c->id;
    }
  }
  int total = 0;
  for (const auto& [t, n] : automated) total += n;
  EXPECT_GE(total, 80);
  EXPECT_GE(automated[Target::kHost], 60);
  EXPECT_GE(automated[Target::kImage], 20);
  EXPECT_GE(automated[Target::kContainer], 25);
  EXPECT_GE(automated[Target::kK8s], 30);
  // The CIS Docker numbers the brief names are all there.
  std::set<std::string> refs;
  for (const auto& c : catalog->checks()) refs.insert(c->reference);
  for (const char* r : {"1.1.1", "1.1.3", "1.1.18", "2.2", "2.7", "2.14", "2.18", "3.1", "3.16", "3.24", "4.1", "4.6",
                        "4.7", "4.8", "4.9", "4.10", "5.2", "5.4", "5.5", "5.6", "5.10", "5.13", "5.22", "5.26",
                        "5.29", "5.32", "baseline/Privileged Containers", "restricted/Seccomp"}) {
    EXPECT_TRUE(refs.count(r)) << r;
  }
}

TEST(Catalog, EveryEvaluatorIsListedOnceAndDocumented) {
  std::set<std::string> names;
  for (const Evaluator* e : evaluators()) {
    EXPECT_TRUE(names.insert(e->name()).second) << e->name();
    EXPECT_GT(std::string(e->summary()).size(), 10u);
    EXPECT_EQ(findEvaluator(e->name()), e);
  }
  EXPECT_EQ(names, (std::set<std::string>{"assert", "manual", "file_perms", "audit_watch", "sysctl"}));
}

const char* kHeader = R"(target: k8s
sections:
  w: Workloads
checks:
)";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string check(const std::string& body) {
  return std::string(kHeader) + R"(  - id: X-1
    section: w
    title: t
    severity: low
    automated: true
    rationale: r
    remediation: f
)" + body;
}

TEST(Catalog, MistakesAreRefusedWithFileLineAndCheck) {
  struct Case {
    std::string text;
    const char* error;
  } cases[] = {
      {check("    params: {path: a, op: eqq, value: 1}\n"), "user.yaml:12: check X-1: params.op: unknown operator 'eqq'"},
      {check("    params:\n      all:\n        - {path: a, op: exists}\n        - {path: b, op: regex, value: '('}\n"),
       "user.yaml:15: check X-1: params.all[1].value: bad regex"},
      {check("    evaluator: sysctl\n    params: {key: a, op: eq, value: 1}\n"), "does not work on target k8s"},
      {check("    evaluator: nope\n    params: {}\n"), "unknown evaluator 'nope'"},
      {check("    params: {path: a, op: exists}\n    sevrity: low\n"), "unknown field 'sevrity'"},
      {check("    params: {path: a, op: exists}\n") + check("").substr(std::string(kHeader).size()) +
           "    params: {path: a, op: exists}\n",
       "duplicate check ID"},
      {std::string(kHeader) + "  - id: X-2\n    section: nope\n    title: t\n    severity: low\n    automated: true\n"
                              "    rationale: r\n    remediation: f\n    params: {path: a, op: exists}\n",
       "section 'nope' is not declared"},
      {replaced(check("    params: {path: a, op: exists}\n"), "severity: low", "severity: urgent"), "unknown severity"},
      {replaced(check("    params: {path: a, op: exists}\n"), "automated: true", "automated: false"),
       "uses evaluator 'manual'"},
      {replaced(check("    params: {path: a, op: exists}\n"), "target: k8s", "target: cloud"), "unknown target 'cloud'"},
      {check("    params: {path: a, op: exists\n"), "user.yaml:"},
      {"just text", "a check file is one YAML mapping"},
  };
  for (const auto& c : cases) {
    Catalog catalog;
    auto added = catalog.addYaml(c.text, "user.yaml");
    ASSERT_FALSE(added.ok()) << c.text;
    EXPECT_NE(added.error().message.find(c.error), std::string::npos) << c.error << "\n  got: " << added.error().message;
  }
}

TEST(Catalog, UserCheckFilesAddChecks) {
  const std::string dir = bulkhead::testing::makeTempDir("user-checks");
  testing::writeFile(dir + "/extra.yaml", check("    params: {path: spec.hostNetwork, op: neq, value: true}\n"));
  testing::writeFile(dir + "/notes.txt", "ignored");
  auto catalog = Catalog::loadBuiltin();
  ASSERT_TRUE(catalog.ok());
  const size_t before = catalog->checks().size();
  ASSERT_TRUE(catalog->addPath(dir).ok());
  EXPECT_EQ(catalog->checks().size(), before + 1);
  EXPECT_NE(catalog->find("X-1"), nullptr);
  EXPECT_EQ(catalog->find("X-1")->source, dir + "/extra.yaml:5");
  auto again = catalog->addPath(dir + "/extra.yaml");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("duplicate check ID"), std::string::npos);
  EXPECT_FALSE(catalog->addPath(dir + "/missing.yaml").ok());
}

TEST(Catalog, SelectionByIdPatternReferenceAndControl) {
  const Catalog& catalog = Catalog::builtin();
  const Check* icc = catalog.find("BH-HOST-202");
  ASSERT_NE(icc, nullptr);
  EXPECT_TRUE((Selection{{"BH-HOST-2*"}, {}}).matches(*icc));
  EXPECT_TRUE((Selection{{"2.2"}, {}}).matches(*icc));
  EXPECT_TRUE((Selection{{"check_2_2"}, {}}).matches(*icc));
  EXPECT_FALSE((Selection{{"BH-HOST-3*"}, {}}).matches(*icc));
  EXPECT_FALSE((Selection{{}, {"BH-HOST-202"}}).matches(*icc));
  EXPECT_TRUE((Selection{}).matches(*icc));
  const Check* privileged = catalog.find("BH-K8S-005");
  ASSERT_NE(privileged, nullptr);
  EXPECT_TRUE((Selection{{"C-0057"}, {}}).matches(*privileged));
}

TEST(Catalog, RequirementsGatherWhatHostChecksName) {
  const auto req = requirementsOf(Catalog::builtin().forTarget(Target::kHost));
  EXPECT_TRUE(req.files.count("/etc/docker"));
  EXPECT_TRUE(req.globs.count("/etc/docker/certs.d/*/*"));
  EXPECT_TRUE(req.factFiles.count("docker.effective.tlskey"));
  EXPECT_TRUE(req.sysctls.count("kernel.kptr_restrict"));
}

}  // namespace
}  // namespace bulkhead::compliance
