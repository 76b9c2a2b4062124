// The decoder on records built here byte by byte: what the kernel side writes, and what a
// corrupt or hostile record may hold.
#include "runtime/sensor/decoder.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <vector>

#include "runtime/bpf/sensor_abi.h"

namespace bulkhead::runtime {
namespace {

std::vector<uint8_t> makeRecord(bh_record rec, const std::string& path = "",
                                const std::string& detail = "", const std::string& argv = "") {
  rec.path_len = static_cast<uint16_t>(path.size());
  rec.detail_len = static_cast<uint16_t>(detail.size());
  rec.argv_len = static_cast<uint16_t>(argv.size());
  rec.size = static_cast<uint16_t>(sizeof(rec) + path.size() + detail.size() + argv.size());
  std::vector<uint8_t> bytes(sizeof(rec));
  std::memcpy(bytes.data(), &rec, sizeof(rec));
  for (const std::string* s : {&path, &detail, &argv}) bytes.insert(bytes.end(), s->begin(), s->end());
  return bytes;
}

// A copy of bytes with its header changed by edit (memcpy: no aliasing games).
template <typename Edit>
std::vector<uint8_t> patched(std::vector<uint8_t> bytes, Edit edit) {
  bh_record rec;
  std::memcpy(&rec, bytes.data(), sizeof(rec));
  edit(rec);
  std::memcpy(bytes.data(), &rec, sizeof(rec));
  return bytes;
}

bh_record header(uint16_t kind) {
  bh_record rec{};
  rec.kind = kind;
  rec.pid = 100;
  rec.tid = 101;
  rec.ppid = 1;
  rec.uid = 1000;
  rec.gid = 1001;
  rec.time_boot_ns = 5'000;
  rec.cgroup_id = 4242;
  std::memcpy(rec.comm, "0123456789abcdef", 16);  // full: no NUL
  return rec;
}

TEST(SensorDecoderTest, DecodesExecWithArgvAndParent) {
  bh_record rec = header(BH_EXEC);
  std::strcpy(rec.parent_comm, "bash");
  auto bytes = makeRecord(rec, "/bin/true", "", std::string("true\0-x\0\0last", 13));
  Event event;
  ASSERT_TRUE(decodeRecord(bytes, 1'000'000'000, event).ok());
  EXPECT_EQ(event.kind, EventKind::kExec);
  EXPECT_EQ(event.timeNs, 1'000'005'000);
  EXPECT_EQ(event.pid, 100u);
  EXPECT_EQ(event.tid, 101u);
  EXPECT_EQ(event.uid, 1000u);
  EXPECT_EQ(event.gid, 1001u);
  EXPECT_EQ(event.cgroupId, 4242u);
  EXPECT_EQ(event.comm, "0123456789abcdef");
  EXPECT_EQ(event.parentComm, "bash");
  EXPECT_EQ(event.path, "/bin/true");
  EXPECT_EQ(event.argv, (std::vector<std::string>{"true", "-x", "", "last"}));
}

TEST(SensorDecoderTest, KeepsAtMostTwentyArguments) {
  std::string argv;
  for (int i = 0; i < 30; ++i) argv += "a" + std::to_string(i) + '\0';
  Event event;
  ASSERT_TRUE(decodeRecord(makeRecord(header(BH_EXEC), "/x", "", argv), 0, event).ok());
  ASSERT_EQ(event.argv.size(), 20u);
  EXPECT_EQ(event.argv.back(), "a19");
}

TEST(SensorDecoderTest, ExitStatusOrSignal) {
  bh_record rec = header(BH_EXIT);
  rec.exit_code = 42 << 8;
  Event event;
  ASSERT_TRUE(decodeRecord(makeRecord(rec), 0, event).ok());
  EXPECT_EQ(event.exitCode, 42);
  rec.exit_code = 9;  // SIGKILL
  ASSERT_TRUE(decodeRecord(makeRecord(rec), 0, event).ok());
  EXPECT_EQ(event.exitCode, -9);
}

TEST(SensorDecoderTest, NetworkAddresses) {
  bh_record rec = header(BH_CONNECT);
  rec.family = AF_INET;
  rec.port = 8080;
  const uint8_t v4[4] = {127, 0, 0, 1};
  std::memcpy(rec.addr, v4, 4);
  Event event;
  ASSERT_TRUE(decodeRecord(makeRecord(rec), 0, event).ok());
  EXPECT_EQ(event.address, "127.0.0.1");
  EXPECT_EQ(event.port, 8080);

  rec = header(BH_ACCEPT);
  rec.family = AF_INET6;
  rec.addr[15] = 1;
  rec.port = 5000;
  rec.local_port = 443;
  ASSERT_TRUE(decodeRecord(makeRecord(rec), 0, event).ok());
  EXPECT_EQ(event.kind, EventKind::kAccept);
  EXPECT_EQ(event.address, "::1");
  EXPECT_EQ(event.localPort, 443);

  rec = header(BH_LISTEN);
  rec.family = AF_UNIX;
  rec.addr_flags = BH_ADDR_ABSTRACT;
  ASSERT_TRUE(decodeRecord(makeRecord(rec, "", "bulkhead"), 0, event).ok());
  EXPECT_EQ(event.address, "@bulkhead");
  EXPECT_EQ(event.detail, "");
}

// A path change's names come out worked out by their text, and a relative symlink's
// content from the link's directory: `ln -s ../../etc/shadow /tmp/a/s` links to /etc/shadow.
TEST(SensorDecoderTest, PathChangesComeOutByTheirPlainNames) {
  Event e;
  ASSERT_TRUE(decodeRecord(makeRecord(header(BH_RENAME), "/tmp/../usr//bin/./ls", "/tmp/x/"), 0, e));
  EXPECT_EQ(e.kind, EventKind::kRename);
  EXPECT_EQ(e.path, "/usr/bin/ls");
  EXPECT_EQ(e.detail, "/tmp/x");
  ASSERT_TRUE(decodeRecord(makeRecord(header(BH_SYMLINK), "/tmp/a/s", "../../etc/shadow"), 0, e));
  EXPECT_EQ(e.detail, "/etc/shadow");
  ASSERT_TRUE(decodeRecord(makeRecord(header(BH_SYMLINK), "/tmp/a/s", "/etc//shadow"), 0, e));
  EXPECT_EQ(e.detail, "/etc/shadow");
  ASSERT_TRUE(decodeRecord(makeRecord(header(BH_UNLINK), "/.."), 0, e));
  EXPECT_EQ(e.path, "/");
  ASSERT_TRUE(decodeRecord(makeRecord(header(BH_SYMLINK), "relative/s", "x"), 0, e));  // no directory known
  EXPECT_EQ(e.path, "relative/s");
  EXPECT_EQ(e.detail, "x");
  bh_record chmod = header(BH_CHMOD);
  chmod.flags = 04755;
  ASSERT_TRUE(decodeRecord(makeRecord(chmod, "/tmp/../usr/bin/./x"), 0, e));
  EXPECT_EQ(e.kind, EventKind::kChmod);
  EXPECT_EQ(e.path, "/usr/bin/x");
  EXPECT_EQ(e.flags, 04755u);
  bh_record chown = header(BH_CHOWN);
  chown.flags = 0xffffffffull << 32;  // owner 0, the group as is
  ASSERT_TRUE(decodeRecord(makeRecord(chown, "/usr//bin/x"), 0, e));
  EXPECT_EQ(e.kind, EventKind::kChown);
  EXPECT_EQ(e.path, "/usr/bin/x");
  EXPECT_EQ(e.flags, 0xffffffffull << 32);
  bh_record packet = header(BH_SOCKET);
  packet.family = 17;
  packet.exit_code = -1;
  ASSERT_TRUE(decodeRecord(makeRecord(packet), 0, e));
  EXPECT_EQ(e.kind, EventKind::kSocket);
  EXPECT_EQ(e.family, 17);
  EXPECT_EQ(e.result, -1);
}

TEST(SensorDecoderTest, ReusedEventIsCleared) {
  bh_record rec = header(BH_MOUNT);
  Event event;
  ASSERT_TRUE(decodeRecord(makeRecord(rec, "/mnt", "tmpfs"), 0, event).ok());
  EXPECT_EQ(event.detail, "tmpfs");
  event.container = "abc";
  ASSERT_TRUE(decodeRecord(makeRecord(header(BH_SETNS)), 0, event).ok());
  EXPECT_EQ(event.kind, EventKind::kSetns);
  EXPECT_EQ(event.path, "");
  EXPECT_EQ(event.detail, "");
  EXPECT_EQ(event.container, "");
  EXPECT_TRUE(event.argv.empty());
}

TEST(SensorDecoderTest, RejectsRecordsThatDoNotAddUp) {
  Event event;
  auto good = makeRecord(header(BH_OPEN), "/etc/shadow");
  ASSERT_TRUE(decodeRecord(good, 0, event).ok());

  EXPECT_FALSE(decodeRecord(std::span(good).first(10), 0, event).ok());  // short header
  EXPECT_FALSE(decodeRecord(std::span(good).first(good.size() - 1), 0, event).ok());  // cut

  auto overrun = patched(good, [](bh_record& r) { r.path_len = 200; });  // past the end
  EXPECT_FALSE(decodeRecord(overrun, 0, event).ok());
  auto unknown = patched(good, [](bh_record& r) { r.kind = 99; });
  EXPECT_FALSE(decodeRecord(unknown, 0, event).ok());
  auto tooSmall = patched(good, [](bh_record& r) { r.size = 3; });
  EXPECT_FALSE(decodeRecord(tooSmall, 0, event).ok());
}

}  // namespace
}  // namespace bulkhead::runtime
