// The host's sensitive files known by identity as they change: a file replaced under a
// prefix (a password change makes a new inode) is known again, so a read that reaches the
// new file by another name (here its path under a stand-in host root, as a container reads
// a host file through a mount) is reported as a read of it. Real eBPF sensor; root.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "agent/sensitive_identities.h"
#include "runtime/sensor/sensor.h"

namespace bulkhead::agent {
namespace {

namespace fs = std::filesystem;
using runtime::Event;
using runtime::EventKind;
using runtime::Sensor;
using runtime::SensorOptions;

void writeFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A child that opens `path` for reading; the sensor's open event of that child, if any.
std::optional<Event> readBy(Sensor& sensor, const std::string& path) {
  const pid_t child = ::fork();
  if (child == 0) _exit(::close(::open(path.c_str(), O_RDONLY)) == 0 ? 0 : 1);
  std::optional<Event> open;
  bool exited = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!exited && std::chrono::steady_clock::now() < deadline) {
    EXPECT_TRUE(sensor.poll(100, [&](const Event& e) {
      if (e.pid != static_cast<uint32_t>(child)) return;
      if (e.kind == EventKind::kOpen) open = e;
      if (e.kind == EventKind::kExit) exited = true;
    }).ok());
  }
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(exited) << "no exit event for the reader of " << path;
  return open;
}

TEST(SensitiveIdentities, AHostFileReplacedIsKnownAgain) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for the eBPF sensor";
  const std::string root = "/tmp/bulkhead-host-root-" + std::to_string(::getpid());
  const std::string secret = root + "/etc/bulkhead-secret";
  fs::create_directories(root + "/etc");
  writeFile(secret, "one");
  SensorOptions options;
  options.sensitivePrefixes = {"/etc/bulkhead-secret"};  // as /etc/shadow, under the stand-in root
  auto sensor = Sensor::open(options);
  ASSERT_TRUE(sensor) << sensor.error().message;
  ASSERT_TRUE((*sensor)->start().ok());
  SensitiveIdentities identities(**sensor, options.sensitivePrefixes);
  ASSERT_TRUE(identities.watchHost(root).ok());
  EXPECT_EQ(identities.watched(), 1u);

  auto before = readBy(**sensor, secret);
  ASSERT_TRUE(before) << "the watched file's read was not reported";
  EXPECT_EQ(before->path, "/etc/bulkhead-secret");
  EXPECT_EQ(before->detail, secret);

  // Replaced as passwd does it: a new file renamed over the old one (a new inode).
  writeFile(secret + "+", "two");
  fs::rename(secret + "+", secret);
  EXPECT_TRUE(identities.pollHost()) << "the replace was not seen";
  auto after = readBy(**sensor, secret);
  ASSERT_TRUE(after) << "the replaced file was not known again";
  EXPECT_EQ(after->path, "/etc/bulkhead-secret");
  EXPECT_EQ(after->detail, secret);
  EXPECT_EQ(identities.watched(), 1u) << "the replaced file's old inode is still watched";
  EXPECT_FALSE(identities.pollHost()) << "a change reported twice";
  fs::remove_all(root);
}

}  // namespace
}  // namespace bulkhead::agent
