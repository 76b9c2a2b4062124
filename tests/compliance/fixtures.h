#pragma once
// Real targets for the compliance tests, good and bad, with the verdict each check must
// reach on each. Every target's test checks its own fixtures; coverage_test.cpp runs them
// all and checks that every automated check passes on one and fails on another.
//
//   host:      synthetic host roots (daemon.json, units, sockets, certificates, audit rules,
//              /proc/sys, mountinfo, a dockerd command line) built in a temp dir, as root
//   image:     OCI layouts built with LayoutBuilder from tars made in the test
//   container: runc bundles made with `runc spec` and varied, and real containers run
//              with `runc run` (their state.json under /run/runc)
//   k8s:       the manifests in tests/compliance/k8s/, annotated with their expectations

#include <map>
#include <string>
#include <vector>

#include "compliance/engine.h"
#include "compliance/subject.h"

namespace bulkhead::compliance::testing {

struct FixtureRun {
  std::string name;   // "host/bad"
  Report report;      // every check of the target against the fixture's subjects
  // check ID -> subject -> the statuses allowed ("pass", "fail", "not_applicable",
  // "manual", or several joined by '|'); subject "" stands for every subject of the run.
  std::map<std::string, std::map<std::string, std::string>> expected;
  std::string skipReason;  // non-empty when the fixture could not be built here
};

// Each returns its fixtures; a fixture that cannot be built (not root, no runc) has a
// skip reason instead of a report.
std::vector<FixtureRun> hostFixtures();
std::vector<FixtureRun> imageFixtures();
std::vector<FixtureRun> containerFixtures();
std::vector<FixtureRun> k8sFixtures();

// Compares a run's results with its expectations; returns the mismatches, one per line.
std::string mismatches(const FixtureRun& run);

// Helpers shared by the tests.
std::string writeFile(const std::string& path, const std::string& content, unsigned mode = 0644,
                      int uid = 0, int gid = 0);
std::string runcBinary();  // "" when runc is not installed
const CheckResult* findResult(const Report& report, const std::string& id, const std::string& subject = "");
std::string dataDir();  // tests/compliance

}  // namespace bulkhead::compliance::testing
