#include "core/json.h"

#include <gtest/gtest.h>

namespace bulkhead {
namespace {

TEST(ParseJson, ParsesObjects) {
  auto doc = parseJson(R"({"a": [1, 2, {"b": "c"}]})", "test.json");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ((*doc)["a"][2]["b"], "c");
}

TEST(ParseJson, RejectsDocumentsOverTheSizeLimit) {
  std::string big = "[" + std::string(2000, ' ') + "]";
  auto doc = parseJson(big, "big.json", JsonLimits{1000, 64});
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.error().message.find("big.json"), std::string::npos);
  EXPECT_NE(doc.error().message.find("exceeds the limit of 1000 bytes"), std::string::npos);
}

TEST(ParseJson, RejectsDeepNestingBeforeParsing) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto doc = parseJson(deep, "deep.json");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.error().message.find("deep.json: JSON nesting deeper than 64"), std::string::npos);
}

TEST(ParseJson, BracketsInsideStringsDoNotCountAsNesting) {
  std::string text = R"({"s": ")" + std::string(500, '[') + R"("})";
  EXPECT_TRUE(parseJson(text, "s.json").ok());
}

TEST(ParseJson, ReportsSyntaxErrorsWithTheDocumentName) {
  auto doc = parseJson("{\"a\": ", "broken.json");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.error().message.find("broken.json: invalid JSON"), std::string::npos);
}

TEST(JsonAccessors, NeverThrowOnWrongTypes) {
  auto doc = parseJson(R"({"s": 1, "i": "x", "o": [], "a": {}, "b": "yes"})", "t");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(jsonString(*doc, "s", "fallback"), "fallback");
  EXPECT_EQ(jsonInt(*doc, "i", 7), 7);
  EXPECT_EQ(jsonObject(*doc, "o"), nullptr);
  EXPECT_EQ(jsonArray(*doc, "a"), nullptr);
  EXPECT_FALSE(jsonBool(*doc, "b"));
  EXPECT_EQ(jsonString(nlohmann::json::array(), "s"), "");
}

}  // namespace
}  // namespace bulkhead
