// Kubernetes checks on the manifests in tests/compliance/k8s, each annotated with what it
// must pass and fail.

#include <gtest/gtest.h>

#include "fixtures.h"

namespace bulkhead::compliance {
namespace {

using testing::findResult;

TEST(K8sChecks, ManifestsMatchTheirAnnotations) {
  const auto fixtures = testing::k8sFixtures();
  ASSERT_EQ(fixtures.size(), 1u);
  const auto& run = fixtures[0];
  ASSERT_EQ(run.skipReason, "");
  EXPECT_EQ(run.report.subjects.size(), 7u);
  EXPECT_EQ(testing::mismatches(run), "");
}

TEST(K8sChecks, EvidencePointsAtTheLineInTheManifest) {
  const auto fixtures = testing::k8sFixtures();
  const auto& run = fixtures[0];
  const CheckResult* privileged = findResult(run.report, "BH-K8S-005", "Pod debug");
  ASSERT_NE(privileged, nullptr);
  ASSERT_EQ(privileged->status, Status::kFail);
  const Evidence& e = privileged->evidence[0];
  EXPECT_TRUE(e.file.ends_with("k8s/kitchen-sink.yaml"));
  EXPECT_EQ(e.path, "spec.containers[0].securityContext.privileged");
  EXPECT_EQ(e.line, 36);
  EXPECT_EQ(e.observed, "true");  // written "yes": YAML 1.1, as the API server reads it
  EXPECT_EQ(e.label, "shell");
  const CheckResult* nonRoot = findResult(run.report, "BH-K8S-103", "StatefulSet data/db");
  ASSERT_NE(nonRoot, nullptr);
  bool containerLevel = false;
  for (const auto& ev : nonRoot->evidence) {
    containerLevel = containerLevel || ev.path == "spec.template.spec.containers[0].securityContext.runAsNonRoot";
  }
  EXPECT_TRUE(containerLevel);
  const CheckResult* writable = findResult(run.report, "BH-K8S-213", "Pod debug");
  ASSERT_EQ(writable->evidence.size(), 1u);
  EXPECT_EQ(writable->evidence[0].label, "shell / docker");
  const CheckResult* list = findResult(run.report, "BH-K8S-006", "DaemonSet monitoring/log-agent");
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->evidence[0].path, "items[0].spec.template.spec.containers[0].securityContext.capabilities.add");
  EXPECT_EQ(list->evidence[0].note, "not allowed: NET_ADMIN");
}

}  // namespace
}  // namespace bulkhead::compliance
