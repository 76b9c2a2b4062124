// The closed operator set: each operator on present, absent and mistyped facts.

#include <gtest/gtest.h>

#include "compliance/operators.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

bool testPtr(const char* op, const json& value, const json* observed, std::string* detail = nullptr) {
  auto parsed = parseOp(op);
  EXPECT_TRUE(parsed.ok()) << op;
  auto operand = Operand::compile(*parsed, value, !value.is_discarded());
  EXPECT_TRUE(operand.ok()) << op << ": " << (operand ? "" : operand.error().message);
  return operand->test(observed, detail);
}

bool test(const char* op, const json& value, const json& observed, std::string* detail = nullptr) {
  return testPtr(op, value, &observed, detail);
}

bool testAbsent(const char* op, const json& value) { return testPtr(op, value, nullptr); }

const json kNone(json::value_t::discarded);

TEST(Operators, EqualityComparesNumbersByValueAndNumericStrings) {
  EXPECT_TRUE(test("eq", 1, json(1)));
  EXPECT_TRUE(test("eq", 1, json(1.0)));
  EXPECT_TRUE(test("eq", 1, json("1")));
  EXPECT_FALSE(test("eq", 1, json("1x")));
  EXPECT_FALSE(test("eq", false, json("false")));
  EXPECT_TRUE(test("neq", "host", json("private")));
  EXPECT_FALSE(testAbsent("eq", false));   // absent is not false
  EXPECT_TRUE(testAbsent("neq", true));    // absent is not true
  EXPECT_TRUE(testAbsent("eq", nullptr));  // eq null matches absent
  const json null;
  EXPECT_TRUE(testPtr("absent", kNone, &null));  // null counts as absent
}

TEST(Operators, ListMembership) {
  EXPECT_TRUE(test("in", json::array({1, 2}), json(2)));
  EXPECT_FALSE(testAbsent("in", json::array({1, 2})));
  EXPECT_TRUE(testAbsent("in", json::array({nullptr, 0})));
  EXPECT_TRUE(testAbsent("not_in", json::array({"default", ""})));
  EXPECT_FALSE(test("not_in", json::array({"default"}), json("default")));
  std::string detail;
  EXPECT_FALSE(test("subset_of", json::array({"A", "B"}), json::array({"A", "C", "D"}), &detail));
  EXPECT_EQ(detail, "not allowed: C, D");
  EXPECT_TRUE(testAbsent("subset_of", json::array({"A"})));
  EXPECT_TRUE(test("subset_of", json::array({"A"}), json("A")));
  EXPECT_TRUE(test("contains_any", json::array({"x", "y"}), json::array({"a", "y"}), &detail));
  EXPECT_TRUE(testAbsent("contains_none", json::array({"x"})));
  EXPECT_TRUE(test("contains", "b", json::array({"a", "b"})));
  EXPECT_TRUE(test("contains", "ell", json("hello")));
  EXPECT_TRUE(testAbsent("not_contains", "z"));
}

TEST(Operators, PresenceAndEmptiness) {
  EXPECT_TRUE(test("exists", kNone, json(false)));
  EXPECT_FALSE(testAbsent("exists", kNone));
  EXPECT_TRUE(testAbsent("empty", kNone));
  EXPECT_TRUE(test("empty", kNone, json("")));
  EXPECT_TRUE(test("empty", kNone, json::array()));
  EXPECT_TRUE(test("empty", kNone, json::object()));
  EXPECT_FALSE(test("empty", kNone, json(0)));
  EXPECT_TRUE(test("not_empty", kNone, json::array({1})));
}

TEST(Operators, NumbersCompareNumericStringsToo) {
  EXPECT_TRUE(test("gte", 1, json(2)));
  EXPECT_TRUE(test("gte", 1, json("2\n")));
  EXPECT_FALSE(test("gte", 1, json("two")));
  EXPECT_FALSE(testAbsent("lt", 5));
  EXPECT_TRUE(test("gt", 0, json(0.5)));
  EXPECT_FALSE(test("lte", 3, json(true)));
  EXPECT_FALSE(Operand::compile(Op::kGt, json("x"), true).ok());
}

TEST(Operators, ModesAreOctal) {
  std::string detail;
  EXPECT_TRUE(test("mode_at_most", "0644", json(0644)));
  EXPECT_TRUE(test("mode_at_most", "0644", json(0600)));
  EXPECT_FALSE(test("mode_at_most", "0644", json(0664), &detail));
  EXPECT_EQ(detail, "0664 has 0020 beyond 0644");
  EXPECT_FALSE(test("mode_at_most", "0644", json(04644)));  // setuid is a permission too
  EXPECT_TRUE(test("bits_any", "6000", json(02755)));
  EXPECT_TRUE(test("bits_none", "0002", json(0755)));
  EXPECT_TRUE(testAbsent("bits_none", "0002"));
  EXPECT_FALSE(testAbsent("mode_at_most", "0644"));
  EXPECT_FALSE(Operand::compile(Op::kModeAtMost, json("0948"), true).ok());
  EXPECT_FALSE(Operand::compile(Op::kModeAtMost, json("12345678"), true).ok());
}

TEST(Operators, RegexesIgnoreCaseOnRequestAndStayBounded) {
  EXPECT_TRUE(test("regex", "(?i)^secret", json("SECRET_KEY")));
  EXPECT_FALSE(test("regex", "^secret", json("SECRET_KEY")));
  EXPECT_TRUE(test("regex", json::array({"^a", "^b"}), json("bcd")));
  EXPECT_TRUE(testAbsent("not_regex", "x"));
  EXPECT_FALSE(testAbsent("regex", "x"));
  EXPECT_TRUE(test("regex", "^1$", json(1)));  // scalars are matched as text
  EXPECT_FALSE(Operand::compile(Op::kRegex, json("(unclosed"), true).ok());
  // A hostile history line: megabytes of spaces must not exhaust the stack.
  const std::string hostile = "apt-get" + std::string(4u << 20, ' ') + "update";
  EXPECT_FALSE(test("regex", "apt-get\\s+update", json(hostile)));  // spans windows: documented miss
  const std::string late = std::string(1u << 20, 'x') + " sudo make";
  EXPECT_TRUE(test("regex", "\\ssudo\\s", json(late)));
}

TEST(Operators, PathsAreComparedCleaned) {
  EXPECT_TRUE(test("under", json::array({"/proc", "/sys"}), json("/proc/sys/kernel")));
  EXPECT_TRUE(test("under", "/etc", json("/etc")));
  EXPECT_FALSE(test("under", "/etc", json("/etcetera")));
  EXPECT_TRUE(test("under", "/etc", json("/var/../etc//passwd")));
  EXPECT_TRUE(test("not_under", "/proc", json("/srv/../../data")));
  EXPECT_TRUE(test("under", "/", json("/anything")));
  EXPECT_EQ(cleanPath("/a//b/./c/../d/"), "/a/b/d");
  EXPECT_EQ(cleanPath("/../../x"), "/x");
  EXPECT_EQ(cleanPath("a/../b"), "b");
}

TEST(Operators, UniqueNamesTheDuplicates) {
  std::string detail;
  EXPECT_FALSE(test("unique", kNone, json::array({0, 1000, 0, 1000, 5}), &detail));
  EXPECT_EQ(detail, "duplicates: 0, 1000");
  EXPECT_TRUE(test("unique", kNone, json::array({1, 2})));
  EXPECT_TRUE(testAbsent("unique", kNone));
}

TEST(Operators, TheSetIsClosedAndValuesAreChecked) {
  EXPECT_FALSE(parseOp("equals").ok());
  EXPECT_NE(parseOp("equals").error().message.find("known: eq, neq"), std::string::npos);
  EXPECT_FALSE(Operand::compile(Op::kEq, json(), false).ok());     // needs a value
  EXPECT_FALSE(Operand::compile(Op::kExists, json(1), true).ok());  // takes none
  EXPECT_FALSE(Operand::compile(Op::kIn, json(1), true).ok());      // needs a list
  EXPECT_EQ(allOperators().size(), 25u);
}

TEST(Operators, RenderValue) {
  EXPECT_EQ(renderValue(nullptr), "absent");
  const json s = "text";
  EXPECT_EQ(renderValue(&s), "text");
  const json list = json::array({"a", 1});
  EXPECT_EQ(renderValue(&list), "[\"a\",1]");
  const json longText = std::string(500, 'x');
  EXPECT_EQ(renderValue(&longText, 10), "xxxxxxxxxx...");
}

}  // namespace
}  // namespace bulkhead::compliance
