#pragma once
// Differential testing of the version schemes against the real implementations: cases are
// generated from a fixed seed, written to one file, and judged by one reference process
// (or a linked reference library); every disagreement is a failure, the first ones are
// printed in full with the seed.
//
// A missing reference skips the test with the reason, or fails it when
// BULKHEAD_REQUIRE_TESTBED=1 (scripts/test.sh).

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "support/testbed.h"

namespace bulkhead::vuln::testing {

inline constexpr uint64_t kDifferentialSeed = 20261124;
inline constexpr size_t kDifferentialPairs = 100000;

inline bool testbedRequired() {
  const char* must = std::getenv("BULKHEAD_REQUIRE_TESTBED");
  return must != nullptr && std::string(must) == "1";
}

#define BULKHEAD_REQUIRE_REFERENCE(available, why)                                 \
  do {                                                                             \
    if (!(available)) {                                                            \
      if (::bulkhead::vuln::testing::testbedRequired()) FAIL() << (why);           \
      GTEST_SKIP() << (why);                                                       \
    }                                                                              \
  } while (0)

// A case and the two verdicts; verdicts are "-1", "0", "1" for comparisons, "1"/"0" for
// range checks, "E" for invalid input.
struct Case {
  std::string kind;  // "C" compare, "R" range or specifier check
  std::string a, b;
};

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  size_t below(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(engine_); }
  bool chance(int percent) { return below(100) < static_cast<size_t>(percent); }
  template <typename T>
  const T& pick(const std::vector<T>& items) { return items[below(items.size())]; }
  std::string digits(size_t maxLength) {
    std::string s;
    const size_t n = 1 + below(maxLength);
    for (size_t i = 0; i < n; ++i) s += static_cast<char>('0' + below(10));
    return s;
  }
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

inline std::string signOf(int c) { return c < 0 ? "-1" : (c > 0 ? "1" : "0"); }

// Writes the cases to a file, one "kind<TAB>a<TAB>b" line each, runs argv + [file] once
// and returns its output lines (empty with `error` set on failure).
inline std::vector<std::string> runReference(const std::vector<std::string>& argv, const std::vector<Case>& cases,
                                             std::string& error, const std::map<std::string, std::string>& env = {}) {
  char name[] = "/tmp/bulkhead-version-cases-XXXXXX";
  const int fd = ::mkstemp(name);
  if (fd < 0) {
    error = "cannot create a temporary file";
    return {};
  }
  ::close(fd);
  {
    std::ofstream out(name, std::ios::binary | std::ios::trunc);
    for (const Case& c : cases) out << c.kind << '\t' << c.a << '\t' << c.b << '\n';
  }
  std::vector<std::string> args = argv;
  args.emplace_back(name);
  const auto result = ::bulkhead::testing::runCommand(args, env);
  ::unlink(name);
  if (result.exitCode != 0) {
    error = "reference exited with " + std::to_string(result.exitCode) + ": " + result.err.substr(0, 4000);
    return {};
  }
  std::vector<std::string> lines;
  std::istringstream in(result.out);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  if (lines.size() != cases.size()) {
    error = "reference answered " + std::to_string(lines.size()) + " lines for " + std::to_string(cases.size()) +
            " cases: " + result.err.substr(0, 2000);
    return {};
  }
  return lines;
}

// Compares our verdicts with the reference's; fails with the first disagreements.
inline void expectAgreement(const std::string& what, uint64_t seed, const std::vector<Case>& cases,
                            const std::vector<std::string>& reference,
                            const std::function<std::string(const Case&)>& ours) {
  size_t disagreements = 0, invalid = 0;
  std::ostringstream report;
  std::map<std::string, size_t> verdicts;
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string mine = ours(cases[i]);
    ++verdicts[reference[i]];
    if (reference[i] == "E") ++invalid;
    if (mine != reference[i]) {
      if (++disagreements <= 25) {
        report << "  " << cases[i].kind << " [" << cases[i].a << "] [" << cases[i].b << "]: reference " << reference[i]
               << ", bulkhead " << mine << "\n";
      }
    }
  }
  std::ostringstream summary;
  for (const auto& [verdict, count] : verdicts) summary << verdict << ":" << count << " ";
  EXPECT_EQ(disagreements, 0u) << what << ": " << disagreements << " disagreements in " << cases.size()
                               << " cases (seed " << seed << "); first ones:\n"
                               << report.str();
  std::cout << "[ differential ] " << what << ": " << cases.size() << " cases, " << disagreements
            << " disagreements, reference verdicts " << summary.str() << "(seed " << seed << ")\n";
  // A generator that only makes invalid input proves nothing.
  EXPECT_LT(invalid, cases.size() / 2) << what << ": too many invalid cases";
}

}  // namespace bulkhead::vuln::testing
