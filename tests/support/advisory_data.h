#pragma once
// The shared advisory snapshots (../shared/data/advisories) for importer and store tests:
// $BULKHEAD_ADVISORY_DATA, else the path CMake baked in (../shared/data/advisories).
// Without any: a failure under BULKHEAD_REQUIRE_TESTBED=1, a skip with the reason otherwise.
// Expected values come from reading the files here (nlohmann::json, or python3 with PyYAML's
// BaseLoader for YAML), never from the importers under test.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "support/testbed.h"

namespace bulkhead::testing {

inline bool isDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

inline std::string advisoryDataDir() {
  if (const char* env = std::getenv("BULKHEAD_ADVISORY_DATA"); env && *env && isDirectory(env)) {
    return env;
  }
#ifdef BULKHEAD_ADVISORY_DATA
  if (isDirectory(BULKHEAD_ADVISORY_DATA)) return BULKHEAD_ADVISORY_DATA;
#endif
  return {};
}

inline std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline nlohmann::json readJsonFile(const std::string& path) {
  return nlohmann::json::parse(readText(path), nullptr, false);
}

// Runs a python3 program that prints JSON; a discarded value when python3 or PyYAML fail.
inline nlohmann::json pythonJson(const std::string& program) {
  const CommandResult r = runCommand({"python3", "-c", program});
  if (r.exitCode != 0) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(r.out, nullptr, false);
}

}  // namespace bulkhead::testing

#define BH_REQUIRE_ADVISORY_DATA(dir)                                                              \
  const std::string dir = ::bulkhead::testing::advisoryDataDir();                                  \
  do {                                                                                             \
    if (dir.empty()) {                                                                             \
      const char* must = std::getenv("BULKHEAD_REQUIRE_TESTBED");                                  \
      if (must && std::string(must) == "1") FAIL() << "advisory data required but missing";        \
      GTEST_SKIP() << "no advisory data: set BULKHEAD_ADVISORY_DATA to ../shared/data/advisories"; \
    }                                                                                              \
  } while (0)

#define BH_REQUIRE_PYTHON_JSON(value)                                                      \
  do {                                                                                     \
    if ((value).is_discarded()) {                                                          \
      const char* must = std::getenv("BULKHEAD_REQUIRE_TESTBED");                          \
      if (must && std::string(must) == "1") FAIL() << "python3 with PyYAML is required";   \
      GTEST_SKIP() << "python3 with PyYAML (python3-yaml) is needed for this expectation"; \
    }                                                                                      \
  } while (0)
