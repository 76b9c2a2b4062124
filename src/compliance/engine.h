#pragma once
// Runs checks against subjects and scores the results. Pure: collectors have already
// gathered everything, so the same engine serves the CLI, the agent and the controller.

#include <optional>
#include <string>
#include <vector>

#include "compliance/check.h"
#include "compliance/subject.h"

namespace bulkhead::compliance {

struct Totals {
  size_t pass = 0;
  size_t fail = 0;
  size_t manual = 0;
  size_t notApplicable = 0;
  size_t error = 0;
  void add(Status status);
  // Percent of passed among passed and failed results; nullopt when there are none.
  std::optional<double> score() const;
};

struct SectionScore {
  std::string key;    // "2"
  std::string title;  // "Docker daemon configuration"
  std::string benchmark;
  Totals totals;
};

struct Report {
  Target target = Target::kHost;
  std::string description;            // "host /", "image debian:12", "3 Kubernetes workloads"
  std::vector<std::string> inputs;    // files or references read
  std::vector<std::string> subjects;  // subject names, in order
  std::vector<const Check*> checks;   // the checks that ran, in catalogue order
  std::vector<CheckResult> results;   // per check, per subject
  std::vector<SectionScore> sections;
  Totals totals;
  std::vector<std::string> warnings;  // collection warnings (skipped documents, ...)
};

// Evaluates every check against every subject of its target.
Report runChecks(const std::vector<const Check*>& checks, const std::vector<Subject>& subjects,
                 Target target, std::string description);

// True when a failed result is at or above `threshold` (the --fail-on gate).
bool failsGate(const Report& report, Severity threshold);
bool hasErrors(const Report& report);

}  // namespace bulkhead::compliance
