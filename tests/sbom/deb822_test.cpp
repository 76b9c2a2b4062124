// The control-paragraph parser dpkg's databases go through.

#include "sbom/deb822.h"

#include <gtest/gtest.h>

#include "support/loopback_http_server.h"  // EXPECT_CONTAINS

namespace bulkhead::sbom {
namespace {

TEST(Deb822, ParagraphsFieldsAndContinuations) {
  const std::string text =
      "Package: bash\n"
      "Status: install ok installed\n"
      "Description: GNU Bourne Again SHell\n"
      " Bash is an sh-compatible command language interpreter.\n"
      " .\n"
      "\tTabbed continuation\n"
      "Version:  5.2.15-2+b13  \n"
      "\n"
      "\n"
      "# a comment line\n"
      "Package: dash\r\n"
      "Version: 0.5.12-2\r\n";
  auto parsed = parseDeb822(text, "/var/lib/dpkg/status");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  const Paragraph& bash = (*parsed)[0];
  EXPECT_EQ(bash.at("Package"), "bash");
  EXPECT_EQ(bash.at("Version"), "5.2.15-2+b13");
  EXPECT_EQ(bash.at("Description"),
            "GNU Bourne Again SHell\nBash is an sh-compatible command language interpreter.\n.\n"
            "Tabbed continuation");
  EXPECT_EQ((*parsed)[1].at("Package"), "dash");
  EXPECT_EQ((*parsed)[1].at("Version"), "0.5.12-2");
}

TEST(Deb822, EmptyAndBlankInputsHaveNoParagraphs) {
  for (const std::string text : {"", "\n", "\n\n  \n\t\n", "# only a comment\n"}) {
    auto parsed = parseDeb822(text, "x");
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_TRUE(parsed->empty()) << text;
  }
}

TEST(Deb822, NoTrailingNewlineAndDuplicateFields) {
  auto parsed = parseDeb822("Package: a\nVersion: 1\nVersion: 2", "x");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ(parsed->front().at("Version"), "2");  // the later line wins
}

TEST(Deb822, MalformedLinesNameTheFileAndLine) {
  auto continuation = parseDeb822(" leading continuation\n", "/var/lib/dpkg/status");
  ASSERT_FALSE(continuation);
  EXPECT_CONTAINS(continuation.error().message, "/var/lib/dpkg/status: line 1");
  EXPECT_CONTAINS(continuation.error().message, "continuation");

  auto noColon = parseDeb822("Package: a\nno colon here\n", "/var/lib/dpkg/status.d/a");
  ASSERT_FALSE(noColon);
  EXPECT_CONTAINS(noColon.error().message, "/var/lib/dpkg/status.d/a: line 2");

  auto emptyName = parseDeb822(": value\n", "f");
  ASSERT_FALSE(emptyName);
  EXPECT_CONTAINS(emptyName.error().message, "line 1");
}

TEST(Deb822, LimitsOnParagraphsAndFields) {
  Deb822Limits limits;
  limits.maxParagraphs = 3;
  limits.maxFieldsPerParagraph = 4;
  auto many = parseDeb822("A: 1\n\nA: 2\n\nA: 3\n\nA: 4\n", "f", limits);
  ASSERT_FALSE(many);
  EXPECT_CONTAINS(many.error().message, "more than 3 paragraphs");

  auto wide = parseDeb822("A: 1\nB: 2\nC: 3\nD: 4\nE: 5\n", "f", limits);
  ASSERT_FALSE(wide);
  EXPECT_CONTAINS(wide.error().message, "more than 4 fields");
}

TEST(Deb822, BinaryGarbageIsAnErrorNotACrash) {
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 131) & 0xff));
  auto parsed = parseDeb822(junk, "junk");
  if (!parsed) {
    EXPECT_CONTAINS(parsed.error().message, "junk: line");
  }
  std::string nuls("Package: a\0b\nVersion: 1\n", 24);
  auto withNul = parseDeb822(nuls, "nul");
  ASSERT_TRUE(withNul) << withNul.error().message;
  EXPECT_EQ(withNul->front().at("Package"), std::string("a\0b", 3));
}

}  // namespace
}  // namespace bulkhead::sbom
