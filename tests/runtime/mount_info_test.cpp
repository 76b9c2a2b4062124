#include "runtime/mount_info.h"

#include <gtest/gtest.h>

namespace bulkhead::runtime {
namespace {

TEST(MountInfo, ReadsThisProcesssMounts) {
  auto mounts = readMountInfo("/proc/self/mountinfo");
  ASSERT_TRUE(mounts.ok()) << mounts.error().message;
  bool root = false;
  for (const auto& m : *mounts) root |= m.point == "/";
  EXPECT_TRUE(root);
  auto missing = readMountInfo("/proc/self/no-such-file");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/proc/self/no-such-file"), std::string::npos);
}

}  // namespace
}  // namespace bulkhead::runtime
