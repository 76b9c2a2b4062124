#pragma once
// One function per evaluator, each defined in its own file and listed in evaluators.cpp.

#include "compliance/evaluator.h"

namespace bulkhead::compliance {

const Evaluator& assertEvaluator();      // assert_evaluator.cpp
const Evaluator& manualEvaluator();      // manual_evaluator.cpp
const Evaluator& filePermsEvaluator();   // file_perms_evaluator.cpp
const Evaluator& auditWatchEvaluator();  // audit_watch_evaluator.cpp
const Evaluator& sysctlEvaluator();      // sysctl_evaluator.cpp

}  // namespace bulkhead::compliance
