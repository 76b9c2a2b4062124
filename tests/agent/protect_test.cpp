// Protect on real containers: execs outside the group's profile fail with EPERM before
// they run, inside the container and through `runc exec`, every time; allowed programs
// run; each denial is reported with the container-side path. Binds of stream sockets to
// ports outside the profile's listening ports fail with EPERM and are reported. Writes
// outside its write locations fail with EROFS and are reported.

#include <cerrno>
#include <filesystem>

#include "agent_fixture.h"
#include "support/testbed.h"

namespace bulkhead::agent::testing {
namespace {

TEST_F(AgentE2e, ProtectBlocksExecsOutsideTheProfile) {
  const std::string image = "bulkhead-test/locked:1";
  writeProfile(protectProfile(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/cat"}));
  startAgent();
  const size_t from = log_->size();
  json started;
  auto c = run(image, &started);
  ASSERT_TRUE(c);
  EXPECT_EQ(started["mode"], "protect");
  ASSERT_TRUE(log_->waitFor(containerAction("protected", c->id()), from)) << "the exec guard was not armed";

  auto allowed = sh(*c, "cat /etc/hostname");
  EXPECT_EQ(allowed.exitCode, 0) << allowed.err;

  auto denied = sh(*c, "ls /");
  EXPECT_EQ(denied.exitCode, 126) << denied.out << denied.err;
  EXPECT_NE(denied.err.find("Operation not permitted"), std::string::npos) << denied.err;  // EPERM
  auto alert = log_->waitFor(blockedExec(c->id()), from);
  ASSERT_TRUE(alert);
  EXPECT_EQ((*alert)["evidence"]["path"], "/usr/bin/ls");
  EXPECT_EQ((*alert)["mode"], "protect");

  auto direct = c->exec({"/usr/bin/id"});  // runc exec of a program outside the profile
  EXPECT_NE(direct.exitCode, 0) << direct.out;
  EXPECT_TRUE(direct.out.empty()) << "id ran: " << direct.out;

  // 1000 attempts in a row from inside, none gets through; every one is reported.
  const size_t mark = log_->size();
  auto loop = sh(*c,
                 "n=0; ran=0; while [ $n -lt 1000 ]; do /usr/bin/ls / >/dev/null 2>&1 && ran=$((ran+1)); n=$((n+1)); done; "
                 "echo $ran");
  ASSERT_EQ(loop.exitCode, 0) << loop.err;
  EXPECT_EQ(loop.out, "0\n");
  const auto reported = [&] {
    return log_->all([&](const json& j) { return blockedExec(c->id())(j) && j["evidence"]["path"] == "/usr/bin/ls"; },
                     mark)
        .size();
  };
  for (int i = 0; i < 200 && reported() < 1000; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(reported(), 1000u);

  // The agent's last line counts the guard's denials: every one reported.
  const size_t blocked = log_->all(blockedExec(c->id()), from).size();
  auto stopped = stopAgentForLastLine();
  ASSERT_TRUE(stopped);
  EXPECT_EQ((*stopped).value("execDenied", 0u), blocked);
  EXPECT_GE(blocked, 1002u);
  EXPECT_EQ((*stopped).value("execErrors", 1u), 0u);
}

// The profile's own files pass in the kernel (ignore marks): a copy of one is a new file
// and is blocked; a hard link is the same file and runs under its new name, reported as an
// exec outside the profile.
TEST_F(AgentE2e, ACopyOfAnAllowedProgramIsBlockedAHardLinkIsReported) {
  const std::string image = "bulkhead-test/linked:1";
  const size_t from = log_->size();
  auto c = runProtected(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/cat", "/usr/bin/ln", "/usr/bin/cp"});
  ASSERT_TRUE(c);

  expectExecBlocked(*c, "cp /usr/bin/cat /usr/bin/kitten && /usr/bin/kitten /etc/hostname", "/usr/bin/kitten");

  auto linked = sh(*c, "ln /usr/bin/cat /usr/bin/kitty && /usr/bin/kitty /etc/hostname");
  EXPECT_EQ(linked.exitCode, 0) << linked.err;
  auto reported = log_->waitFor(
      [&](const json& j) { return profileAlert("exec", c->id())(j) && j.value("deviation", "") == "/usr/bin/kitty"; }, from);
  ASSERT_TRUE(reported) << "the hard link's exec was not reported";
  EXPECT_EQ((*reported)["action"], "alert");
}

// Files on the container's other mounts are judged too: runc's /dev (a tmpfs that can run
// files) and a volume bind-mounted from the host. A program the profile lists runs from the
// volume; a copy elsewhere is blocked and reported by its path in the container; the
// volume's files still run on the host, where nothing is protected.
TEST_F(AgentE2e, ExecsFromTheContainersOtherMountsAreJudgedToo) {
  const std::string image = "bulkhead-test/volumes:1";
  const std::string volume = dir_ + "/volume";
  ASSERT_TRUE(std::filesystem::create_directories(volume));
  std::filesystem::copy_file("/usr/bin/true", volume + "/tool");
  mounts_.push_back({{"destination", "/data"}, {"type", "bind"}, {"source", volume}, {"options", {"rbind", "rw"}}});
  auto c = runProtected(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/cat", "/usr/bin/cp", "/data/tool"});
  ASSERT_TRUE(c);

  auto tool = sh(*c, "/data/tool");
  EXPECT_EQ(tool.exitCode, 0) << "a listed program on a volume: " << tool.err;
  for (const std::string copy : {"/dev/kitten", "/data/kitten"}) {
    expectExecBlocked(*c, "cp /usr/bin/cat " + copy + " && " + copy + " /etc/hostname", copy);
  }
  auto onHost = bulkhead::testing::runCommand({volume + "/kitten", "/dev/null"});
  EXPECT_EQ(onHost.exitCode, 0) << "the volume's file did not run on the host: " << onHost.err;
}

// A mount the container makes once protected (it needs CAP_SYS_ADMIN) is marked when the
// sensor reports it: a program copied there is blocked.
TEST_F(AgentE2e, AMountMadeAfterArmingIsJudgedToo) {
  const std::string image = "bulkhead-test/mounting:1";
  capabilities_.push_back("CAP_SYS_ADMIN");
  auto c = runProtected(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/cat", "/usr/bin/cp", "/usr/bin/mount"});
  ASSERT_TRUE(c);
  expectExecBlocked(*c, "mount -t tmpfs none /mnt && cp /usr/bin/cat /mnt/kitten && sleep 0.5 && /mnt/kitten /etc/hostname",
                    "/mnt/kitten");
}

// An exec from a mount made a moment before, sooner than the agent can mark it (a bind
// mount of a tmpfs the guard has marked: a mount mark covers one mount, not its file
// system): the sensor kills it before its first instruction (exit 137; or the guard denies
// it, 126, had the agent been quicker), and it is reported blocked. Later execs from that
// mount are judged by the guard.
TEST_F(AgentE2e, AnExecFromAMountJustMadeIsKilledBeforeItRuns) {
  const std::string image = "bulkhead-test/mounting-fast:1";
  capabilities_.push_back("CAP_SYS_ADMIN");
  auto c = runProtected(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/cat", "/usr/bin/cp", "/usr/bin/mount"});
  ASSERT_TRUE(c);
  const size_t from = log_->size();
  const auto r = sh(*c, "echo kitten-ran > /tmp/marker && mount -t tmpfs none /mnt && cp /usr/bin/cat /mnt/kitten && "
                        "sleep 0.5 && mount --bind /mnt /srv && /srv/kitten /tmp/marker; "
                        "echo first=$?; sleep 0.5; /srv/kitten /tmp/marker; echo second=$?");
  const bool killed = r.out.find("first=137") != std::string::npos;
  EXPECT_TRUE(killed || r.out.find("first=126") != std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("second=126"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("kitten-ran"), std::string::npos) << "the copy ran: " << r.out;
  auto blocked = log_->waitFor(blockedExec(c->id()), from);
  ASSERT_TRUE(blocked) << "no blocked exec reported";
  EXPECT_EQ((*blocked)["evidence"]["path"], "/srv/kitten");
  if (killed) {  // the sensor's kill, reported as such (not the guard's later denial)
    EXPECT_EQ((*blocked)["evidence"]["killed"], true) << blocked->dump();
    EXPECT_EQ((*blocked)["evidence"]["unguarded"], true) << blocked->dump();
  }
}

// A memfd is on no file system a fanotify mark can cover: the sensor kills the fileless
// exec before its first instruction, and both the rule and the profile report it blocked.
TEST_F(AgentE2e, AFilelessExecIsKilledBeforeItRuns) {
  const std::string image = "bulkhead-test/fileless:1";
  const size_t from = log_->size();
  auto c = runProtected(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/python3"});
  ASSERT_TRUE(c);
  auto r = c->exec({"/usr/bin/python3", "-c",
                    "import os; f = os.memfd_create('x'); os.write(f, open('/usr/bin/cat', 'rb').read()); "
                    "os.execv('/proc/self/fd/%d' % f, ['x', '/etc/hostname'])"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_TRUE(r.out.empty()) << "the memfd's program ran: " << r.out;
  auto rule = log_->waitFor(ruleAlert("BH-RT-0021", c->id()), from);
  ASSERT_TRUE(rule);
  EXPECT_EQ((*rule)["action"], "blocked");
  EXPECT_EQ((*rule)["evidence"]["killed"], true);
  auto profile = log_->waitFor(
      [&](const json& j) { return profileAlert("exec", c->id())(j) && j.value("action", "") == "blocked"; }, from);
  ASSERT_TRUE(profile) << "the profile's alert does not say blocked";
}

class AgentWrites : public AgentE2e {
 protected:
  // `profile` written, the agent started, and a container of its image run with its writes
  // guarded (null, with the failure added, otherwise).
  std::unique_ptr<bulkhead::testing::RuncContainer> runWriteGuarded(const runtime::Profile& profile) {
    writeProfile(profile);
    startAgent();
    const size_t from = log_->size();
    auto c = run(profile.selector.image);
    if (!c) return nullptr;
    auto armed = log_->waitFor(containerAction("protected", c->id()), from);
    if (!armed || (*armed)["writes"].value("enforced", false) != true) {
      ADD_FAILURE() << "the write guard was not armed: " << (armed ? armed->dump() : "no protected line");
      return nullptr;
    }
    return c;
  }

  // The agent stopped, `profile` written meanwhile, and a new agent started that has found
  // container `id` again.
  void restartWith(const runtime::Profile& profile, const std::string& id) {
    stopAgent();
    writeProfile(profile);
    const size_t restart = log_->size();
    startAgent();
    ASSERT_TRUE(log_->waitFor(containerAction("started", id), restart));
  }
};

// Writes: in Protect the profile's write locations stay writable and the rest of the root
// file system is read-only. A write, a creation, a removal or a rename elsewhere fails with
// EROFS before anything changes, and is reported blocked; a location that does not exist
// yet is writable through its parent; a volume is left as it is; the entry point's first
// write is already judged; Monitor makes the root writable again.
TEST_F(AgentWrites, ProtectRefusesWritesOutsideTheProfile) {
  const std::string image = "bulkhead-test/writes:1";
  auto profile = protectProfile(
      image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/touch", "/usr/bin/rm", "/usr/bin/mv", "/usr/bin/mkdir"});
  profile.writeDirs = {"/var/tmp/", "/var/cache/app/"};  // the second is not in the image
  writeProfile(profile);
  const std::string volume = dir_ + "/volume";
  ASSERT_TRUE(std::filesystem::create_directories(volume));
  mounts_.push_back({{"destination", "/data"}, {"type", "bind"}, {"source", volume}, {"options", {"rbind", "rw"}}});
  startAgent();
  const size_t from = log_->size();
  auto c = prepare(image, {"sh", "-c", "touch /etc/first 2>/dev/null; echo rc=$? > /var/tmp/first; sleep infinity"});
  ASSERT_TRUE(c);
  ASSERT_TRUE(createThenStart(*c, [] { return true; }));
  auto armed = log_->waitFor(containerAction("protected", c->id()), from);
  ASSERT_TRUE(armed);
  EXPECT_EQ((*armed)["writes"]["enforced"], true) << armed->dump();
  EXPECT_EQ((*armed)["writes"]["writable"], (json{"/var/cache", "/var/tmp"})) << armed->dump();

  EXPECT_EQ(firstLineOf(c->rootfs() + "/var/tmp/first"), "rc=1") << "the entry point's first write was not refused";
  EXPECT_FALSE(std::filesystem::exists(c->rootfs() + "/etc/first"));

  EXPECT_EQ(sh(*c, "touch /var/tmp/ok").exitCode, 0);
  EXPECT_EQ(sh(*c, "mkdir -p /var/cache/app && touch /var/cache/app/x").exitCode, 0) << "a location not made yet";
  EXPECT_EQ(sh(*c, "touch /data/v").exitCode, 0) << "the volume";
  const size_t mark = log_->size();
  for (const std::string refused : {"touch /etc/evil", "rm /etc/debian_version", "mkdir /opt/x", "mv /etc/issue /var/tmp/"}) {
    auto r = sh(*c, refused);
    EXPECT_NE(r.exitCode, 0) << refused;
    EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << refused << ": " << r.err;
  }
  for (const std::string kept : {"/etc/debian_version", "/etc/issue"}) EXPECT_TRUE(std::filesystem::exists(c->rootfs() + kept));
  EXPECT_FALSE(std::filesystem::exists(c->rootfs() + "/etc/evil"));
  auto alert = log_->waitFor(
      [&](const json& j) { return profileAlert("write", c->id())(j) && j.value("deviation", "") == "/etc/"; }, mark);
  ASSERT_TRUE(alert) << "the refused write was not reported";
  EXPECT_EQ((*alert)["action"], "blocked");
  EXPECT_EQ((*alert)["evidence"]["targetId"], -EROFS);

  profile.mode = runtime::Mode::kMonitor;
  writeProfile(profile);
  for (int i = 0; i < 100 && sh(*c, "touch /etc/monitored").exitCode != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(sh(*c, "touch /etc/monitored").exitCode, 0) << "Monitor still refuses writes";
  EXPECT_EQ(sh(*c, "touch /var/tmp/still").exitCode, 0);

  // Protect again, then the agent stops and the profile goes to Monitor meanwhile: the agent
  // that starts next lifts the guard the first one left.
  profile.mode = runtime::Mode::kProtect;
  writeProfile(profile);
  for (int i = 0; i < 100 && sh(*c, "touch /etc/protected-again").exitCode == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_NE(sh(*c, "touch /etc/protected-again").exitCode, 0) << "not guarded again";
  profile.mode = runtime::Mode::kMonitor;
  restartWith(profile, c->id());
  EXPECT_EQ(sh(*c, "touch /etc/after-restart").exitCode, 0) << "the guard an earlier agent left is still there";
}


// A profile with no write location: the root is read-only with no writable bind, as a
// runtime's read-only root looks. An agent that starts after the group went to Monitor still
// lifts the guard, by the mark the first one left.
TEST_F(AgentWrites, AGuardWithNoWritableLocationIsLiftedAfterARestart) {
  const std::string image = "bulkhead-test/no-writes:1";
  auto profile = protectProfile(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/touch"});
  profile.writeDirs = {};
  auto c = runWriteGuarded(profile);
  ASSERT_TRUE(c);
  EXPECT_NE(sh(*c, "touch /etc/refused").exitCode, 0);
  profile.mode = runtime::Mode::kMonitor;
  restartWith(profile, c->id());
  EXPECT_EQ(sh(*c, "touch /etc/after-restart").exitCode, 0) << "the read-only root an earlier agent left is still there";
}

// A container with CAP_SYS_ADMIN can remount its root writable: the agent sees the mount,
// reports it and puts the guard back, so the next write outside the locations fails again.
TEST_F(AgentWrites, ARootRemountedWritableIsPutBack) {
  const std::string image = "bulkhead-test/remounting:1";
  capabilities_.push_back("CAP_SYS_ADMIN");
  auto profile = protectProfile(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/touch", "/usr/bin/mount"});
  profile.writeDirs = {"/var/tmp/"};
  auto c = runWriteGuarded(profile);
  ASSERT_TRUE(c);
  EXPECT_NE(sh(*c, "touch /etc/before").exitCode, 0);
  const size_t mark = log_->size();
  const auto remount = sh(*c, "mount -o remount,rw /");
  ASSERT_EQ(remount.exitCode, 0) << remount.err;
  auto alert = log_->waitFor(profileAlert("write-guard", c->id()), mark);
  ASSERT_TRUE(alert) << "the remount was not noticed";
  EXPECT_EQ((*alert)["action"], "restored");
  EXPECT_EQ((*alert)["severity"], "high");
  const auto after = sh(*c, "touch /etc/after");
  EXPECT_NE(after.exitCode, 0);
  EXPECT_NE(after.err.find("Read-only file system"), std::string::npos) << after.err;
  EXPECT_EQ(sh(*c, "touch /var/tmp/still").exitCode, 0);
}

// A container already running with a file open for writing on its root when its group goes
// to Protect (the usual way from Monitor): the root cannot be made read-only (EBUSY), so
// its entries are bound read-only instead, but for the write locations and their parents.
// Writes elsewhere fail from then on and are reported blocked; the process that holds the
// file goes on writing it; housekeeping finds the guard intact, and once the writer is gone
// makes the root itself read-only; Monitor lifts it.
TEST_F(AgentWrites, ARunningContainerWithOpenFilesIsGuardedByItsEntries) {
  const std::string image = "bulkhead-test/busy-root:1";
  auto profile =
      protectProfile(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/touch", "/usr/bin/rm", "/usr/bin/cat"});
  profile.writeDirs = {"/var/tmp/"};
  profile.mode = runtime::Mode::kMonitor;
  writeProfile(profile);
  auto opts = options(runtime::Mode::kMonitor);
  opts.statsIntervalMs = 200;  // housekeeping, which checks the guard
  startAgent(opts);
  auto c = run(image, nullptr,
               {"sh", "-c",
                "sh -c 'echo $$ > /var/tmp/writer; exec 3>>/var/log/app.log; while :; do echo tick >&3; sleep 0.1; done' "
                "& exec sleep infinity"});
  ASSERT_TRUE(c);
  EXPECT_EQ(sh(*c, "touch /etc/monitored").exitCode, 0);

  const size_t from = log_->size();
  profile.mode = runtime::Mode::kProtect;
  writeProfile(profile);
  auto armed = log_->waitFor(containerAction("protected", c->id()), from);
  ASSERT_TRUE(armed);
  const json& writes = (*armed)["writes"];
  EXPECT_EQ(writes.value("enforced", false), true) << armed->dump();
  EXPECT_EQ(writes.value("rootBusy", false), true) << armed->dump();
  EXPECT_EQ(writes["unguarded"], (json{"/", "/var"})) << armed->dump();
  EXPECT_GT(writes.value("readOnly", 0), 5) << armed->dump();

  const size_t mark = log_->size();
  const std::string log = c->rootfs() + "/var/log/app.log";
  for (const std::string refused : {"touch /etc/evil", "rm /etc/debian_version", "touch /usr/local/bin/x", "echo x >> /var/log/app.log"}) {
    auto r = sh(*c, refused);
    EXPECT_NE(r.exitCode, 0) << refused;
    EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << refused << ": " << r.err;
  }
  EXPECT_TRUE(std::filesystem::exists(c->rootfs() + "/etc/debian_version"));
  EXPECT_FALSE(std::filesystem::exists(c->rootfs() + "/etc/evil"));
  EXPECT_EQ(sh(*c, "touch /var/tmp/ok").exitCode, 0);
  const auto size = std::filesystem::file_size(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // three housekeeping rounds
  EXPECT_GT(std::filesystem::file_size(log), size) << "the open file's writer was stopped";
  auto alert = log_->waitFor(
      [&](const json& j) { return profileAlert("write", c->id())(j) && j.value("deviation", "") == "/etc/"; }, mark);
  ASSERT_TRUE(alert) << "the refused write was not reported";
  EXPECT_EQ((*alert)["action"], "blocked");
  EXPECT_TRUE(log_->all(profileAlert("write-guard", c->id()), from).empty()) << "housekeeping took the binds for tampering";
  EXPECT_EQ(sh(*c, "touch /new-in-root").exitCode, 0) << "new entries in / stay writable while the root is busy";

  // The writer gone, housekeeping makes the root itself read-only.
  const size_t gone = log_->size();
  ASSERT_EQ(sh(*c, "kill $(cat /var/tmp/writer)").exitCode, 0);
  auto upgraded = log_->waitFor(containerAction("writes-guarded", c->id()), gone);
  ASSERT_TRUE(upgraded) << "the root was not made read-only once its writer was gone";
  EXPECT_EQ((*upgraded)["writes"].value("rootBusy", false), false) << upgraded->dump();
  const auto root = sh(*c, "touch /new-in-root-2");
  EXPECT_NE(root.exitCode, 0);
  EXPECT_NE(root.err.find("Read-only file system"), std::string::npos) << root.err;
  EXPECT_EQ(sh(*c, "touch /var/tmp/ok2 && touch /etc/x").exitCode, 1) << "the location, then /etc";
  EXPECT_TRUE(std::filesystem::exists(c->rootfs() + "/var/tmp/ok2"));

  profile.mode = runtime::Mode::kMonitor;
  writeProfile(profile);
  for (int i = 0; i < 100 && sh(*c, "touch /etc/monitored-again").exitCode != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(sh(*c, "touch /etc/monitored-again").exitCode, 0) << "Monitor still refuses writes";
}

TEST_F(AgentE2e, EditingTheProfileChangesWhatIsAllowed) {
  const std::string image = "bulkhead-test/editable:1";
  auto profile = protectProfile(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/cat"});
  writeProfile(profile);
  startAgent();
  auto c = run(image);
  ASSERT_TRUE(c);
  ASSERT_TRUE(log_->waitFor(containerAction("protected", c->id())));
  EXPECT_EQ(sh(*c, "ls / >/dev/null").exitCode, 126);

  profile.executables["/usr/bin/ls"] = {};
  const size_t from = log_->size();
  writeProfile(profile);
  ASSERT_TRUE(log_->waitFor(
      [&](const json& j) { return j.value("type", "") == "profile" && j.value("action", "") == "loaded"; }, from));
  ASSERT_TRUE(log_->waitFor(containerAction("protected", c->id()), from)) << "not re-armed with the edited profile";
  EXPECT_EQ(sh(*c, "ls / >/dev/null").exitCode, 0);

  profile.mode = runtime::Mode::kMonitor;
  writeProfile(profile);
  for (int i = 0; i < 100 && sh(*c, "id >/dev/null").exitCode != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(sh(*c, "id >/dev/null").exitCode, 0) << "Monitor still blocks";
}

// Tries each "family address port type" bind in the container with python3 (and listen()
// for a stream socket) and prints, per line, "ok", the errno name, or "nofamily" when the
// container cannot make a socket of that family.
std::string binds(bulkhead::testing::RuncContainer& c, const std::string& tries) {
  const std::string script =
      "import errno, socket, sys\n"
      "for line in sys.argv[1].split(','):\n"
      "    fam, addr, port, typ = line.split()\n"
      "    f = socket.AF_INET6 if fam == '6' else socket.AF_INET\n"
      "    t = socket.SOCK_DGRAM if typ == 'udp' else socket.SOCK_STREAM\n"
      "    try:\n"
      "        s = socket.socket(f, t)\n"
      "    except OSError:\n"
      "        print('nofamily'); continue\n"
      "    try:\n"
      "        s.bind((addr, int(port)))\n"
      "        if t == socket.SOCK_STREAM: s.listen()\n"
      "        print('ok')\n"
      "    except OSError as e:\n"
      "        print(errno.errorcode[e.errno])\n"
      "    s.close()\n";
  auto r = c.exec({"/usr/bin/python3", "-c", script, tries});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  return r.out;
}

TEST_F(AgentE2e, ProtectRefusesListeningPortsOutsideTheProfile) {
  const std::string image = "bulkhead-test/listener:1";
  auto profile = protectProfile(image, {"/usr/bin/sleep", "/usr/bin/dash", "/usr/bin/python3"});
  profile.listenPorts = {"tcp/8080"};
  writeProfile(profile);
  startAgent();
  const size_t from = log_->size();
  auto c = run(image);
  ASSERT_TRUE(c);
  auto armed = log_->waitFor(containerAction("protected", c->id()), from);
  ASSERT_TRUE(armed) << "not armed";
  EXPECT_EQ((*armed)["listen"], "enforced");

  // The profile's port, a port the kernel picks and a datagram socket are allowed; any
  // other port is refused before the socket has it, on any address, IPv4 and IPv6.
  EXPECT_EQ(binds(*c, "4 127.0.0.1 8080 tcp,4 0.0.0.0 8081 tcp,4 127.0.0.1 0 tcp,4 127.0.0.1 8081 udp,"
                      "4 127.0.0.1 8081 tcp"),
            "ok\nEPERM\nok\nok\nEPERM\n");
  const std::string v6 = binds(*c, "6 :: 8080 tcp,6 :: 8081 tcp");
  if (v6 != "nofamily\nnofamily\n") {
    EXPECT_EQ(v6, "ok\nEPERM\n");
  }

  const auto blocked = [&](uint16_t port) {
    return [&c, port](const json& j) {
      return profileAlert("listen", c->id())(j) && j.value("action", "") == "blocked" &&
             j["evidence"].value("port", 0) == port;
    };
  };
  auto alert = log_->waitFor(blocked(8081), from);
  ASSERT_TRUE(alert) << "the refused bind was not reported";
  EXPECT_EQ((*alert)["deviation"], "tcp/8081");
  EXPECT_EQ((*alert)["mode"], "protect");
  EXPECT_EQ((*alert)["group"], groupOf(image));
  EXPECT_EQ((*alert)["evidence"]["comm"], "python3");
  EXPECT_EQ((*alert)["evidence"]["address"], "0.0.0.0");
  EXPECT_GT((*alert)["evidence"].value("pid", 0), 0);
  EXPECT_TRUE(log_->all(blocked(8080), from).empty()) << "an allowed port was reported";

  // Policy as code: a port added to the file is allowed once the agent re-arms.
  profile.listenPorts.insert("tcp/8081");
  size_t mark = log_->size();
  writeProfile(profile);
  ASSERT_TRUE(log_->waitFor(containerAction("protected", c->id()), mark)) << "not re-armed with the edited profile";
  EXPECT_EQ(binds(*c, "4 0.0.0.0 8081 tcp,4 0.0.0.0 8082 tcp,4 0.0.0.0 8080 tcp"), "ok\nEPERM\nok\n");

  // Monitor alerts and blocks nothing.
  profile.mode = runtime::Mode::kMonitor;
  mark = log_->size();
  writeProfile(profile);
  ASSERT_TRUE(log_->waitFor(
      [&](const json& j) { return j.value("type", "") == "profile" && j.value("mode", "") == "monitor"; }, mark));
  EXPECT_EQ(binds(*c, "4 0.0.0.0 8082 tcp"), "ok\n") << "Monitor still blocks";

  // The agent's last line counts the refusals: each one reported, none lost.
  const size_t reported = log_->all([&](const json& j) {
    return profileAlert("listen", c->id())(j) && j.value("action", "") == "blocked";
  }).size();
  auto stopped = stopAgentForLastLine();
  ASSERT_TRUE(stopped);
  EXPECT_EQ((*stopped).value("listenDenied", 0u), reported);
  EXPECT_GE(reported, 4u);
  EXPECT_EQ((*stopped).value("listenUnreported", 1u), 0u);
}

}  // namespace
}  // namespace bulkhead::agent::testing
