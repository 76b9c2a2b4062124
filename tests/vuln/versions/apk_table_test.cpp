// apk has no implementation packaged in Debian to test against; this table is apk-tools'
// own expectations (a selection of its test/version.data, "a op b" per line), which
// Bulkhead's apk scheme must reproduce in both directions.

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "vuln/versions/scheme.h"

namespace bulkhead::vuln {
namespace {

constexpr const char* kApkToolsExpectations = R"(2.34 > 0.1.0_alpha
0.1.0_alpha = 0.1.0_alpha
0.1.0_alpha < 0.1.3_alpha
0.1.0_alpha2 > 0.1.0_alpha
0.1.0_alpha < 2.2.39-r1
1.0.4-r3 < 1.0.4-r4
1.0.1 < 1.1
1.1 > 1.1_alpha1
1.2.1 > 1.2
1.2 < 1.3_alpha
0.7.0 < 0.8_beta1
3.10.18-r1 > 2.3.0b-r1
2.3.0b-r1 < 2.3.0b-r2
0.12.3 > 0.12
0.12 < 0.13_beta1
1.2.11 < 1.2.12.1
0.2.0-r1 < 3.1_p16
3.1_p16 < 3.1_p17
3.1_p17 > 1.06-r6
1.06-r6 < 006
006 > 1.0.0
1.2.2-r1 > 1.2.2
9.3.4-r2 > 9.3.4
2.59 < 20050718-r1
3.9.8-r5 > 2.01.01_alpha10
2.01.01_alpha10 > 0.94
1.0 > 0.99.3.20040818
1.39 > 1.00_beta2
7.15.1-r1 > 1.02
1.02 < 1.03-r1
2.8.0.6-r1 > 0.5.2.7
0.5.2.7 < 4.2.52_p2-r1
4.2.52_p2-r1 < 4.2.52_p4-r2
4.2.52_p4-r2 > 1.02.07
1.02.07 < 1.02.10-r1
2.18.3-r10 > 1.05-r18
20060720 > 3.0.20060720
3.0.20060720 < 20060720
2.5.1-r8 < 2.5.1a-r1
1.3.5-r10 > 1.3.5-r8
20040401 > 2.0.0_rc3-r1
3.0.0-r2 < 021109-r3
021109-r3 < 20060512
0.9.16-r1 < 3.9_pre20060124
3.9_pre20060124 > 0.01
0.01 < 0.06
1.1.7 < 6b-r7
0.10.0-r1 > 0.10.0
0.10.0 < 0.10.1_rc1
2.0.2 > 1.1a
1.1a < 1.3a
1.0-r1 > 0.15.1b
0.15.1b-r2 > 0.15.1b
22.7-r1 < 22.7.3-r1
22.7.3-r1 > 22.7
22.7 > 2.1_pre20
2.1_pre20 < 2.1_pre26
2.10.1 > 02.08.01b
1.6d > 1.2.07.8
1.2.07.8 < 1.2.12.04
1.2.12.04 < 1.2.12.05
1.07-r1 < 1.07.5
1.07.5 > 1.07
20061003 > 0.1_pre20060810
3.3.17 > 0.59s-r11
4.20 > 0.20070118
0.20070118 < 0.20070207_rc1
0.20070207_rc1 < 1.0
2.3.30-r2 < 3.7_p1
4.5_p1-r1 > 4.5_p1
0.9.8c-r1 < 0.9.8d
2.2.3-r2 < 013
013 < 014-r1
0.3.1_rc8 < 22.2
5.7-r3 > 5.1_p4
1.7 < 1.7b
1.8.5 < 1.8.5_p2
0.98 < 1.00
1.4.9-r2 < 2.9.11_pre20051101-r2
2.9.11_pre20051101-r3 > 2.9.11_pre20051101
1.6.8_p12-r1 > 1.6.8_p9-r2
0.9.28-r2 < 0.9.28.1
0.9.28.1 < 087-r1
104-r11 > 104-r9
5.52-r1 > 1.2.5_rc2
20040406-r1 > 2.12r-r4
2.12r-r4 < 2.12r-r5
7.0.17 < 7.0.174
1.1.1-r3 > 0.3.4_pre20061029
1.3-r0 < 1.3.1-r0
1.3_pre1-r1 < 1.3.2
1.0_p10-r0 > 1.0_p9-r0
0.1.0_alpha_pre2 < 0.1.0_alpha
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
)";

TEST(ApkVersions, ApkToolsExpectations) {
  const VersionScheme& apk = *findScheme("apk");
  std::istringstream lines(kApkToolsExpectations);
  std::string a, op, b;
  int checked = 0;
  while (lines >> a >> op >> b) {
    const int expected = op == "<" ? -1 : (op == "=" ? 0 : 1);
    auto forward = apk.compare(a, b);
    auto backward = apk.compare(b, a);
    ASSERT_TRUE(forward.ok()) << forward.error().message;
    ASSERT_TRUE(backward.ok()) << backward.error().message;
    EXPECT_EQ((*forward > 0) - (*forward < 0), expected) << a << " " << op << " " << b;
    EXPECT_EQ((*backward > 0) - (*backward < 0), -expected) << b << " vs " << a;
    ++checked;
  }
  EXPECT_GT(checked, 90);
}

TEST(ApkVersions, InvalidVersions) {
  const VersionScheme& apk = *findScheme("apk");
  for (const char* v : {"1.0bc", "23_foo", "1.0-", "-r1", "1.0_p1a", "v1.0", "1.0-1", "1.0-R1"}) {
    EXPECT_FALSE(apk.validate(v).ok()) << v;
  }
  // Odd, but apk-tools' tokenizer takes them.
  for (const char* v : {"1.0-r", "1..0", "1.0_", "1.0-r1-r2", "1.0_p", "20240101"}) {
    EXPECT_TRUE(apk.validate(v).ok()) << v;
  }
  EXPECT_TRUE(apk.validate("1.2.3a_rc1_p2-r10").ok());
}

}  // namespace
}  // namespace bulkhead::vuln
