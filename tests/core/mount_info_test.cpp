#include "core/mount_info.h"

#include <gtest/gtest.h>

namespace bulkhead {
namespace {

// Lines as the kernel writes them (optional fields, escapes), and lines it never writes.
TEST(MountInfo, ReadsPointRootOptionsAndTypeAndSkipsMalformedLines) {
  const auto mounts = parseMountInfo(
      "25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
      "612 590 0:81 / /dev rw,nosuid master:1 - tmpfs tmpfs rw,size=65536k,mode=755\n"
      "700 590 8:1 /srv/data /data\\040dir rw,relatime - ext4 /dev/sda1 rw\n"
      "garbage without the separator\n"
      "x 590 8:1 / /bad-id rw - ext4 /dev/sda1 rw\n"
      "701 590 8:1 / /no-type rw -  /dev/sda1 rw\n"
      "702 590 8:1 /\n");
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mounts[0].point, "/sys");
  EXPECT_TRUE(hasMountOption(mounts[0].options, "noexec"));
  EXPECT_EQ(mounts[1].id, 612);
  EXPECT_EQ(mounts[1].fsType, "tmpfs");
  EXPECT_FALSE(hasMountOption(mounts[1].options, "noexec"));
  EXPECT_FALSE(hasMountOption(mounts[1].options, "nosuid,"));
  EXPECT_EQ(mounts[2].point, "/data dir");
  EXPECT_EQ(mounts[2].root, "/srv/data");  // a bind of a directory, not of the whole file system
  EXPECT_EQ(mounts[2].device, "8:1");
  EXPECT_EQ(mounts[1].root, "/");
}

}  // namespace
}  // namespace bulkhead
