// Learning and checking share one normalization: what Discover learned is what Monitor
// and Protect accept, and nothing else.

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "runtime/learner.h"

namespace bulkhead::runtime {
namespace {

Event exec(const std::string& path, const std::string& parent, int64_t t = 1) {
  Event e;
  e.kind = EventKind::kExec;
  e.path = path;
  e.parentComm = parent;
  e.timeNs = t;
  return e;
}

Event open(const std::string& path, int flags) {
  Event e;
  e.kind = EventKind::kOpen;
  e.path = path;
  e.flags = static_cast<uint64_t>(flags);
  return e;
}

Event net(EventKind kind, const std::string& address, uint16_t port) {
  Event e;
  e.kind = kind;
  e.family = AF_INET;
  e.address = address;
  e.port = port;
  return e;
}

TEST(Learner, LearnsThenAcceptsExactlyWhatWasSeen) {
  Profile p;
  EXPECT_TRUE(learn(p, exec("/usr/sbin/nginx", "runc:[2:INIT]", 10)));
  EXPECT_FALSE(learn(p, exec("/usr/sbin/nginx", "runc:[2:INIT]", 11)));
  EXPECT_TRUE(learn(p, open("/var/log/nginx/access.log", O_WRONLY | O_APPEND)));
  EXPECT_TRUE(learn(p, open("/tmp/nginx-8f3a1c", O_RDWR | O_CREAT)));
  EXPECT_FALSE(learn(p, open("/tmp/nginx-0b77e2", O_RDWR | O_CREAT)));  // /tmp converges
  EXPECT_FALSE(learn(p, open("/etc/nginx/nginx.conf", O_RDONLY)));      // reads are not learned
  EXPECT_TRUE(learn(p, net(EventKind::kListen, "0.0.0.0", 80)));
  EXPECT_TRUE(learn(p, net(EventKind::kConnect, "10.0.0.5", 6379)));
  EXPECT_EQ(p.createdNs, 10);
  EXPECT_EQ(p.writeDirs, (std::set<std::string>{"/tmp/", "/var/log/nginx/"}));

  EXPECT_FALSE(deviation(p, exec("/usr/sbin/nginx", "runc:[2:INIT]")));
  EXPECT_FALSE(deviation(p, open("/var/log/nginx/error.log", O_WRONLY)));
  EXPECT_FALSE(deviation(p, open("/var/log/nginx/old/error.log.1", O_WRONLY)));  // below a learned dir
  EXPECT_FALSE(deviation(p, net(EventKind::kListen, "0.0.0.0", 80)));
  EXPECT_FALSE(deviation(p, net(EventKind::kConnect, "10.0.0.5", 6379)));

  auto d = deviation(p, exec("/usr/bin/curl", "nginx"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, "exec");
  EXPECT_EQ(d->value, "/usr/bin/curl");
  d = deviation(p, exec("/usr/sbin/nginx", "bash"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, "exec-parent");
  d = deviation(p, open("/usr/bin/evil", O_WRONLY | O_CREAT));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->value, "/usr/bin/");
  EXPECT_TRUE(deviation(p, net(EventKind::kListen, "0.0.0.0", 4444)));
  EXPECT_TRUE(deviation(p, net(EventKind::kConnect, "203.0.113.9", 443)));
  EXPECT_FALSE(deviation(p, open("/etc/passwd", O_RDONLY)));  // not a learned kind
}

// Every shell redirect to /dev/null or a terminal is a write open; none of them tells a
// workload apart, and none is a deviation. A real device file elsewhere in /dev is.
TEST(Learner, NullAndTerminalWritesAreNotBehavior) {
  Profile p;
  for (const char* path : {"/dev/null", "/dev/tty", "/dev/pts/3", "/dev/stderr", "/proc/self/fd/1"}) {
    EXPECT_FALSE(learn(p, open(path, O_WRONLY | O_TRUNC | O_CREAT))) << path;
    EXPECT_FALSE(deviation(p, open(path, O_WRONLY))) << path;
  }
  EXPECT_TRUE(p.writeDirs.empty());
  EXPECT_TRUE(deviation(p, open("/dev/sda", O_WRONLY)));
  EXPECT_TRUE(deviation(p, open("/dev/nullx", O_WRONLY)));
}

// A rename, link, symlink or unlink writes at its path (the new name) as an open for
// writing does: learned where it was seen, a deviation elsewhere. A call on a name that did
// not exist changed nothing.
TEST(Learner, PathChangesWriteWhereTheirNewNameIs) {
  const auto change = [](EventKind kind, const std::string& path, const std::string& old, int64_t result = 0) {
    Event e;
    e.kind = kind;
    e.path = path;
    e.detail = old;
    e.targetId = result;
    return e;
  };
  Profile p;
  EXPECT_TRUE(learn(p, change(EventKind::kRename, "/var/lib/app/state", "/var/lib/app/state.tmp")));
  EXPECT_FALSE(learn(p, change(EventKind::kUnlink, "/var/lib/app/old", "")));
  EXPECT_FALSE(learn(p, change(EventKind::kRename, "/etc/app.conf", "/tmp/x", -ENOENT)));
  EXPECT_EQ(p.writeDirs, (std::set<std::string>{"/var/lib/app/"}));
  EXPECT_FALSE(deviation(p, change(EventKind::kSymlink, "/var/lib/app/current", "v2")));
  auto d = deviation(p, change(EventKind::kRename, "/usr/bin/ls", "/var/lib/app/dropper"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, "write");
  EXPECT_EQ(d->value, "/usr/bin/");
  EXPECT_TRUE(deviation(p, change(EventKind::kLink, "/usr/lib/libx.so", "/tmp/evil.so")));
  EXPECT_FALSE(deviation(p, change(EventKind::kUnlink, "/usr/bin/ls", "", -ENOENT)));
  // A mode or owner change too: chmod +x of a file dropped where the workload never writes.
  EXPECT_FALSE(deviation(p, change(EventKind::kChmod, "/var/lib/app/run.sh", "")));
  EXPECT_TRUE(deviation(p, change(EventKind::kChmod, "/tmp/dropper", "")));
  EXPECT_TRUE(deviation(p, change(EventKind::kChown, "/tmp/dropper", "")));
  EXPECT_FALSE(deviation(p, change(EventKind::kChown, "/var/lib/app/run.sh", "")));
}

TEST(Learner, ConvergesAfterAQuietPeriodAndReopensOnNewBehavior) {
  Profile p;
  learn(p, exec("/a", "x", 100));
  for (int i = 0; i < 20; ++i) learn(p, exec("/a", "x", 100 + i));
  EXPECT_FALSE(updateConvergence(p, 150, 100, 10));  // not quiet long enough
  EXPECT_FALSE(updateConvergence(p, 500, 100, 1000));  // too few events
  EXPECT_TRUE(updateConvergence(p, 500, 100, 10));
  EXPECT_TRUE(p.converged);
  EXPECT_FALSE(updateConvergence(p, 600, 100, 10));  // reported once
  EXPECT_TRUE(learn(p, exec("/b", "x", 700)));
  EXPECT_FALSE(p.converged);
  EXPECT_EQ(p.lastChangeNs, 700);
}

}  // namespace
}  // namespace bulkhead::runtime
