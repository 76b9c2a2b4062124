#pragma once
// Access to the test bed (tests/testbed/testbed.sh): real images and registries. Tests
// that need it call BULKHEAD_REQUIRE_TESTBED(): without BULKHEAD_TESTBED_ENV they skip
// with a reason, unless BULKHEAD_REQUIRE_TESTBED=1 (as scripts/test.sh sets), where a
// missing test bed is a failure.

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace bulkhead::testing {

// The test bed's KEY=VALUE settings, or nullptr when there is none.
const std::map<std::string, std::string>* testbedEnv();
std::string testbedValue(const std::string& key);
// The bulkhead binary under test ($BULKHEAD_BINARY).
std::string bulkheadBinary();

struct CommandResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};
// Runs argv without a shell; captures stdout and stderr.
CommandResult runCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {});

}  // namespace bulkhead::testing

#define BULKHEAD_REQUIRE_TESTBED()                                                     \
  do {                                                                                 \
    if (::bulkhead::testing::testbedEnv() == nullptr) {                                \
      const char* must = std::getenv("BULKHEAD_REQUIRE_TESTBED");                      \
      if (must && std::string(must) == "1") FAIL() << "test bed required but missing"; \
      GTEST_SKIP() << "no test bed: set BULKHEAD_TESTBED_ENV (scripts/test.sh does)";  \
    }                                                                                  \
  } while (0)
