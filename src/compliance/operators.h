#pragma once
// The closed set of operators a check may use to compare an observed fact with what it
// expects. Adding one is a change to the engine, not to a check file: keep the set small.
// Every operator is defined for an absent observation (see docs/compliance.md).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s <regex> when building
// with sanitizers (std::function in the NFA's states); the header is fine.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace bulkhead::compliance {

enum class Op {
  kEq,           // equal (numbers compare by value; "1" equals 1)
  kNeq,          // not equal
  kIn,           // equal to one of a list
  kNotIn,        // equal to none of a list
  kExists,       // present and not null
  kAbsent,       // missing or null
  kEmpty,        // absent, "", [] or {}
  kNotEmpty,     // present and not empty
  kRegex,        // a string matching an ECMAScript regex ("(?i)" prefix: ignore case)
  kNotRegex,     // absent, or a string not matching
  kLt,           // numeric comparisons
  kLte,
  kGt,
  kGte,
  kModeAtMost,   // a file mode with no permission bit beyond the given octal mode
  kBitsAny,      // an integer with any of the given octal bits set
  kBitsNone,     // an integer with none of the given octal bits set (absent: true)
  kContains,     // a list holding the value, or a string holding the substring
  kNotContains,
  kContainsAny,  // a list sharing an element with the given list
  kContainsNone,
  kSubsetOf,     // every element of a list (or the scalar) is in the given list
  kUnique,       // a list with no duplicate elements
  kUnder,        // a path equal to or below one of the given paths (lexically cleaned)
  kNotUnder,
};

struct OpInfo {
  Op op;
  const char* name;      // as written in check files: "mode_at_most"
  bool takesValue;
  const char* meaning;   // for docs and --help
};
const std::vector<OpInfo>& allOperators();
const char* opName(Op op);
Result<Op> parseOp(std::string_view name);

// An operator with its expected value, checked and compiled once when checks load.
class Operand {
 public:
  // `value` is ignored for operators that take none; `hasValue` says if one was given.
  static Result<Operand> compile(Op op, const nlohmann::json& value, bool hasValue);

  // `observed` null means absent. `detail`, if given, receives what made it fail or hold
  // when that is more than the observed value (extra capabilities, duplicate ids, bits).
  bool test(const nlohmann::json* observed, std::string* detail = nullptr) const;
  // What is expected, for evidence: "== false", "mode at most 0644", "in [a, b]".
  std::string describe() const;
  Op op() const { return op_; }

 private:
  Op op_ = Op::kEq;
  nlohmann::json value_;
  std::vector<std::regex> regexes_;
  std::vector<std::string> patterns_;  // regex sources, for describe()
  uint32_t bits_ = 0;
  std::vector<std::string> paths_;
};

// Renders a fact for evidence: strings as they are, anything else as compact JSON,
// cut at `maxChars`; null as "absent".
std::string renderValue(const nlohmann::json* value, size_t maxChars = 160);

// Cleans a path lexically ("/a//b/../c/" -> "/a/c"); ".." never climbs above "/".
std::string cleanPath(std::string_view path);

// Regex search over bounded windows, so hostile long strings cannot exhaust the stack of
// std::regex's recursive matcher. Documented limit: a match longer than 1 KiB that spans
// two 4 KiB windows can be missed.
bool boundedRegexSearch(const std::regex& re, std::string_view text);

}  // namespace bulkhead::compliance
