// The sensor on the real kernel: forked children do each action for real, and the events
// the ring buffer delivers must name it with the right fields. The test process moves
// itself into a cgroup of its own so that the sensor can be scoped to exactly its children
// (the sensor ignores its own process, so every action runs in a child).
#include "runtime/sensor/sensor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <liburing.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace bulkhead::runtime {
namespace {

// ---- the test's cgroup ----------------------------------------------------------------

std::string cgroup2Mount() {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0) continue;
    std::istringstream fields(line.substr(0, dash));
    std::string id, parent, dev, root, mountPoint;
    fields >> id >> parent >> dev >> root >> mountPoint;
    return mountPoint;
  }
  return {};
}

std::string ownCgroupPath() {  // the "0::PATH" line of /proc/self/cgroup
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("0::")) return line.substr(3);
  }
  return {};
}

uint64_t inodeOf(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

bool writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

constexpr int IORING_OP_LISTEN_ = 57;  // Linux 6.11; liburing 2.3's header predates it

// ---- children ---------------------------------------------------------------------------

// Forks, runs action in the child (its return value is the exit status), waits for it.
pid_t runChild(const std::function<int()>& action, int* status = nullptr) {
  pid_t pid = fork();
  if (pid == 0) _exit(action());
  int st = 0;
  waitpid(pid, &st, 0);
  if (status) *status = st;
  return pid;
}

// A child that runs `setup` (false: exit 1), then forks a grandchild that runs `grandchild`
// (which execs or exits; its exit code is the child's); the grandchild's pid, -1 if none.
pid_t runGrandchild(const std::function<bool()>& setup, const std::function<void()>& grandchild, int* status) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  runChild([&] {
    if (!setup()) return 1;
    const pid_t pid = fork();
    if (pid == 0) {
      grandchild();
      _exit(127);
    }
    if (write(fds[1], &pid, sizeof pid) != sizeof pid) return 2;
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 3;
  }, status);
  close(fds[1]);
  pid_t pid = -1;
  if (read(fds[0], &pid, sizeof pid) != sizeof pid) pid = -1;
  close(fds[0]);
  return pid;
}

// Keeps the calling process on the CPU it runs on: the sensor's repeat filter is per CPU, so
// a process that moves is reported once more on its new CPU.
void stayOnThisCpu() {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  sched_setaffinity(0, sizeof(one), &one);
}

class SensorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mount_ = cgroup2Mount();
    originalCgroup_ = ownCgroupPath();
    if (mount_.empty()) return;
    // A cgroup of our own: then a watch-only sensor sees our children and nothing else.
    std::string dir = mount_ + "/bulkhead-sensor-test-" + std::to_string(getpid());
    if (mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) {
      if (writeFile(dir + "/cgroup.procs", std::to_string(getpid()))) {
        testCgroupDir_ = dir;
      } else {
        rmdir(dir.c_str());
      }
    }
  }
  static void TearDownTestSuite() {
    if (testCgroupDir_.empty()) return;
    writeFile(mount_ + originalCgroup_ + "/cgroup.procs", std::to_string(getpid()));
    rmdir(testCgroupDir_.c_str());
  }

  // The inode of our cgroup2 directory, from /proc/self/cgroup and mountinfo.
  static uint64_t ownCgroupId() { return inodeOf(mount_ + ownCgroupPath()); }

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the eBPF sensor needs root";
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
      GTEST_SKIP() << "no kernel BTF at /sys/kernel/btf/vmlinux";
    }
    ASSERT_FALSE(mount_.empty()) << "no cgroup2 mount in /proc/self/mountinfo";
    cgroupId_ = ownCgroupId();
    ASSERT_NE(cgroupId_, 0u);
  }

  std::unique_ptr<Sensor> openSensor(SensorOptions options = {}, bool watchOwn = true) {
    if (options.scope == SensorScope::kAll && watchOwn) options.scope = SensorScope::kWatchedCgroups;
    auto sensor = Sensor::open(options);
    if (!sensor) {
      ADD_FAILURE() << sensor.error().message;
      return nullptr;
    }
    if (watchOwn) {
      EXPECT_TRUE((*sensor)->watchCgroup(cgroupId_).ok());
    }
    auto started = (*sensor)->start();
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    return std::move(*sensor);
  }

  // Polls until an event matches `until` (or timeoutMs passes); returns every event of
  // the given processes seen meanwhile.
  static std::vector<Event> collect(Sensor& sensor, const std::vector<pid_t>& pids,
                                    const std::function<bool(const Event&)>& until,
                                    int timeoutMs = 5000) {
    std::vector<Event> seen;
    bool done = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      auto polled = sensor.poll(100, [&](const Event& e) {
        for (pid_t pid : pids) {
          if (e.pid == static_cast<uint32_t>(pid)) seen.push_back(e);
        }
        if (until(e)) done = true;
      });
      EXPECT_TRUE(polled.ok());
    }
    return seen;
  }

  // Every event of a child up to and including its exit.
  static std::vector<Event> eventsOf(Sensor& sensor, pid_t child) {
    return collect(sensor, {child}, [&](const Event& e) {
      return e.kind == EventKind::kExit && e.pid == static_cast<uint32_t>(child);
    });
  }

  static std::optional<Event> find(const std::vector<Event>& events, EventKind kind,
                                   const std::function<bool(const Event&)>& also = nullptr) {
    for (const Event& e : events) {
      if (e.kind == kind && (!also || also(e))) return e;
    }
    return std::nullopt;
  }

  void expectCommon(const Event& e, pid_t child) {
    EXPECT_EQ(e.pid, static_cast<uint32_t>(child));
    EXPECT_EQ(e.ppid, static_cast<uint32_t>(getpid()));
    EXPECT_EQ(e.cgroupId, cgroupId_);
    EXPECT_EQ(e.uid, getuid());
    EXPECT_EQ(e.euid, geteuid());
    EXPECT_GT(e.timeNs, 1'600'000'000'000'000'000);  // CLOCK_REALTIME, not boot time
  }

  static inline std::string mount_, originalCgroup_, testCgroupDir_;
  uint64_t cgroupId_ = 0;
};

bool kernelHasModuleTracepoints() {
  for (const char* tracefs : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
    if (::access((std::string(tracefs) + "/events/syscalls/sys_exit_finit_module").c_str(), F_OK) == 0) return true;
  }
  return false;
}

// Without module support the per-syscall stand-in is off unless asked for: processes the
// agent does not watch must not pay a program on every system call.
TEST_F(SensorTest, NoPerSyscallHookUnlessAsked) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  for (const SensorHook& hook : sensor->hooks()) {
    if (hook.tracepoint == "raw_syscalls/sys_exit") {
      EXPECT_FALSE(hook.attached) << hook.note;
    }
  }
}

TEST_F(SensorTest, ReportsWhichTracepointsAttached) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  int attached = 0;
  bool moduleSeen = false;
  for (const SensorHook& hook : sensor->hooks()) {
    std::printf("  %-22s %-36s %s %s\n", hook.program.c_str(), hook.tracepoint.c_str(),
                hook.attached ? "attached" : "-", hook.note.c_str());
    attached += hook.attached;
    if (hook.program.find("module") != std::string::npos) moduleSeen |= hook.attached;
    // What is left out must say why; only a covered hook is silent in the agent's log.
    if (!hook.attached) {
      EXPECT_FALSE(hook.note.empty()) << hook.program;
    }
  }
  EXPECT_GE(attached, 25);
  // Module loading is seen through its tracepoints, or the kernel cannot load modules.
  EXPECT_TRUE(moduleSeen || !kernelHasModuleTracepoints()) << "no hook sees module loading";
}

TEST_F(SensorTest, ExecReportsPathArgvParentAndUid) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  int status = 0;
  pid_t child = runChild([] {
    char* argv[] = {const_cast<char*>("true"), const_cast<char*>("--bulkhead-sensor"),
                    const_cast<char*>("two words"), nullptr};
    execv("/bin/true", argv);
    return 127;
  }, &status);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto events = eventsOf(*sensor, child);
  auto exec = find(events, EventKind::kExec);
  ASSERT_TRUE(exec) << "no exec event";
  expectCommon(*exec, child);
  EXPECT_EQ(exec->path, "/bin/true");
  EXPECT_EQ(exec->argv, (std::vector<std::string>{"true", "--bulkhead-sensor", "two words"}));
  EXPECT_EQ(exec->comm, "true");
  std::ifstream commFile("/proc/self/comm");
  std::string ownComm;
  std::getline(commFile, ownComm);
  EXPECT_EQ(exec->parentComm, ownComm);
  // The file that runs, read in the kernel: its mode and inode (what stat says of it).
  struct stat st {};
  ASSERT_EQ(::stat("/bin/true", &st), 0);
  EXPECT_EQ(exec->flags, st.st_mode);
  EXPECT_EQ(exec->targetId, static_cast<int64_t>(st.st_ino));
  auto exit = find(events, EventKind::kExit);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->exitCode, 0);
}

// An exec of a memfd (a file with no link anywhere) is marked fileless; in a cgroup whose
// fileless execs are killed, it dies of SIGKILL before its first instruction, while an
// ordinary exec there runs.
TEST_F(SensorTest, FilelessExecsAreMarkedAndKilledWhereAsked) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  const auto runFromMemfd = [] {
    // Its own mount namespace, as a container's process has: the host's is never killed in.
    if (unshare(CLONE_NEWNS) != 0) return 3;
    const int fd = memfd_create("bulkhead-fileless", 0);
    const int in = open("/usr/bin/true", O_RDONLY);
    char buf[65536];
    for (ssize_t n; (n = read(in, buf, sizeof buf)) > 0;) {
      if (write(fd, buf, static_cast<size_t>(n)) != n) return 1;
    }
    char* const argv[] = {const_cast<char*>("fileless"), nullptr};
    char* const envp[] = {nullptr};
    fexecve(fd, argv, envp);
    return 2;
  };
  int status = 0;
  const pid_t first = runChild(runFromMemfd, &status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  auto events = eventsOf(*sensor, first);
  auto exec = find(events, EventKind::kExec);
  ASSERT_TRUE(exec) << "no exec event for the memfd";
  EXPECT_TRUE(exec->fileless);
  EXPECT_FALSE(exec->killed);

  ExecKills fileless;
  fileless.fileless = true;
  ASSERT_TRUE(sensor->setExecKills(cgroupId_, fileless).ok());
  const pid_t killed = runChild(runFromMemfd, &status);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  events = eventsOf(*sensor, killed);
  exec = find(events, EventKind::kExec);
  ASSERT_TRUE(exec);
  EXPECT_TRUE(exec->fileless && exec->killed);
  const pid_t plain = runChild([] {
    execl("/usr/bin/true", "true", nullptr);
    return 2;
  }, &status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "an ordinary exec was hit: status " << status;
  exec = find(eventsOf(*sensor, plain), EventKind::kExec);
  ASSERT_TRUE(exec);
  EXPECT_FALSE(exec->fileless || exec->killed);
  ASSERT_TRUE(sensor->setExecKills(cgroupId_, {}).ok());
}

// Where the exec guard's mounts are known, an exec of a file on a file system or mount it
// has not marked is killed: here a tmpfs mounted after the kills were set. A file on the
// guarded file system runs, and so does the tmpfs's once its mount has been listed for
// longer than an exec takes to pass from its permission check to its first instruction
// (BH_GUARD_SETTLE_NS): right after the listing it is still killed. An exec in
// the host's mount namespace is never killed (a runtime's helper, before it enters the
// container's namespaces).
TEST_F(SensorTest, ExecsFromUnguardedMountsAreKilledWhereAsked) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  struct stat bin {};
  ASSERT_EQ(stat("/usr/bin/true", &bin), 0);
  ExecKills kills;
  kills.unguarded = true;
  kills.rootDev = bin.st_dev;
  ASSERT_TRUE(sensor->setExecKills(cgroupId_, kills).ok());
  int ids[2];  // the child tells us its tmpfs's mount ID, then waits for the go
  int go[2];
  ASSERT_EQ(pipe(ids), 0);
  ASSERT_EQ(pipe(go), 0);
  int status = 0;
  const pid_t child = fork();
  if (child == 0) {
    // Its own mount namespace and tmpfs, a copy of true on it; the copy runs in a grandchild
    // (killed before it runs), then again once the parent listed the mount.
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount("none", "/mnt", "tmpfs", 0, nullptr) != 0) _exit(3);
    const int in = open("/usr/bin/true", O_RDONLY), out = open("/mnt/true", O_WRONLY | O_CREAT, 0755);
    char buf[65536];
    for (ssize_t n; (n = read(in, buf, sizeof buf)) > 0;) {
      if (write(out, buf, static_cast<size_t>(n)) != n) _exit(4);
    }
    close(out);
    const auto run = [](const char* path) {
      int st = 0;
      const pid_t p = fork();
      if (p == 0) {
        execl(path, "true", nullptr);
        _exit(2);
      }
      waitpid(p, &st, 0);
      return st;
    };
    const int guardedFs = run("/usr/bin/true");
    const int first = run("/mnt/true");
    struct statx sx {};
    statx(AT_FDCWD, "/mnt", 0, STATX_MNT_ID, &sx);
    const uint64_t id = sx.stx_mnt_id;
    if (write(ids[1], &id, sizeof id) != sizeof id) _exit(5);
    char ok = 0;
    if (read(go[0], &ok, 1) != 1) _exit(6);
    const int settling = run("/mnt/true");
    usleep(700 * 1000);
    const int second = run("/mnt/true");
    if (!WIFEXITED(guardedFs) || WEXITSTATUS(guardedFs) != 0) _exit(10);
    const auto killed = [](int st) { return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL; };
    _exit(killed(first) && killed(settling) && WIFEXITED(second) && WEXITSTATUS(second) == 0 ? 0 : 11);
  }
  uint64_t id = 0;
  const bool told = read(ids[0], &id, sizeof id) == sizeof id;
  if (told) {
    kills.mountIds = {id};
    EXPECT_TRUE(sensor->setExecKills(cgroupId_, kills).ok());
  }
  EXPECT_EQ(write(go[1], "g", 1), 1);
  waitpid(child, &status, 0);
  for (int fd : {ids[0], ids[1], go[0], go[1]}) close(fd);
  ASSERT_TRUE(told) << "the child could not set up its tmpfs: status " << status;
  // The same on a tmpfs in the host's mount namespace: it runs.
  const std::string hostDir = "/tmp/bulkhead-sensor-unguarded-" + std::to_string(getpid());
  ASSERT_EQ(mkdir(hostDir.c_str(), 0700), 0);
  ASSERT_EQ(mount("none", hostDir.c_str(), "tmpfs", 0, nullptr), 0);
  int hostStatus = -1;
  runChild([&] {
    const int in = open("/usr/bin/true", O_RDONLY), out = open((hostDir + "/true").c_str(), O_WRONLY | O_CREAT, 0755);
    char buf[65536];
    for (ssize_t n; (n = read(in, buf, sizeof buf)) > 0;) {
      if (write(out, buf, static_cast<size_t>(n)) != n) return 4;
    }
    close(out);
    execl((hostDir + "/true").c_str(), "true", nullptr);
    return 2;
  }, &hostStatus);
  umount2(hostDir.c_str(), MNT_DETACH);
  rmdir(hostDir.c_str());
  EXPECT_TRUE(WIFEXITED(hostStatus) && WEXITSTATUS(hostStatus) == 0) << "an exec in the host's mount namespace was hit: " << hostStatus;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "status " << status << " (10: an exec from the guarded file system was killed; 11: the copy was not killed "
      << "at first or right after its mount was listed, or not let run once the listing had settled)";
  std::vector<Event> copies;  // the copy's three execs, in order
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (copies.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    EXPECT_TRUE(sensor->poll(100, [&](const Event& e) {
      if (e.kind == EventKind::kExec && e.path == "/mnt/true") copies.push_back(e);
    }).ok());
  }
  ASSERT_EQ(copies.size(), 3u);
  EXPECT_TRUE(copies[0].killed && copies[0].unguarded && !copies[0].fileless);
  EXPECT_TRUE(copies[1].killed && copies[1].unguarded);
  EXPECT_FALSE(copies[2].killed || copies[2].unguarded);
  ASSERT_TRUE(sensor->setExecKills(cgroupId_, {}).ok());
}

// open_by_handle_at opens a file without a path: the call is reported with the opened
// file's path, and a refused one (a handle of nothing) is reported too.
TEST_F(SensorTest, OpenByHandleIsReportedWithTheFilesPath) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  const std::string file = "/tmp/bulkhead-sensor-handle-" + std::to_string(getpid());
  ASSERT_TRUE(writeFile(file, "x"));
  int status = 0;
  const pid_t child = runChild([&] {
    alignas(file_handle) unsigned char storage[sizeof(file_handle) + MAX_HANDLE_SZ] = {};
    auto* handle = reinterpret_cast<file_handle*>(storage);
    handle->handle_bytes = MAX_HANDLE_SZ;
    int mountId = 0;
    if (name_to_handle_at(AT_FDCWD, file.c_str(), handle, &mountId, 0) != 0) return 1;
    const int mount = open("/tmp", O_RDONLY | O_DIRECTORY);
    const int fd = open_by_handle_at(mount, handle, O_RDONLY);
    if (fd < 0) return 2;
    close(fd);
    handle->handle_type = 0x7ead;  // a handle of nothing: refused
    return open_by_handle_at(mount, handle, O_RDONLY) < 0 ? 0 : 3;
  }, &status);
  unlink(file.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  const auto events = eventsOf(*sensor, child);
  const auto byHandle = [&](bool refused) {
    return find(events, EventKind::kOpen, [&](const Event& e) { return e.detail == "open_by_handle_at" && (e.targetId < 0) == refused; });
  };
  auto opened = byHandle(false);
  ASSERT_TRUE(opened) << "no event for the open by handle";
  expectCommon(*opened, child);
  EXPECT_EQ(opened->path, file);
  auto refused = byHandle(true);
  ASSERT_TRUE(refused) << "no event for the refused call";
  EXPECT_TRUE(refused->path.empty());
}

// A write goes out by the opened file's real path: through a symlinked directory, "..",
// "//" and "." are no way around the write rules. A write that failed has no file: it is
// reported as given.
// The open path's kernel reads, both ways: by plain loads where the kernel has
// bpf_rdonly_cast (6.2 and later: this one), and by the helper reads that older kernels run
// (forced here, so that path is tested too).
class SensorReadsTest : public SensorTest, public ::testing::WithParamInterface<bool> {
 protected:
  SensorOptions readsOptions(SensorOptions options = {}) const {
    options.helperReads = GetParam();
    return options;
  }
};
INSTANTIATE_TEST_SUITE_P(Reads, SensorReadsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) { return param.param ? "HelperReads" : "PlainLoads"; });

TEST_P(SensorReadsTest, WritesAreReportedByTheFilesRealPath) {
  const std::string dir = "/tmp/bulkhead-sensor-real-" + std::to_string(getpid());
  const std::string link = dir + "-link";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(symlink(dir.c_str(), link.c_str()), 0);
  auto sensor = openSensor(readsOptions());
  ASSERT_TRUE(sensor);
  int status = 0;
  const pid_t child = runChild([&] {
    close(open((link + "/a").c_str(), O_WRONLY | O_CREAT, 0600));
    close(open(("/tmp/../tmp//./" + dir.substr(5) + "/b").c_str(), O_WRONLY | O_CREAT, 0600));
    return open((link + "/missing/c").c_str(), O_WRONLY | O_CREAT, 0600) < 0 ? 0 : 1;
  }, &status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  const auto events = eventsOf(*sensor, child);
  for (const std::string& path : {dir + "/a", dir + "/b", link + "/missing/c"}) {
    EXPECT_TRUE(find(events, EventKind::kOpen, [&](const Event& e) { return e.path == path; })) << "no write of " << path;
  }
  for (const char* name : {"/a", "/b"}) unlink((dir + name).c_str());
  unlink(link.c_str());
  rmdir(dir.c_str());
}

// Renames, unlinks, hard links and symlinks are reported at exit with both names made
// absolute: from the working directory, from a directory's fd, and as given when absolute;
// a symlink's content read from the link's directory; rmdir as an unlink with
// AT_REMOVEDIR; a refused call with its error.
TEST_F(SensorTest, PathChangesAreReportedWithAbsoluteNames) {
  const std::string dir = "/tmp/bulkhead-sensor-paths-" + std::to_string(getpid());
  const std::string shm = dir + "-other";  // renames stay on one file system
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(shm.c_str(), 0700), 0);
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  int status = 0;
  const pid_t child = runChild([&] {
    if (chdir(dir.c_str()) != 0) return 1;
    close(open("a", O_WRONLY | O_CREAT, 0600));
    if (rename("a", "b") != 0) return 2;                                   // both relative
    const int other = open(shm.c_str(), O_RDONLY | O_DIRECTORY);
    if (renameat(AT_FDCWD, "b", other, "c") != 0) return 3;                // to a directory's fd
    if (syscall(SYS_renameat2, other, "c", AT_FDCWD, (dir + "/d").c_str(), RENAME_NOREPLACE) != 0) return 4;
    if (link("d", "e") != 0) return 5;
    if (symlink("/etc/shadow", "f") != 0) return 6;                        // content kept as given
    if (symlinkat("../x", other, "g") != 0) return 7;
    if (unlink("e") != 0 || unlinkat(other, "g", 0) != 0) return 8;
    if (mkdir("h", 0700) != 0 || rmdir("h") != 0) return 9;
    if (rename("missing", "/tmp/nowhere") == 0) return 10;                 // refused: ENOENT
    return 0;
  }, &status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  const auto events = eventsOf(*sensor, child);
  const auto change = [&](EventKind kind, const std::string& path) {
    return find(events, kind, [&](const Event& e) { return e.path == path; });
  };
  const auto expectChange = [&](EventKind kind, const std::string& path, const std::string& detail, uint64_t flags,
                                int64_t result) {
    auto e = change(kind, path);
    ASSERT_TRUE(e) << "no " << eventKindName(kind) << " of " << path;
    expectCommon(*e, child);
    EXPECT_EQ(e->detail, detail) << path;
    EXPECT_EQ(e->flags, flags) << path;
    EXPECT_EQ(e->targetId, result) << path;
  };
  expectChange(EventKind::kRename, dir + "/b", dir + "/a", 0, 0);
  expectChange(EventKind::kRename, shm + "/c", dir + "/b", 0, 0);
  expectChange(EventKind::kRename, dir + "/d", shm + "/c", RENAME_NOREPLACE, 0);
  expectChange(EventKind::kLink, dir + "/e", dir + "/d", 0, 0);
  expectChange(EventKind::kSymlink, dir + "/f", "/etc/shadow", 0, 0);
  expectChange(EventKind::kSymlink, shm + "/g", "/tmp/x", 0, 0);  // "../x" from the link's directory
  expectChange(EventKind::kUnlink, dir + "/e", "", 0, 0);
  expectChange(EventKind::kUnlink, shm + "/g", "", 0, 0);
  expectChange(EventKind::kUnlink, dir + "/h", "", AT_REMOVEDIR, 0);
  expectChange(EventKind::kRename, "/tmp/nowhere", dir + "/missing", 0, -ENOENT);
  for (const char* name : {"/d", "/f"}) unlink((dir + name).c_str());
  rmdir(dir.c_str());
  rmdir(shm.c_str());
}

// chmod, fchmod, fchmodat and fchmodat2 are reported at exit with the file's absolute path
// (from the working directory, a directory's fd or the file's own fd) and the mode asked
// for; a refused call with its error.
TEST_F(SensorTest, ModeChangesAreReported) {
  constexpr long kFchmodat2 = 452;  // x86_64; newer than these headers
  const std::string dir = "/tmp/bulkhead-sensor-modes-" + std::to_string(getpid());
  const std::string other = dir + "-other";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(other.c_str(), 0700), 0);
  for (const std::string& file : {dir + "/a", dir + "/b", other + "/c", dir + "/d"}) ASSERT_TRUE(writeFile(file, "x"));
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  int ends[2];  // the child tells us what fchmodat2 returned (kernels before 6.6 lack it)
  ASSERT_EQ(pipe(ends), 0);
  int status = 0;
  const pid_t child = runChild([&] {
    if (chdir(dir.c_str()) != 0) return 1;
    if (chmod("a", 04755) != 0) return 2;  // relative
    const int b = open("b", O_RDONLY);
    if (fchmod(b, 0640) != 0) return 3;  // by the file's fd
    const int at = open(other.c_str(), O_RDONLY | O_DIRECTORY);
    if (fchmodat(at, "c", 02750, 0) != 0) return 4;  // from a directory's fd
    const int d = open("d", O_RDONLY);
    const long r = syscall(kFchmodat2, d, "", 0600, AT_EMPTY_PATH);
    const int64_t result = r == 0 ? 0 : -errno;
    if (write(ends[1], &result, sizeof result) != sizeof result) return 5;
    if (chmod("missing", 0700) == 0) return 6;  // refused: ENOENT
    return 0;
  }, &status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  int64_t fchmodat2Result = 0;
  ASSERT_EQ(read(ends[0], &fchmodat2Result, sizeof fchmodat2Result), static_cast<ssize_t>(sizeof fchmodat2Result));
  close(ends[0]);
  close(ends[1]);
  const auto events = eventsOf(*sensor, child);
  const auto expectMode = [&](const std::string& path, uint64_t mode, int64_t result) {
    auto e = find(events, EventKind::kChmod, [&](const Event& x) { return x.path == path; });
    ASSERT_TRUE(e) << "no chmod of " << path;
    expectCommon(*e, child);
    EXPECT_EQ(e->flags, mode) << path;
    EXPECT_EQ(e->targetId, result) << path;
  };
  expectMode(dir + "/a", 04755, 0);
  expectMode(dir + "/b", 0640, 0);
  expectMode(other + "/c", 02750, 0);
  if (fchmodat2Result != -ENOSYS) expectMode(dir + "/d", 0600, fchmodat2Result);
  expectMode(dir + "/missing", 0700, -ENOENT);
  for (const std::string& file : {dir + "/a", dir + "/b", other + "/c", dir + "/d"}) unlink(file.c_str());
  rmdir(dir.c_str());
  rmdir(other.c_str());
}

// Owner changes are reported like mode changes: by the name made absolute or the fd's file,
// with the owner and group asked for (0xffffffff: left as is) and the result.
TEST_F(SensorTest, OwnerChangesAreReported) {
  const std::string dir = "/tmp/bulkhead-sensor-owners-" + std::to_string(getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  for (const std::string& file : {dir + "/a", dir + "/b", dir + "/c"}) ASSERT_TRUE(writeFile(file, "x"));
  ASSERT_EQ(symlink("a", (dir + "/link").c_str()), 0);
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  int status = 0;
  const pid_t child = runChild([&] {
    if (chdir(dir.c_str()) != 0) return 1;
    if (chown("a", 65534, 65534) != 0) return 2;  // relative
    const int b = open("b", O_RDONLY);
    if (fchown(b, 65534, static_cast<gid_t>(-1)) != 0) return 3;  // by the fd, the group as is
    const int at = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fchownat(at, "c", static_cast<uid_t>(-1), 0, 0) != 0) return 4;  // from a directory's fd
    if (lchown("link", 65534, 65534) != 0) return 5;  // the link itself
    if (chown("missing", 0, 0) == 0) return 6;  // refused: ENOENT
    return 0;
  }, &status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  const auto events = eventsOf(*sensor, child);
  const auto expectOwner = [&](const std::string& path, uint64_t owner, int64_t result) {
    auto e = find(events, EventKind::kChown, [&](const Event& x) { return x.path == path; });
    ASSERT_TRUE(e) << "no chown of " << path;
    expectCommon(*e, child);
    EXPECT_EQ(e->flags, owner) << path;
    EXPECT_EQ(e->targetId, result) << path;
  };
  constexpr uint64_t kAsIs = 0xffffffff;
  expectOwner(dir + "/a", 65534 | 65534ull << 32, 0);
  expectOwner(dir + "/b", 65534 | kAsIs << 32, 0);
  expectOwner(dir + "/c", kAsIs, 0);
  expectOwner(dir + "/link", 65534 | 65534ull << 32, 0);
  expectOwner(dir + "/missing", 0, -ENOENT);
  for (const std::string& file : {dir + "/a", dir + "/b", dir + "/c", dir + "/link"}) unlink(file.c_str());
  rmdir(dir.c_str());
}

TEST_F(SensorTest, ExitCodeAndSignal) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  pid_t child = runChild([] { return 42; });
  auto exit = find(eventsOf(*sensor, child), EventKind::kExit);
  ASSERT_TRUE(exit);
  expectCommon(*exit, child);
  EXPECT_EQ(exit->exitCode, 42);

  pid_t killed = runChild([] {
    raise(SIGKILL);
    return 0;
  });
  exit = find(eventsOf(*sensor, killed), EventKind::kExit);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->exitCode, -SIGKILL);
}

TEST_F(SensorTest, OpenForWriteAndSensitiveReadButNotPlainRead) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  std::string written = "/tmp/bulkhead-sensor-write-" + std::to_string(getpid());
  std::string plain = "/tmp/bulkhead-sensor-read-" + std::to_string(getpid());
  ASSERT_TRUE(writeFile(plain, "x"));  // by the sensor's own process: not reported
  pid_t child = runChild([&] {
    int fd = open(written.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    close(fd);
    fd = open(plain.c_str(), O_RDONLY);
    close(fd);
    open_how how{};
    how.flags = O_RDWR;
    fd = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, written.c_str(), &how, sizeof(how)));
    close(fd);
    fd = open("/etc/shadow", O_RDONLY);
    close(fd);
    return 0;
  });
  auto events = eventsOf(*sensor, child);
  auto write = find(events, EventKind::kOpen, [&](const Event& e) {
    return e.path == written && (e.flags & O_CREAT);
  });
  ASSERT_TRUE(write) << "no open-for-write event";
  expectCommon(*write, child);
  EXPECT_TRUE(write->flags & O_WRONLY);
  EXPECT_TRUE(find(events, EventKind::kOpen, [&](const Event& e) {
    return e.path == written && (e.flags & O_ACCMODE) == O_RDWR;
  })) << "no openat2 event";
  auto shadow = find(events, EventKind::kOpen, [](const Event& e) { return e.path == "/etc/shadow"; });
  ASSERT_TRUE(shadow) << "no event for the read of /etc/shadow";
  EXPECT_EQ(shadow->flags & O_ACCMODE, static_cast<uint64_t>(O_RDONLY));
  EXPECT_FALSE(find(events, EventKind::kOpen, [&](const Event& e) { return e.path == plain; }))
      << "a plain read was reported";
  unlink(written.c_str());
  unlink(plain.c_str());
}

// The path of an open is read when the call returns: a path in memory the process never
// touched before the call (a file mapping nothing had faulted in) is still reported.
TEST_F(SensorTest, OpenOfAPathNotYetPagedIn) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  const std::string target = "/tmp/bulkhead-sensor-lazy-" + std::to_string(getpid());
  const std::string holder = target + "-name";
  ASSERT_TRUE(writeFile(holder, target + std::string(1, '\0')));
  pid_t child = runChild([&] {
    const int fd = open(holder.c_str(), O_RDONLY);
    void* page = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    if (page == MAP_FAILED) return 1;
    close(open(static_cast<const char*>(page), O_WRONLY | O_CREAT, 0600));
    return 0;
  });
  auto events = eventsOf(*sensor, child);
  EXPECT_TRUE(find(events, EventKind::kOpen, [&](const Event& e) { return e.path == target; })) << "no event for " << target;
  unlink(target.c_str());
  unlink(holder.c_str());
}

// A process writing one file in a loop is sent once a second, the repeats counted; another
// way of opening it, another file or another process is sent at once. More files than the
// filter holds are each sent once: a full cache evicts, it never merges two paths.
TEST_F(SensorTest, RepeatedOpensAreMergedAndCounted) {
  const std::string file = "/tmp/bulkhead-sensor-repeat-" + std::to_string(getpid());
  const std::string other = file + "-other";
  // Paths that differ only in their last byte, inside one 8-byte word or many words in:
  // the filter compares whole paths, so each is reported on its own.
  const std::vector<std::string> alike = {file + "-a", file + "-b", file + "-" + std::string(150, 'x'),
                                          file + "-" + std::string(149, 'x') + "y"};
  std::vector<std::string> many;  // more than the filter's 512 slots per CPU
  for (int i = 0; i < 700; ++i) many.push_back(file + "-many-" + std::to_string(i));
  const auto loop = [&] {
    stayOnThisCpu();
    for (int i = 0; i < 100; ++i) close(open(file.c_str(), O_WRONLY | O_CREAT, 0600));
    close(open(file.c_str(), O_WRONLY | O_TRUNC));
    close(open(other.c_str(), O_WRONLY | O_CREAT, 0600));
    for (int i = 0; i < 2; ++i) {
      for (const std::string& path : alike) close(open(path.c_str(), O_WRONLY | O_CREAT, 0600));
    }
    for (const std::string& path : many) {
      for (int i = 0; i < 2; ++i) close(open(path.c_str(), O_WRONLY | O_CREAT, 0600));
    }
    return 0;
  };
  for (const uint32_t window : {1000u, 0u}) {
    SensorOptions options;
    options.repeatWindowMs = window;
    auto sensor = openSensor(options);
    ASSERT_TRUE(sensor);
    const pid_t first = runChild(loop), second = runChild(loop);
    int exits = 0;
    const auto all = collect(*sensor, {first, second}, [&](const Event& e) {
      return e.kind == EventKind::kExit && (e.pid == static_cast<uint32_t>(first) || e.pid == static_cast<uint32_t>(second)) &&
             ++exits == 2;
    });
    const auto opensOf = [&](const std::vector<Event>& events, const std::string& path, uint64_t flags) {
      return std::count_if(events.begin(), events.end(), [&](const Event& e) {
        return e.kind == EventKind::kOpen && e.path == path && (e.flags & (O_ACCMODE | O_CREAT | O_TRUNC)) == flags;
      });
    };
    for (const pid_t child : {first, second}) {
      std::vector<Event> events;
      std::copy_if(all.begin(), all.end(), std::back_inserter(events), [&](const Event& e) { return e.pid == static_cast<uint32_t>(child); });
      EXPECT_EQ(opensOf(events, file, O_WRONLY | O_CREAT), window == 0 ? 100 : 1) << "window " << window;
      EXPECT_EQ(opensOf(events, file, O_WRONLY | O_TRUNC), 1);
      EXPECT_EQ(opensOf(events, other, O_WRONLY | O_CREAT), 1);
      for (const std::string& path : alike) {
        EXPECT_EQ(opensOf(events, path, O_WRONLY | O_CREAT), window == 0 ? 2 : 1) << path << ", window " << window;
      }
      int manyWrong = 0;
      for (const std::string& path : many) manyWrong += opensOf(events, path, O_WRONLY | O_CREAT) != (window == 0 ? 2 : 1);
      EXPECT_EQ(manyWrong, 0) << "of " << many.size() << " files each opened twice, window " << window;
    }
    const SensorStats stats = sensor->stats();
    uint64_t merged = 0;
    for (const auto& [kind, n] : stats.mergedByKind) merged += kind == EventKind::kOpen ? n : 0;
    if (window == 0) {
      EXPECT_EQ(stats.merged, 0u);
    } else {
      EXPECT_GE(merged, 2u * (99u + 700u));  // other processes may repeat opens too
    }
  }
  unlink(file.c_str());
  unlink(other.c_str());
  for (const std::string& path : alike) unlink(path.c_str());
  for (const std::string& path : many) unlink(path.c_str());
}

// The window runs on the kernel's tick where its rate is known: a repeat is merged while
// the window lasts and sent again once it is over.
TEST_F(SensorTest, ARepeatAfterTheWindowIsSentAgain) {
  const std::string file = "/tmp/bulkhead-sensor-window-" + std::to_string(getpid());
  SensorOptions options;
  options.repeatWindowMs = 200;
  auto sensor = openSensor(options);
  ASSERT_TRUE(sensor);
  pid_t child = runChild([&] {
    stayOnThisCpu();
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 10; ++i) close(open(file.c_str(), O_WRONLY | O_CREAT, 0600));
      usleep(round < 2 ? 500 * 1000 : 0);  // longer than the window, with a tick to spare
    }
    return 0;
  });
  const auto events = eventsOf(*sensor, child);
  const auto opens = std::count_if(events.begin(), events.end(), [&](const Event& e) { return e.kind == EventKind::kOpen && e.path == file; });
  EXPECT_EQ(opens, 3) << "one per burst of 10 within the window";
  unlink(file.c_str());
}

TEST_F(SensorTest, SensitivePrefixesComeFromOptions) {
  std::string secret = "/tmp/bulkhead-sensor-secret-" + std::to_string(getpid());
  ASSERT_TRUE(writeFile(secret, "x"));
  SensorOptions options;
  options.sensitivePrefixes = {"/tmp/bulkhead-sensor-secret-"};
  auto sensor = openSensor(options);
  ASSERT_TRUE(sensor);
  pid_t child = runChild([&] {
    close(open(secret.c_str(), O_RDONLY));
    close(open("/etc/shadow", O_RDONLY));  // not in this list
    return 0;
  });
  auto events = eventsOf(*sensor, child);
  EXPECT_TRUE(find(events, EventKind::kOpen, [&](const Event& e) { return e.path == secret; }));
  EXPECT_FALSE(find(events, EventKind::kOpen, [](const Event& e) { return e.path == "/etc/shadow"; }));
  unlink(secret.c_str());
}

// Reads are first tested on the head of the path (as many bytes as the shortest prefix,
// at most 8) and then on the whole prefix: a path as long as the head, a path that matches
// the head of one prefix but not the prefix, and a path shorter than the head. The opens
// need not succeed: an attempt is reported too.
TEST_F(SensorTest, SensitiveReadsMatchWholePrefixesOfAnyLength) {
  const std::string pid = std::to_string(getpid());
  const std::string deep = "/tmp/bulkhead-sensor-head-" + pid + "/deep/";
  struct Case {
    std::vector<std::string> prefixes, reported, silent;
  };
  const std::vector<Case> cases = {
      {{"/tmp/q", deep},
       {"/tmp/q", "/tmp/qz-" + pid, deep + "a"},
       {"/tmp/r-" + pid, "/tmp/", deep.substr(0, deep.size() - 2), "/etc/shadow"}},
      {{"/tmp/qq8", deep},
       {"/tmp/qq8", "/tmp/qq8-" + pid, deep},
       {"/tmp/qq9", "/tmp/qq", "/tmp/q", deep.substr(0, deep.size() - 1) + "X"}},
  };
  for (const Case& c : cases) {
    SensorOptions options;
    options.sensitivePrefixes = c.prefixes;
    auto sensor = openSensor(options);
    ASSERT_TRUE(sensor);
    const pid_t child = runChild([&] {
      for (const auto* list : {&c.reported, &c.silent}) {
        for (const std::string& path : *list) close(open(path.c_str(), O_RDONLY));
      }
      return 0;
    });
    const auto events = eventsOf(*sensor, child);
    const auto opened = [&](const std::string& path) {
      return find(events, EventKind::kOpen, [&](const Event& e) { return e.path == path; }).has_value();
    };
    for (const std::string& path : c.reported) EXPECT_TRUE(opened(path)) << path << " with prefix " << c.prefixes[0];
    for (const std::string& path : c.silent) EXPECT_FALSE(opened(path)) << path << " with prefix " << c.prefixes[0];
  }
}

// An open by a relative path is reported by the opened file's path from the task's root:
// from the working directory, from a directory's fd across mount points, through "..", and
// inside a chroot (as the chrooted process sees it). Relative plain reads stay silent; a
// relative write that failed has no file and is reported as given.
TEST_P(SensorReadsTest, RelativeOpensAreReportedByTheirPathFromTheRoot) {
  const std::string pid = std::to_string(getpid());
  const std::string shm = "/dev/shm/bulkhead-sensor-rel-" + pid, tmp = "/tmp/bulkhead-sensor-rel-" + pid;
  const std::string jail = "/tmp/bulkhead-sensor-jail-" + pid;
  ASSERT_EQ(mkdir(shm.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(tmp.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(jail.c_str(), 0700), 0);
  ASSERT_EQ(mkdir((jail + "/etc").c_str(), 0700), 0);
  ASSERT_TRUE(writeFile(jail + "/etc/shadow", "x"));
  auto sensor = openSensor(readsOptions());
  ASSERT_TRUE(sensor);
  const pid_t child = runChild([&] {
    if (chdir("/etc") != 0) return 1;
    close(open("shadow", O_RDONLY));
    const int dir = open(shm.c_str(), O_RDONLY | O_DIRECTORY);
    close(openat(dir, "written", O_WRONLY | O_CREAT, 0600));
    if (chdir(tmp.c_str()) != 0) return 1;
    close(open(("../bulkhead-sensor-rel-" + pid + "/up").c_str(), O_WRONLY | O_CREAT, 0600));
    close(open("missing-dir/x", O_WRONLY | O_CREAT, 0600));
    if (chdir("/usr/lib") != 0) return 1;
    close(open("os-release", O_RDONLY));
    int ends[2];  // a pipe has no path: its write is reported as given, not as "/"
    if (pipe(ends) != 0 || chdir("/proc/self/fd") != 0) return 1;
    close(open(std::to_string(ends[1]).c_str(), O_WRONLY));
    return 0;
  });
  const pid_t jailed = runChild([&] {
    if (chroot(jail.c_str()) != 0 || chdir("/etc") != 0) return 1;
    close(open("shadow", O_RDONLY));
    return 0;
  });
  int exits = 0;
  const auto events = collect(*sensor, {child, jailed}, [&](const Event& e) {
    return e.kind == EventKind::kExit && (e.pid == static_cast<uint32_t>(child) || e.pid == static_cast<uint32_t>(jailed)) &&
           ++exits == 2;
  });
  const auto opened = [&](pid_t who, const std::string& path) {
    return find(events, EventKind::kOpen, [&](const Event& e) { return e.pid == static_cast<uint32_t>(who) && e.path == path; }).has_value();
  };
  EXPECT_TRUE(opened(child, "/etc/shadow")) << "cd /etc; cat shadow";
  EXPECT_TRUE(opened(child, shm + "/written")) << "openat on a directory's fd, across two mounts";
  EXPECT_TRUE(opened(child, tmp + "/up")) << "through ..";
  EXPECT_TRUE(opened(child, "missing-dir/x")) << "a failed relative write";
  EXPECT_FALSE(opened(child, "/usr/lib/os-release"));
  EXPECT_FALSE(opened(child, "os-release"));
  EXPECT_FALSE(opened(child, "shadow"));
  EXPECT_FALSE(opened(child, "/"));
  EXPECT_TRUE(find(events, EventKind::kOpen, [&](const Event& e) {
    return e.pid == static_cast<uint32_t>(child) && !e.path.empty() &&
           e.path.find_first_not_of("0123456789") == std::string::npos;
  })) << "the pipe's write";
  EXPECT_TRUE(opened(jailed, "/etc/shadow")) << "inside a chroot";
  EXPECT_FALSE(opened(jailed, jail + "/etc/shadow"));
  unlink((shm + "/written").c_str());
  unlink((tmp + "/up").c_str());
  unlink((jail + "/etc/shadow").c_str());
  for (const std::string& dir : {shm, tmp, jail + "/etc", jail}) rmdir(dir.c_str());
}

// A read is judged by where it lands, not only by its name: through "//", "..",
// /proc/self/root, a symlinked directory or a symlink to the file, a read of /etc/shadow
// is one, reported by its real path; so is a file in a sensitive directory (a prefix
// ending in '/') reached through a link to that directory. A file merely named like a
// sensitive one elsewhere, and a read that failed, are not reported. A service-account
// token laid out as the kubelet does (token -> ..data/token, ..data -> ..<time>) read by
// another name is reported by the file's real path.
TEST_P(SensorReadsTest, SensitiveReadsAreJudgedByWhereTheyLand) {
  const std::string dir = "/tmp/bulkhead-sensor-land-" + std::to_string(getpid());
  const std::string keys = dir + "/.ssh";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(keys.c_str(), 0700), 0);
  ASSERT_TRUE(writeFile(keys + "/id_ed25519", "k"));
  ASSERT_TRUE(writeFile(dir + "/shadow", "not one"));
  ASSERT_EQ(symlink("/etc", (dir + "/etc").c_str()), 0);
  ASSERT_EQ(symlink("/etc/shadow", (dir + "/s").c_str()), 0);
  ASSERT_EQ(symlink(keys.c_str(), (dir + "/k").c_str()), 0);
  const std::string account = dir + "/secrets/serviceaccount", stamped = account + "/..2026_12_06_10_00_00.1";
  for (const std::string& d : {dir + "/secrets", account, stamped}) ASSERT_EQ(mkdir(d.c_str(), 0700), 0);
  ASSERT_TRUE(writeFile(stamped + "/token", "t"));
  ASSERT_EQ(symlink("..2026_12_06_10_00_00.1", (account + "/..data").c_str()), 0);
  ASSERT_EQ(symlink("..data/token", (account + "/token").c_str()), 0);
  SensorOptions options;
  options.sensitivePrefixes = defaultSensitivePrefixes();
  options.sensitivePrefixes.push_back(keys + "/");
  options.sensitivePrefixes.push_back(dir + "/secrets");  // as /run/secrets/kubernetes.io and its token
  options.sensitivePrefixes.push_back(account + "/token");
  auto sensor = openSensor(readsOptions(options));
  ASSERT_TRUE(sensor);
  const std::vector<std::pair<std::string, std::string>> landing = {
      {"//etc/shadow", "/etc/shadow"},
      {"/etc/ssl/../shadow", "/etc/shadow"},
      {"/etc/./shadow", "/etc/shadow"},
      {"/proc/self/root/etc/shadow", "/etc/shadow"},
      {dir + "/etc/shadow", "/etc/shadow"},
      {dir + "/s", "/etc/shadow"},
      {dir + "/k/id_ed25519", keys + "/id_ed25519"},
      {"/proc/self/root" + account + "/token", stamped + "/token"},
  };
  const std::vector<std::string> silent = {dir + "/shadow", "//etc/no-such-shadow", dir + "/etc/../etc/passwd"};
  std::vector<pid_t> children;  // one process per read: the repeat filter keys on the process
  for (const auto& [name, real] : landing) {
    children.push_back(runChild([&] { return close(open(name.c_str(), O_RDONLY)) == 0 ? 0 : 1; }));
  }
  const pid_t quiet = runChild([&] {
    for (const std::string& name : silent) close(open(name.c_str(), O_RDONLY));
    return 0;
  });
  children.push_back(quiet);
  size_t exits = 0;
  const auto events = collect(*sensor, children, [&](const Event& e) {
    return e.kind == EventKind::kExit && std::find(children.begin(), children.end(), static_cast<pid_t>(e.pid)) != children.end() &&
           ++exits == children.size();
  });
  for (size_t i = 0; i < landing.size(); ++i) {
    const auto read = find(events, EventKind::kOpen, [&](const Event& e) { return e.pid == static_cast<uint32_t>(children[i]); });
    ASSERT_TRUE(read) << "no event for the read of " << landing[i].first;
    EXPECT_EQ(read->path, landing[i].second) << landing[i].first;
  }
  EXPECT_FALSE(find(events, EventKind::kOpen, [&](const Event& e) { return e.pid == static_cast<uint32_t>(quiet); }))
      << "a file named shadow outside /etc, a failed read or /etc/passwd was reported";
  for (const std::string& name : {stamped + "/token", account + "/token", account + "/..data"}) unlink(name.c_str());
  for (const std::string& name : {stamped, account, dir + "/secrets"}) rmdir(name.c_str());
  for (const char* name : {"/etc", "/s", "/k", "/shadow", "/.ssh/id_ed25519", "/.ssh", ""}) {
    const std::string path = dir + name;
    if (unlink(path.c_str()) != 0) rmdir(path.c_str());
  }
}

// A sensitive file known by its identity is reported whatever name opens it: a hard link,
// the file renamed (what names alone cannot tell), as the path it was given, with the name
// it was reached by; another file is not, nor the file once it is no longer watched.
TEST_P(SensorReadsTest, SensitiveFilesAreKnownByIdentity) {
  const std::string dir = "/tmp/bulkhead-sensor-id-" + std::to_string(getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  const std::string secret = dir + "/secret", linked = dir + "/innocent", moved = dir + "/moved", other = dir + "/other";
  ASSERT_TRUE(writeFile(secret, "k"));
  ASSERT_TRUE(writeFile(other, "o"));
  ASSERT_EQ(link(secret.c_str(), linked.c_str()), 0);
  struct stat st {};
  ASSERT_EQ(stat(secret.c_str(), &st), 0);
  auto sensor = openSensor(readsOptions());
  ASSERT_TRUE(sensor);
  ASSERT_TRUE(sensor->watchFileIdentity(st.st_dev, st.st_ino, "/srv/keys/signing.key"));
  ASSERT_EQ(rename(secret.c_str(), moved.c_str()), 0);
  // One process per read: the repeat filter merges a process's reads of one path.
  const auto readOne = [](const std::string& name) {
    return runChild([&] { return close(open(name.c_str(), O_RDONLY)) == 0 ? 0 : 1; });
  };
  for (const std::string& name : {linked, moved}) {
    const auto read = find(eventsOf(*sensor, readOne(name)), EventKind::kOpen);
    ASSERT_TRUE(read) << "no event for the read of " << name;
    EXPECT_EQ(read->path, "/srv/keys/signing.key");
    EXPECT_EQ(read->detail, name);
  }
  EXPECT_FALSE(find(eventsOf(*sensor, readOne(other)), EventKind::kOpen)) << "another file was reported";
  ASSERT_TRUE(sensor->unwatchFileIdentity(st.st_dev, st.st_ino));
  EXPECT_FALSE(find(eventsOf(*sensor, readOne(linked)), EventKind::kOpen)) << "reported once no longer watched";
  for (const std::string& name : {linked, moved, other}) unlink(name.c_str());
  rmdir(dir.c_str());
}

TEST_F(SensorTest, ListenConnectAcceptOnLoopback) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  int ports[2];  // the child tells us: listener port, first client's port
  ASSERT_EQ(pipe(ports), 0);
  pid_t child = runChild([&] {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listener, 8);
    socklen_t len = sizeof(addr);
    getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return 1;
    sockaddr_in local{};
    len = sizeof(local);
    getsockname(client, reinterpret_cast<sockaddr*>(&local), &len);
    sockaddr_in peer{};
    len = sizeof(peer);
    int accepted = accept(listener, reinterpret_cast<sockaddr*>(&peer), &len);
    int second = socket(AF_INET, SOCK_STREAM, 0);
    connect(second, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    int accepted2 = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);  // peer from the socket
    int out[2] = {ntohs(addr.sin_port), ntohs(local.sin_port)};
    if (write(ports[1], out, sizeof(out)) != sizeof(out)) return 2;
    close(accepted);
    close(accepted2);
    return 0;
  });
  int got[2] = {0, 0};
  ASSERT_EQ(read(ports[0], got, sizeof(got)), static_cast<ssize_t>(sizeof(got)));
  close(ports[0]);
  close(ports[1]);
  const uint16_t port = static_cast<uint16_t>(got[0]);
  const uint16_t clientPort = static_cast<uint16_t>(got[1]);
  auto events = eventsOf(*sensor, child);

  auto listened = find(events, EventKind::kListen);
  ASSERT_TRUE(listened) << "no listen event";
  expectCommon(*listened, child);
  EXPECT_EQ(listened->family, AF_INET);
  EXPECT_EQ(listened->address, "127.0.0.1");
  EXPECT_EQ(listened->port, port);

  auto connected = find(events, EventKind::kConnect);
  ASSERT_TRUE(connected) << "no connect event";
  EXPECT_EQ(connected->family, AF_INET);
  EXPECT_EQ(connected->address, "127.0.0.1");
  EXPECT_EQ(connected->port, port);
  EXPECT_EQ(connected->localPort, clientPort);  // seen at the call's exit: the port it bound
  EXPECT_EQ(connected->result, 0);

  auto accepted = find(events, EventKind::kAccept, [&](const Event& e) { return e.port == clientPort; });
  ASSERT_TRUE(accepted) << "no accept event with the client's port " << clientPort;
  EXPECT_EQ(accepted->address, "127.0.0.1");
  EXPECT_EQ(accepted->localPort, port);
  auto accepted4 = find(events, EventKind::kAccept, [&](const Event& e) { return e.port != clientPort; });
  ASSERT_TRUE(accepted4) << "no accept4 event";
  EXPECT_EQ(accepted4->address, "127.0.0.1");
  EXPECT_EQ(accepted4->localPort, port);
  EXPECT_NE(accepted4->port, 0);
}

// A connect is reported when it ends, refused ones too, with the call's result.
TEST_F(SensorTest, ARefusedConnectCarriesItsError) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  uint16_t closedPort = 0;
  {  // a port nothing listens on: bound, then closed
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
    closedPort = ntohs(addr.sin_port);
    close(probe);
  }
  pid_t child = runChild([&] {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(closedPort);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == -1 && errno == ECONNREFUSED ? 0 : 1;
  });
  auto refused = find(eventsOf(*sensor, child), EventKind::kConnect);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->port, closedPort);
  EXPECT_EQ(refused->result, -ECONNREFUSED);
}

TEST_F(SensorTest, UnixSocketPaths) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  std::string path = "/tmp/bulkhead-sensor-" + std::to_string(getpid()) + ".sock";
  pid_t child = runChild([&] {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listener, 1);
    int client = socket(AF_UNIX, SOCK_STREAM, 0);
    return connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 ? 0 : 1;
  });
  auto events = eventsOf(*sensor, child);
  auto listened = find(events, EventKind::kListen);
  ASSERT_TRUE(listened);
  EXPECT_EQ(listened->family, AF_UNIX);
  EXPECT_EQ(listened->address, path);
  auto connected = find(events, EventKind::kConnect);
  ASSERT_TRUE(connected);
  EXPECT_EQ(connected->address, path);
  unlink(path.c_str());
}

TEST_F(SensorTest, SetuidAndSetgid) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  pid_t child = runChild([] {
    if (setresgid(65534, 65534, 65534) != 0) return 1;
    return setuid(65534) == 0 ? 0 : 2;
  });
  auto events = eventsOf(*sensor, child);
  auto uid = find(events, EventKind::kSetuid);
  ASSERT_TRUE(uid);
  expectCommon(*uid, child);
  EXPECT_EQ(uid->targetId, 65534);
  EXPECT_EQ(uid->flags, 0u);  // setuid, not setre/setres/setfs
  auto gid = find(events, EventKind::kSetgid);
  ASSERT_TRUE(gid);
  EXPECT_EQ(gid->targetId, 65534);
  EXPECT_EQ(gid->flags, 2u);  // setresgid
  auto exit = find(events, EventKind::kExit);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->uid, 65534u);  // events after the change carry the new ids
}

// Set*id calls are reported at their exit, yet each event carries the ids the call was made
// with, as "a process not running as root became root" (BH-RT-0019) needs: from the
// thread's own last change, from its program's start, or unchanged for a refused call.
TEST_F(SensorTest, SetIdEventsCarryTheIdsBeforeTheCall) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  pid_t child = runChild([] {
    if (setresuid(65534, 65534, 0) != 0) return 1;  // drops, keeping root as the saved uid
    if (setresuid(0, 0, 0) != 0) return 2;          // and takes root back
    if (setresgid(65534, 65534, 65534) != 0) return 3;
    if (setresuid(65534, 65534, 65534) != 0) return 4;
    return setuid(0) == -1 && errno == EPERM ? 0 : 5;  // refused
  });
  auto events = eventsOf(*sensor, child);
  std::vector<Event> uids;
  for (const Event& e : events) {
    if (e.kind == EventKind::kSetuid) uids.push_back(e);
  }
  ASSERT_EQ(uids.size(), 4u);
  EXPECT_EQ(uids[0].uid, 0u);  // from the test program's start
  EXPECT_EQ(uids[0].targetId, 65534);
  EXPECT_EQ(uids[0].result, 0);
  EXPECT_EQ(uids[1].uid, 65534u);  // from the thread's own last change
  EXPECT_EQ(uids[1].euid, 65534u);
  EXPECT_EQ(uids[1].targetId, 0);
  EXPECT_EQ(uids[2].uid, 0u);
  EXPECT_EQ(uids[3].uid, 65534u);  // refused: nothing changed
  EXPECT_EQ(uids[3].targetId, 0);
  EXPECT_EQ(uids[3].result, -EPERM);
  auto gid = find(events, EventKind::kSetgid);
  ASSERT_TRUE(gid);
  EXPECT_EQ(gid->gid, 0u);
  EXPECT_EQ(gid->targetId, 65534);

  // A program started with real uid nobody and effective root (as a set-user-ID one is)
  // that makes itself root: its process never called set*id before, the ids come from
  // its start.
  int status = -1;
  const pid_t program = runGrandchild([] { return setresuid(65534, 0, 0) == 0; },
                                      [] { execl("/usr/bin/perl", "perl", "-e", "syscall(105, 0) == 0 or exit 7", nullptr); },
                                      &status);  // 105: setuid
  ASSERT_GT(program, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto became = find(eventsOf(*sensor, program), EventKind::kSetuid);
  ASSERT_TRUE(became);
  EXPECT_EQ(became->comm, "perl");
  EXPECT_EQ(became->uid, 65534u);
  EXPECT_EQ(became->targetId, 0);
  EXPECT_EQ(became->result, 0);

  // A process that dropped its ids and then forked: the child's first call is judged from
  // what its parent had moved to, not from the program's start (root).
  const pid_t forked = runGrandchild([] { return setresuid(65534, 65534, 0) == 0; },
                                     [] { _exit(setresuid(0, 0, 0) == 0 ? 0 : 1); }, &status);
  ASSERT_GT(forked, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto back = find(eventsOf(*sensor, forked), EventKind::kSetuid);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->uid, 65534u);
  EXPECT_EQ(back->euid, 65534u);
  EXPECT_EQ(back->targetId, 0);
  EXPECT_EQ(back->result, 0);
}

// Real and effective uid differ (a set-user-ID program runs with its owner's): events
// carry both. Real root with effective nobody here, so neither id can pass by default (0)
// or by copying the other.
TEST_F(SensorTest, EventsCarryTheRealAndTheEffectiveUid) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  pid_t child = runChild([] {
    if (setresuid(0, 65534, 0) != 0) return 1;
    int fd = open("/tmp/bulkhead-sensor-euid", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 2;
    close(fd);
    return 0;
  });
  auto events = eventsOf(*sensor, child);
  auto opened = find(events, EventKind::kOpen,
                     [](const Event& e) { return e.path == "/tmp/bulkhead-sensor-euid"; });
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->uid, 0u);
  EXPECT_EQ(opened->euid, 65534u);
  unlink("/tmp/bulkhead-sensor-euid");
}

TEST_F(SensorTest, PtraceAttach) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  pid_t target = fork();
  if (target == 0) {
    pause();
    _exit(0);
  }
  pid_t tracer = runChild([&] {
    if (ptrace(PTRACE_ATTACH, target, nullptr, nullptr) != 0) return 1;
    waitpid(target, nullptr, 0);
    ptrace(PTRACE_DETACH, target, nullptr, nullptr);
    return 0;
  });
  kill(target, SIGKILL);
  waitpid(target, nullptr, 0);
  auto events = eventsOf(*sensor, tracer);
  auto attach = find(events, EventKind::kPtrace, [](const Event& e) { return e.flags == PTRACE_ATTACH; });
  ASSERT_TRUE(attach);
  expectCommon(*attach, tracer);
  EXPECT_EQ(attach->targetId, target);
}

TEST_F(SensorTest, MountTmpfsInNewMountNamespace) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  std::string dir = "/tmp/bulkhead-sensor-mnt-" + std::to_string(getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  int status = 0;
  pid_t child = runChild([&] {
    if (unshare(CLONE_NEWNS) != 0) return 1;
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 2;
    return mount("bulkhead-tmpfs", dir.c_str(), "tmpfs", MS_NOSUID, "size=1m") == 0 ? 0 : 3;
  }, &status);
  rmdir(dir.c_str());
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto events = eventsOf(*sensor, child);
  auto unshared = find(events, EventKind::kUnshare);
  ASSERT_TRUE(unshared);
  expectCommon(*unshared, child);
  EXPECT_EQ(unshared->flags, static_cast<uint64_t>(CLONE_NEWNS));
  auto mounted = find(events, EventKind::kMount, [&](const Event& e) { return e.path == dir; });
  ASSERT_TRUE(mounted);
  EXPECT_EQ(mounted->detail, "bulkhead-tmpfs");
  EXPECT_EQ(mounted->flags, static_cast<uint64_t>(MS_NOSUID));
}

// An io_uring ring's operations are not system calls; its creation is reported.
TEST_F(SensorTest, IoUringSetup) {
  if (::access("/sys/kernel/tracing/events/io_uring/io_uring_create", F_OK) != 0 &&
      ::access("/sys/kernel/debug/tracing/events/io_uring/io_uring_create", F_OK) != 0) {
    GTEST_SKIP() << "this kernel has no io_uring (no io_uring/io_uring_create tracepoint)";
  }
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  int status = 0;
  const pid_t child = runChild([] {
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = 16;
    const long fd = syscall(__NR_io_uring_setup, 4, &params);
    return fd >= 0 ? 0 : 1;
  }, &status);
  if (WEXITSTATUS(status) != 0) GTEST_SKIP() << "io_uring_setup is refused here (kernel.io_uring_disabled?)";
  auto events = eventsOf(*sensor, child);
  auto ring = find(events, EventKind::kIoUring);
  ASSERT_TRUE(ring) << "no event for io_uring_setup";
  expectCommon(*ring, child);
  EXPECT_EQ(ring->targetId, 4);
  EXPECT_EQ(ring->flags, static_cast<uint64_t>(IORING_SETUP_CQSIZE));
}

// A ring's operations are not system calls. Its opens (by a relative path, into a fixed
// file slot), listens, connects and accepts are reported as the calls' are, marked.
TEST_F(SensorTest, IoUringOpsAreReportedLikeTheirSystemCalls) {
  const std::string file = "/tmp/bulkhead-sensor-uring-" + std::to_string(getpid());
  const std::string direct = file + "-direct", moved = file + "-moved";
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  int ports[2];  // the child tells us the listener's port and the client's
  ASSERT_EQ(pipe(ports), 0);
  int status = 0;
  const pid_t child = runChild([&] {
    io_uring ring{};
    if (io_uring_queue_init(8, &ring, 0) < 0 || io_uring_register_files_sparse(&ring, 4) < 0) return 77;
    int step = 10;
    const auto run = [&](const std::function<void(io_uring_sqe*)>& prep) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      prep(sqe);
      io_uring_cqe* cqe = nullptr;
      if (io_uring_submit_and_wait(&ring, 1) < 1 || io_uring_wait_cqe(&ring, &cqe) < 0) return -1000;
      const int res = cqe->res;
      io_uring_cqe_seen(&ring, cqe);
      ++step;
      return res;
    };
    if (run([&](io_uring_sqe* q) { io_uring_prep_openat(q, AT_FDCWD, file.c_str(), O_WRONLY | O_CREAT, 0600); }) < 0) return step;
    if (chdir("/etc") != 0) return 2;
    if (run([&](io_uring_sqe* q) { io_uring_prep_openat(q, AT_FDCWD, "shadow", O_RDONLY, 0); }) < 0) return step;
    if (run([&](io_uring_sqe* q) { io_uring_prep_openat_direct(q, AT_FDCWD, direct.c_str(), O_WRONLY | O_CREAT, 0600, 2); }) < 0) return step;
    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return 3;
    socklen_t len = sizeof(addr);
    getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    if (run([&](io_uring_sqe* q) { io_uring_prep_rw(IORING_OP_LISTEN_, q, listener, nullptr, 8, 0); }) < 0) return step;
    const int client = socket(AF_INET, SOCK_STREAM, 0);
    if (run([&](io_uring_sqe* q) { io_uring_prep_connect(q, client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)); }) < 0) return step;
    sockaddr_in local{};
    len = sizeof(local);
    getsockname(client, reinterpret_cast<sockaddr*>(&local), &len);
    if (run([&](io_uring_sqe* q) { io_uring_prep_accept(q, listener, nullptr, nullptr, 0); }) < 0) return step;
    // Path changes, by relative and absolute names.
    if (chdir("/tmp") != 0) return 5;
    // The names live until the ring has read them (it does when the request is submitted).
    const std::string name = file.substr(5), linked = name + "-link", sym = name + "-sym", symAbs = file + "-sym";
    if (run([&](io_uring_sqe* q) { io_uring_prep_renameat(q, AT_FDCWD, name.c_str(), AT_FDCWD, moved.c_str(), 0); }) < 0) return step;
    if (run([&](io_uring_sqe* q) { io_uring_prep_linkat(q, AT_FDCWD, moved.c_str(), AT_FDCWD, linked.c_str(), 0); }) < 0) return step;
    if (run([&](io_uring_sqe* q) { io_uring_prep_symlinkat(q, "/etc/shadow", AT_FDCWD, sym.c_str()); }) < 0) return step;
    if (run([&](io_uring_sqe* q) { io_uring_prep_unlinkat(q, AT_FDCWD, symAbs.c_str(), 0); }) < 0) return step;
    if (run([&](io_uring_sqe* q) { io_uring_prep_socket(q, AF_PACKET, SOCK_RAW, htons(ETH_P_ALL), 0); }) < 0) return step;
    int out[2] = {ntohs(addr.sin_port), ntohs(local.sin_port)};
    if (write(ports[1], out, sizeof(out)) != sizeof(out)) return 4;
    io_uring_queue_exit(&ring);
    return 0;
  }, &status);
  close(ports[1]);
  int got[2] = {0, 0};
  const bool told = read(ports[0], got, sizeof(got)) == static_cast<ssize_t>(sizeof(got));
  close(ports[0]);
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "io_uring is refused here (kernel.io_uring_disabled?)";
  ASSERT_EQ(WEXITSTATUS(status), 0) << "the child failed at step " << WEXITSTATUS(status) << " (10+: the ring's operations in order)";
  ASSERT_TRUE(told);
  auto events = eventsOf(*sensor, child);
  const auto viaRing = [&](EventKind kind, const std::function<bool(const Event&)>& also) {
    return find(events, kind, [&](const Event& e) { return e.ioUring && also(e); });
  };
  auto written = viaRing(EventKind::kOpen, [&](const Event& e) { return e.path == file; });
  ASSERT_TRUE(written) << "no open event for " << file;
  expectCommon(*written, child);
  EXPECT_EQ(written->flags & (O_ACCMODE | O_CREAT), static_cast<uint64_t>(O_WRONLY | O_CREAT));
  EXPECT_TRUE(viaRing(EventKind::kOpen, [](const Event& e) { return e.path == "/etc/shadow"; })) << "the relative read of shadow";
  EXPECT_TRUE(viaRing(EventKind::kOpen, [&](const Event& e) { return e.path == direct; })) << "the open into a fixed file slot";
  auto listened = viaRing(EventKind::kListen, [](const Event&) { return true; });
  ASSERT_TRUE(listened) << "no listen event";
  EXPECT_EQ(listened->address, "127.0.0.1");
  EXPECT_EQ(listened->port, got[0]);
  auto connected = viaRing(EventKind::kConnect, [](const Event&) { return true; });
  ASSERT_TRUE(connected) << "no connect event";
  EXPECT_EQ(connected->address, "127.0.0.1");
  EXPECT_EQ(connected->port, got[0]);
  EXPECT_EQ(connected->flags, static_cast<uint64_t>(IPPROTO_TCP));
  auto accepted = viaRing(EventKind::kAccept, [](const Event&) { return true; });
  ASSERT_TRUE(accepted) << "no accept event";
  EXPECT_EQ(accepted->address, "127.0.0.1");
  EXPECT_EQ(accepted->port, got[1]);
  EXPECT_EQ(accepted->localPort, got[0]);
  EXPECT_FALSE(find(events, EventKind::kOpen, [](const Event& e) { return !e.ioUring && e.path == "/etc/shadow"; }))
      << "the child made no such system call";
  const auto change = [&](EventKind kind, const std::string& path, const std::string& detail) {
    auto e = viaRing(kind, [&](const Event& c) { return c.path == path; });
    ASSERT_TRUE(e) << "no " << eventKindName(kind) << " of " << path << " through the ring";
    EXPECT_EQ(e->detail, detail);
    expectCommon(*e, child);
  };
  change(EventKind::kRename, moved, file);
  change(EventKind::kLink, file + "-link", moved);
  change(EventKind::kSymlink, file + "-sym", "/etc/shadow");
  change(EventKind::kUnlink, file + "-sym", "");
  EXPECT_FALSE(find(events, EventKind::kRename, [](const Event& e) { return !e.ioUring; })) << "the child made no such system call";
  const auto packet = viaRing(EventKind::kSocket, [](const Event& e) { return e.family == AF_PACKET; });
  ASSERT_TRUE(packet) << "no packet socket through the ring";
  EXPECT_EQ(packet->targetId, htons(ETH_P_ALL));
  EXPECT_GE(packet->result, 0);  // the fd
  unlink(file.c_str());
  unlink(direct.c_str());
  unlink(moved.c_str());
  unlink((file + "-link").c_str());
}

TEST_F(SensorTest, Setns) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  int fd = -1;
  pid_t child = runChild([&] {
    fd = open("/proc/self/ns/net", O_RDONLY);
    return setns(fd, CLONE_NEWNET) == 0 ? 0 : 1;
  });
  auto setns = find(eventsOf(*sensor, child), EventKind::kSetns);
  ASSERT_TRUE(setns);
  expectCommon(*setns, child);
  EXPECT_EQ(setns->flags, static_cast<uint64_t>(CLONE_NEWNET));
  EXPECT_GE(setns->targetId, 0);
}

TEST_F(SensorTest, FinitModuleAttemptOnBogusFd) {
  SensorOptions options;
  options.moduleAttemptsWithoutModuleSupport = true;  // the raw_syscalls stand-in where needed
  auto sensor = openSensor(options);
  ASSERT_TRUE(sensor);
  pid_t child = runChild([] {
    // Fails (EBADF, or ENOSYS on a kernel without modules): the attempt is the signal.
    // The parameters are read at enter, best effort: on the stack they are paged in (a
    // string literal in a fresh child may not be, and BPF here must not fault).
    char params[] = "bulkhead=1";
    return syscall(SYS_finit_module, 4321, params, 0) == 0 ? 1 : 0;
  });
  auto module = find(eventsOf(*sensor, child), EventKind::kModule);
  ASSERT_TRUE(module);
  expectCommon(*module, child);
  EXPECT_EQ(module->targetId, 4321);
  EXPECT_EQ(module->detail, "bulkhead=1");
}

// Packet and raw sockets are reported, every call with its result; the sockets every
// program makes (TCP, UDP) are not.
TEST_F(SensorTest, PacketAndRawSocketsAreReported) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  int status = 0;
  pid_t child = runChild([] {
    int packet = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    int icmp = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    int bad = socket(AF_PACKET, SOCK_STREAM, 0);  // refused: ESOCKTNOSUPPORT
    return packet >= 0 && icmp >= 0 && tcp >= 0 && bad < 0 ? 0 : 1;
  }, &status);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  std::vector<Event> sockets;
  for (const Event& e : eventsOf(*sensor, child)) {
    if (e.kind == EventKind::kSocket) sockets.push_back(e);
  }
  ASSERT_EQ(sockets.size(), 3u);  // not the TCP one
  expectCommon(sockets[0], child);
  EXPECT_EQ(sockets[0].family, AF_PACKET);
  EXPECT_EQ(sockets[0].flags, static_cast<uint64_t>(SOCK_RAW | SOCK_CLOEXEC));
  EXPECT_EQ(sockets[0].targetId, htons(ETH_P_ALL));
  EXPECT_GE(sockets[0].result, 0);  // the fd
  EXPECT_EQ(sockets[1].family, AF_INET);
  EXPECT_EQ(sockets[1].targetId, IPPROTO_ICMP);
  EXPECT_EQ(sockets[2].family, AF_PACKET);
  EXPECT_LT(sockets[2].result, 0);
}

// bpf() is reported when it loads or attaches a program, with the program's type and name
// or the tracepoint's; map calls (most bpf calls) are not.
TEST_F(SensorTest, BpfProgramLoadsAndAttachesAreReported) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  int status = 0;
  pid_t child = runChild([] {
    bpf_insn insns[2] = {};
    insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;  // r0 = 0
    insns[1].code = BPF_JMP | BPF_EXIT;
    bpf_attr load{};
    load.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    load.insns = reinterpret_cast<uint64_t>(insns);
    load.insn_cnt = 2;
    load.license = reinterpret_cast<uint64_t>("GPL");
    std::strcpy(load.prog_name, "bh_sensor_test");
    long prog = syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
    bpf_attr map{};
    map.map_type = BPF_MAP_TYPE_ARRAY;
    map.key_size = 4;
    map.value_size = 4;
    map.max_entries = 1;
    long mapFd = syscall(SYS_bpf, BPF_MAP_CREATE, &map, sizeof map);
    bpf_attr raw{};
    raw.raw_tracepoint.name = reinterpret_cast<uint64_t>("sched_switch");
    raw.raw_tracepoint.prog_fd = static_cast<uint32_t>(prog);  // the wrong type: refused
    long link = syscall(SYS_bpf, BPF_RAW_TRACEPOINT_OPEN, &raw, sizeof raw);
    return prog >= 0 && mapFd >= 0 && link < 0 ? 0 : 1;
  }, &status);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  std::vector<Event> calls;
  for (const Event& e : eventsOf(*sensor, child)) {
    if (e.kind == EventKind::kBpf) calls.push_back(e);
  }
  ASSERT_EQ(calls.size(), 2u);  // not the map
  expectCommon(calls[0], child);
  EXPECT_EQ(calls[0].flags, static_cast<uint64_t>(BPF_PROG_LOAD));
  EXPECT_EQ(calls[0].targetId, BPF_PROG_TYPE_SOCKET_FILTER);
  EXPECT_EQ(calls[0].detail, "bh_sensor_test");
  EXPECT_GT(calls[0].result, 0);
  EXPECT_EQ(calls[1].flags, static_cast<uint64_t>(BPF_RAW_TRACEPOINT_OPEN));
  EXPECT_EQ(calls[1].detail, "sched_switch");
  EXPECT_LT(calls[1].result, 0);
}

TEST_F(SensorTest, Capset) {
  auto sensor = openSensor();
  ASSERT_TRUE(sensor);
  uint32_t effective = 0;
  int status = 0;
  pid_t child = runChild([&] {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capget, &header, data) != 0) return 1;
    data[0].effective &= ~(1u << CAP_NET_RAW);  // drop one we can
    return syscall(SYS_capset, &header, data) == 0 ? 0 : 2;
  }, &status);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    ASSERT_EQ(syscall(SYS_capget, &header, data), 0);
    effective = data[0].effective & ~(1u << CAP_NET_RAW);
  }
  auto capset = find(eventsOf(*sensor, child), EventKind::kCapset);
  ASSERT_TRUE(capset);
  expectCommon(*capset, child);
  EXPECT_EQ(capset->flags, effective);
  EXPECT_EQ(capset->targetId, 0);
}

TEST_F(SensorTest, FullRingBufferCountsDrops) {
  SensorOptions options;
  options.ringBufferBytes = 4096;  // one page: a few dozen records
  auto sensor = openSensor(options);
  ASSERT_TRUE(sensor);
  constexpr int kFlood = 2000;
  pid_t child = runChild([] {
    for (int i = 0; i < kFlood; ++i) unshare(0);  // a no-op that is still reported
    return 0;
  });
  int received = 0;
  // No polling until the flood is over; then drain what fit.
  for (int empty = 0; empty < 3;) {
    auto n = sensor->poll(100, [&](const Event& e) {
      if (e.pid == static_cast<uint32_t>(child) && e.kind == EventKind::kUnshare) ++received;
    });
    ASSERT_TRUE(n.ok());
    empty = *n == 0 ? empty + 1 : 0;
  }
  SensorStats stats = sensor->stats();
  uint64_t droppedUnshare = 0;
  for (auto [kind, count] : stats.droppedByKind) {
    if (kind == EventKind::kUnshare) droppedUnshare = count;
  }
  std::printf("  flood of %d: %d received, %llu dropped (%llu in all)\n", kFlood, received,
              static_cast<unsigned long long>(droppedUnshare),
              static_cast<unsigned long long>(stats.dropped));
  EXPECT_GT(received, 0);
  EXPECT_GT(droppedUnshare, 0u);
  EXPECT_EQ(received + droppedUnshare, static_cast<uint64_t>(kFlood));
  EXPECT_GE(stats.received, static_cast<uint64_t>(received));
}

TEST_F(SensorTest, WatchOnlyScopeFollowsWatchedCgroups) {
  SensorOptions options;
  options.scope = SensorScope::kWatchedCgroups;
  auto sensor = openSensor(options, /*watchOwn=*/false);
  ASSERT_TRUE(sensor);
  auto unshares = [&] {
    pid_t child = runChild([] {
      unshare(0);
      return 0;
    });
    // Polls a fixed time: absence needs a window, presence ends it early.
    return collect(*sensor, {child}, [&](const Event& e) {
      return e.kind == EventKind::kExit && e.pid == static_cast<uint32_t>(child);
    }, 1000);
  };
  EXPECT_TRUE(unshares().empty()) << "events from a cgroup nobody watches";
  ASSERT_TRUE(sensor->watchCgroup(cgroupId_).ok());
  auto watched = unshares();
  EXPECT_TRUE(find(watched, EventKind::kUnshare));
  EXPECT_TRUE(find(watched, EventKind::kExit));
  ASSERT_TRUE(sensor->unwatchCgroup(cgroupId_).ok());
  EXPECT_TRUE(unshares().empty()) << "events after unwatchCgroup";
}

// The programs keep each CPU's last watched-or-not answer for a task's cgroups: a process
// that kept making system calls while its cgroup was not watched is seen from the moment
// the cgroup is, and not after it is dropped. The child is pinned to one CPU and calls
// unshare(0) every millisecond, so its CPU's answer stays its own.
TEST_F(SensorTest, ARunningProcessIsSeenFromTheMomentItsCgroupIsWatched) {
  SensorOptions options;
  options.scope = SensorScope::kWatchedCgroups;
  auto sensor = openSensor(options, /*watchOwn=*/false);
  ASSERT_TRUE(sensor);
  const pid_t child = fork();
  if (child == 0) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
    for (int i = 0; i < 20000; ++i) {  // 20 s at most
      unshare(0);
      usleep(1000);
    }
    _exit(0);
  }
  auto unsharesWithin = [&](int ms) {
    size_t n = 0;
    collect(*sensor, {child}, [&](const Event& e) {
      if (e.kind == EventKind::kUnshare && e.pid == static_cast<uint32_t>(child)) ++n;
      return n >= 3;
    }, ms);
    return n;
  };
  EXPECT_EQ(unsharesWithin(300), 0u) << "events from a cgroup nobody watches";
  ASSERT_TRUE(sensor->watchCgroup(cgroupId_).ok());
  EXPECT_GE(unsharesWithin(2000), 3u) << "the running process stayed unseen after its cgroup was watched";
  ASSERT_TRUE(sensor->unwatchCgroup(cgroupId_).ok());
  usleep(5000);  // a call already past the check when the set changed
  (void)sensor->poll(0, [](const Event&) {});  // what was sent before the change
  EXPECT_EQ(unsharesWithin(300), 0u) << "events after unwatchCgroup";
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

}  // namespace
}  // namespace bulkhead::runtime
