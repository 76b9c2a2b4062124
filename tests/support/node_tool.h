#pragma once
// A node tool of the tests (tests/tools/<name>: a package.json, its package-lock.json and
// scripts), installed with `npm ci` from the committed lockfile into the build tree once
// per lockfile; an flock keeps parallel test processes from installing twice.

#include <string>
#include <vector>

namespace bulkhead::testing {

struct NodeTool {
  std::string dir;    // the scripts and node_modules
  std::string error;  // why it could not be installed; empty when it is
};

// Copies `files` (besides package.json and package-lock.json) from `source` into
// `buildRoot`/<lockfile hash> and installs the dependencies there.
NodeTool installNodeTool(const std::string& source, const std::string& buildRoot,
                         const std::vector<std::string>& files);

// BULKHEAD_REQUIRE_TESTBED=1: missing tools are failures, not skips.
bool testbedRequired();

}  // namespace bulkhead::testing
